"""Demo organisations and logins. Loading twice changes nothing but the demo passwords (reset)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from .choices import OrganisationKind, Role
from .models import Organisation, User

DEMO_PASSWORD = "tcfo-demo-2026"  # noqa: S105 - printed by `make run`; demo data only

OPERATORS = [
    {
        "name": "AzerTelecom",
        "legal_name": "AzerTelecom LLC",
        "country": "AZ",
        "tax_number": "AZ-DEMO-1700000001",
        "address": "Demo address, Baku, Azerbaijan",
        "bank_name": "Demo Bank of Baku",
        "bank_account": "AZ00DEMO00000000000000000001",
        "bank_swift": "DEMOAZ22",
        "invoice_prefix": "AZT",
        "time_zone": "Asia/Baku",
        "billing_email": "billing@azertelecom.demo",
    },
    {
        "name": "Transtelecom",
        "legal_name": "Transtelecom JSC",
        "country": "KZ",
        "tax_number": "KZ-DEMO-000000000002",
        "address": "Demo address, Astana, Kazakhstan",
        "bank_name": "Demo Bank of Astana",
        "bank_account": "KZ00DEMO0000000000000002",
        "bank_swift": "DEMOKZ22",
        "invoice_prefix": "TTC",
        "time_zone": "Asia/Almaty",
        "billing_email": "billing@transtelecom.demo",
    },
    {
        "name": "KazTransCom",
        "legal_name": "KazTransCom JSC",
        "country": "KZ",
        "tax_number": "KZ-DEMO-000000000003",
        "address": "Demo address, Almaty, Kazakhstan",
        "bank_name": "Demo Bank of Almaty",
        "bank_account": "KZ00DEMO0000000000000003",
        "bank_swift": "DEMOKZ33",
        "invoice_prefix": "KTC",
        "time_zone": "Asia/Almaty",
        "billing_email": "billing@kaztranscom.demo",
    },
]

CUSTOMERS = [
    {
        "name": "Caspian Online",
        "legal_name": "Caspian Online LLC",
        "country": "AZ",
        "tax_number": "AZ-DEMO-1700000101",
        "address": "Demo address, Baku, Azerbaijan",
        "billing_email": "finance@caspian-online.demo",
    },
    {
        "name": "Silk Route Carrier",
        "legal_name": "Silk Route Carrier GmbH",
        "country": "DE",
        "tax_number": "DE-DEMO-000000102",
        "address": "Demo address, Frankfurt am Main, Germany",
        "billing_email": "ap@silkroute.demo",
    },
]

# (username, organisation name or None, role)
USERS = [
    ("platform-admin", None, Role.PLATFORM_ADMIN),
    ("azt-finance", "AzerTelecom", Role.OPERATOR_FINANCE),
    ("azt-network", "AzerTelecom", Role.OPERATOR_NETWORK),
    ("ttc-finance", "Transtelecom", Role.OPERATOR_FINANCE),
    ("ktc-finance", "KazTransCom", Role.OPERATOR_FINANCE),
    ("caspian-admin", "Caspian Online", Role.CUSTOMER_ADMIN),
    ("caspian-member", "Caspian Online", Role.CUSTOMER_MEMBER),
    ("silkroute-admin", "Silk Route Carrier", Role.CUSTOMER_ADMIN),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    organisation: str


@transaction.atomic
def load_demo_organisations() -> list[DemoLogin]:
    """Create or update the demo operators, customers and users; return their logins."""
    organisations: dict[str, Organisation] = {}
    for kind, rows in (
        (OrganisationKind.OPERATOR, OPERATORS),
        (OrganisationKind.CUSTOMER, CUSTOMERS),
    ):
        for row in rows:
            values = {key: value for key, value in row.items() if key != "name"}
            organisation, _ = Organisation.objects.update_or_create(
                name=row["name"], defaults={"kind": kind, **values}
            )
            organisation.full_clean()
            organisations[organisation.name] = organisation

    logins = []
    for username, organisation_name, role in USERS:
        organisation = organisations[organisation_name] if organisation_name else None
        user, _ = User.objects.update_or_create(
            username=username,
            defaults={
                "email": f"{username}@tcfo.demo",
                "organisation": organisation,
                "role": role,
                "is_active": True,
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        logins.append(
            DemoLogin(username, DEMO_PASSWORD, Role(role).label, organisation_name or "-")
        )
    return logins
