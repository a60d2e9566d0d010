from django.db import models


class OrganisationKind(models.TextChoices):
    OPERATOR = "operator", "Operator (consortium partner)"
    CUSTOMER = "customer", "Customer (carrier)"


class Role(models.TextChoices):
    CUSTOMER_ADMIN = "customer_admin", "Customer admin"
    CUSTOMER_MEMBER = "customer_member", "Customer member"
    OPERATOR_FINANCE = "operator_finance", "Operator finance"
    OPERATOR_NETWORK = "operator_network", "Operator network"
    PLATFORM_ADMIN = "platform_admin", "Platform admin"


# The roles a user or an API key of each kind of organisation may hold. Platform admins belong to
# no organisation.
ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    OrganisationKind.CUSTOMER: (Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER),
    OrganisationKind.OPERATOR: (Role.OPERATOR_FINANCE, Role.OPERATOR_NETWORK),
}

# The role an API key gets when nobody chose one.
DEFAULT_KEY_ROLE: dict[str, str] = {
    OrganisationKind.CUSTOMER: Role.CUSTOMER_MEMBER,
    OrganisationKind.OPERATOR: Role.OPERATOR_NETWORK,
}


class Capability(models.TextChoices):
    """What an actor may do. Roles grant capabilities in ``organisations.access``."""

    VIEW_CATALOG = "view_catalog", "See the catalog, paths and availability"
    PLACE_ORDERS = "place_orders", "Ask for quotes and place orders"
    VIEW_OWN_SERVICES = "view_own_services", "See the organisation's services, contracts, usage"
    VIEW_OWN_INVOICES = "view_own_invoices", "See the organisation's invoices"
    MANAGE_API_KEYS = "manage_api_keys", "Create and revoke the organisation's API keys"
    VIEW_INVENTORY = "view_inventory", "See the whole inventory: fiber pairs, who holds what"
    MANAGE_INVENTORY = "manage_inventory", "Edit the network inventory"
    MANAGE_CATALOG = "manage_catalog", "Edit products and the price book"
    PROVISION_ORDERS = "provision_orders", "Acknowledge, provision and complete orders"
    INGEST_USAGE = "ingest_usage", "Feed usage samples"
    RUN_BILLING = "run_billing", "Run billing, issue invoices, credit notes and payments"
    VIEW_SETTLEMENT = "view_settlement", "See settlement statements and revenue reports"
    ADMINISTER_PLATFORM = "administer_platform", "Administer organisations and users"
    VIEW_AUDIT_LOG = "view_audit_log", "See who changed what (the organisation's own records)"
    MANAGE_WEBHOOKS = (
        "manage_webhooks",
        "Manage the organisation's webhook subscriptions and see their deliveries",
    )
    VIEW_INTERNAL = (
        "view_internal",
        "Read what the consortium keeps from customers: staff notes, the consortium's records",
    )
