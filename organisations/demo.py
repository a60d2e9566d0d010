"""Demo organisations and logins. Loading twice changes nothing but the demo passwords (reset).

Staff logins are enrolled in two-factor authentication with published TOTP secrets
(``demo_totp_secret``); ``manage.py totp_code <username>`` prints a login's current code."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from django.db import transaction

from .choices import OrganisationKind, Role
from .models import Organisation, User
from .two_factor import enrol_with_secret, is_staff_role

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
        "time_zone": "Asia/Baku",
        "billing_email": "finance@caspian-online.demo",
    },
    {
        "name": "Silk Route Carrier",
        "legal_name": "Silk Route Carrier GmbH",
        "country": "DE",
        "tax_number": "DE-DEMO-000000102",
        "address": "Demo address, Frankfurt am Main, Germany",
        "time_zone": "Europe/Berlin",
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


def demo_totp_secret(username: str) -> str:
    """The published TOTP secret of a demo staff login (base32): fixed, so reloading the demo
    keeps everyone's authenticator working. Demo data only, like the password."""
    digest = hashlib.sha1(f"tcfo-demo-totp:{username}".encode()).digest()  # noqa: S324
    return base64.b32encode(digest).decode()


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    organisation: str
    totp_secret: str = ""


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
        # Staff roles use two-factor authentication: the demo enrols them with known secrets.
        secret = demo_totp_secret(username) if is_staff_role(user) else ""
        if secret:
            enrol_with_secret(user=user, secret=secret)
        logins.append(
            DemoLogin(username, DEMO_PASSWORD, Role(role).label, organisation_name or "-", secret)
        )
    return logins
