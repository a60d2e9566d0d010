import pytest

from organisations.access import capabilities_of, has_capability, visible_to
from organisations.api.authentication import ApiKeyActor
from organisations.choices import Capability, Role
from organisations.models import ApiKey
from organisations.services import create_api_key

from ..conftest import key_client
from ..factories import CustomerFactory, OperatorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            Role.CUSTOMER_ADMIN,
            {Capability.PLACE_ORDERS, Capability.MANAGE_API_KEYS, Capability.VIEW_OWN_INVOICES},
            {Capability.RUN_BILLING, Capability.MANAGE_INVENTORY, Capability.INGEST_USAGE},
        ),
        (
            Role.CUSTOMER_MEMBER,
            {Capability.PLACE_ORDERS, Capability.VIEW_CATALOG},
            {Capability.MANAGE_API_KEYS, Capability.RUN_BILLING, Capability.PROVISION_ORDERS},
        ),
        (
            Role.OPERATOR_FINANCE,
            {Capability.RUN_BILLING, Capability.VIEW_SETTLEMENT},
            {Capability.PLACE_ORDERS, Capability.MANAGE_INVENTORY, Capability.MANAGE_API_KEYS},
        ),
        (
            Role.OPERATOR_NETWORK,
            {Capability.MANAGE_INVENTORY, Capability.PROVISION_ORDERS, Capability.INGEST_USAGE},
            {Capability.RUN_BILLING, Capability.PLACE_ORDERS, Capability.VIEW_OWN_INVOICES},
        ),
    ],
)
def test_roles_grant_exactly_their_capabilities(role, allowed, refused):
    organisation = OperatorFactory() if role.startswith("operator") else CustomerFactory()
    user = UserFactory(organisation=organisation, role=role)
    for capability in allowed:
        assert has_capability(user, capability), capability
    for capability in refused:
        assert not has_capability(user, capability), capability


def test_platform_admin_holds_every_capability():
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN)
    assert capabilities_of(admin) == frozenset(Capability)


def test_staff_rules_are_one_capability_for_order_notes_and_the_audit_log():
    """What the consortium keeps from customers (every note of an order's history, the audit
    entries of its shared records) goes with one capability: an operator's staff and keys and
    platform admins hold it, customers do not."""
    from audit.selectors import entries_for
    from leasing.selectors import sees_internal_notes

    operator, customer = OperatorFactory(), CustomerFactory()
    staff = [
        UserFactory(organisation=None, role=Role.PLATFORM_ADMIN),
        UserFactory(organisation=operator, role=Role.OPERATOR_FINANCE),
        UserFactory(organisation=operator, role=Role.OPERATOR_NETWORK),
        key_client(operator, Role.OPERATOR_NETWORK)[1],
    ]
    customers = [
        UserFactory(organisation=customer, role=Role.CUSTOMER_ADMIN),
        UserFactory(organisation=customer, role=Role.CUSTOMER_MEMBER),
        key_client(customer, Role.CUSTOMER_ADMIN)[1],
    ]
    for actor in staff + customers:
        if isinstance(actor, ApiKey):
            actor = ApiKeyActor(actor)
        holds = has_capability(actor, Capability.VIEW_INTERNAL)
        assert holds == (actor.organisation != customer), actor
        assert sees_internal_notes(actor) == holds, actor
    finance = staff[1]
    assert entries_for(finance).filter(object_pk=str(operator.pk)).exists()  # its own record
    assert not entries_for(customers[0]).exists()


def test_a_role_its_organisations_kind_does_not_have_holds_nothing():
    """An operator's staff whose organisation became a customer keep no operator reach."""
    from audit.selectors import entries_for
    from leasing.selectors import sees_internal_notes
    from organisations.choices import OrganisationKind
    from organisations.models import Organisation

    user = UserFactory(organisation=OperatorFactory(), role=Role.OPERATOR_NETWORK)
    assert has_capability(user, Capability.VIEW_INVENTORY)
    Organisation.objects.filter(pk=user.organisation_id).update(kind=OrganisationKind.CUSTOMER)
    user.organisation.refresh_from_db()
    assert capabilities_of(user) == frozenset()
    assert not sees_internal_notes(user)
    assert not entries_for(user).exists()


def test_inactive_users_and_organisations_hold_nothing():
    user = UserFactory(role=Role.CUSTOMER_ADMIN)
    assert capabilities_of(user)
    user.is_active = False
    assert capabilities_of(user) == frozenset()
    user.is_active = True
    user.organisation.is_active = False
    assert capabilities_of(user) == frozenset()


def test_an_api_key_acts_with_the_capabilities_of_its_role():
    operator = OperatorFactory()
    client, _ = key_client(operator, Role.OPERATOR_FINANCE)
    body = client.get("/api/v1/me/").json()
    assert body["role"] == Role.OPERATOR_FINANCE
    assert body["organisation"]["name"] == operator.name
    assert body["authentication"] == "api_key"
    assert Capability.RUN_BILLING in body["capabilities"]
    assert Capability.MANAGE_INVENTORY not in body["capabilities"]


def test_visible_to_scopes_by_organisation():
    own, other = CustomerFactory(), CustomerFactory()
    own_key, _ = create_api_key(organisation=own, name="own")
    other_key, _ = create_api_key(organisation=other, name="other")
    member = UserFactory(organisation=own, role=Role.CUSTOMER_MEMBER)
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN)
    keys = ApiKey.objects.all()
    assert list(visible_to(keys, member)) == [own_key]
    assert set(visible_to(keys, admin)) == {own_key, other_key}
    assert list(visible_to(keys, None)) == []
    member.is_active = False
    assert list(visible_to(keys, member)) == []
