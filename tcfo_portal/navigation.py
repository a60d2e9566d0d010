"""The portal's navigation: each entry shows to the actors holding its capability."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from leasing.services.orders import may_ask_for_quotes
from organisations.access import Actor, capabilities_of
from organisations.choices import Capability


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    capability: Capability | None = None
    # A further rule of the service behind the entry, for an actor holding the capability: the
    # entry shows only to whom the page's action is open (a platform admin quotes for nobody).
    shown_to: Callable[[Actor], bool] | None = None


NAVIGATION: list[NavEntry] = [
    NavEntry("Dashboard", "dashboard"),
    NavEntry("Catalog", "catalog", Capability.VIEW_CATALOG),
    NavEntry("Availability", "availability", Capability.VIEW_CATALOG),
    NavEntry("Network", "network", Capability.VIEW_CATALOG),
    NavEntry("Quotes", "quotes", Capability.PLACE_ORDERS),
    NavEntry("New quote", "quote-new", Capability.PLACE_ORDERS, may_ask_for_quotes),
    NavEntry("Orders", "orders", Capability.VIEW_OWN_SERVICES),
    NavEntry("Services", "services", Capability.VIEW_OWN_SERVICES),
    NavEntry("Contracts", "contracts", Capability.VIEW_OWN_SERVICES),
    NavEntry("Tickets", "tickets", Capability.VIEW_OWN_SERVICES),
    NavEntry("Invoices", "invoices", Capability.VIEW_OWN_INVOICES),
    NavEntry("Billing", "billing", Capability.RUN_BILLING),
    NavEntry("Usage upload", "usage-upload", Capability.INGEST_USAGE),
    # --- i15-c begin ---
    NavEntry("Usage decisions", "usage-decisions", Capability.VIEW_OWN_SERVICES),
    # --- i15-c end ---
    NavEntry("Utilisation", "utilisation", Capability.VIEW_INVENTORY),
    NavEntry("Outages", "outages", Capability.MANAGE_INVENTORY),
    NavEntry("Maintenance", "maintenance-list", Capability.MANAGE_INVENTORY),
    NavEntry("Planned work", "planned-work", Capability.VIEW_OWN_SERVICES),
    NavEntry("API keys", "api-keys", Capability.MANAGE_API_KEYS),
    NavEntry("Webhooks", "webhooks", Capability.MANAGE_WEBHOOKS),
    NavEntry("Events", "events"),
    NavEntry("Audit log", "audit-log", Capability.VIEW_AUDIT_LOG),
    NavEntry("Locked logins", "lockouts", Capability.ADMINISTER_PLATFORM),
    NavEntry("API docs", "api-docs"),
    NavEntry("Django admin", "admin:index", Capability.ADMINISTER_PLATFORM),
]


def navigation(request: HttpRequest) -> dict[str, object]:
    """Template context: ``nav`` entries for the current actor, the current one marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    held = capabilities_of(user)
    entries = [
        {"label": entry.label, "url": reverse(entry.url_name), "current": False}
        for entry in NAVIGATION
        if (entry.capability is None or entry.capability in held)
        and (entry.shown_to is None or entry.shown_to(user))
    ]
    # The current entry is the one whose address is the longest start of this page's.
    matching = [e for e in entries if request.path == e["url"] or request.path.startswith(e["url"])]
    matching = [e for e in matching if e["url"] != "/" or request.path == "/"]
    if matching:
        max(matching, key=lambda e: len(e["url"]))["current"] = True
    return {"nav": entries}
