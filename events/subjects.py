"""What an event is about, as a person reads it in the portal: a label in the domain's words
(``order 22``, ``maintenance MNT-000003``, ``invoice TCFO-2026-0001``) and a link to the portal
page of that object when there is one the reader may open (the API's address stays in the
event's data). Everything comes from the event's own row and data: no query per event."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

from organisations.choices import Capability

from .models import Event


@dataclass(frozen=True)
class SubjectLink:
    label: str
    url: str | None = None


@dataclass(frozen=True)
class _Kind:
    noun: str
    # the label's identifier from the event (its subject id when it returns None)
    name: Callable[[Event], Any]
    # (url name, args, capability) of the page, or None
    page: Callable[[Event], tuple[str, list[Any], Capability] | None]


def _data(event: Event, key: str) -> Any:
    return event.data.get(key) if isinstance(event.data, dict) else None


def _maintenance_page(event: Event) -> tuple[str, list[Any], Capability]:
    return ("maintenance", [event.subject_id], Capability.MANAGE_INVENTORY)


def _outage_page(event: Event) -> tuple[str, list[Any], Capability]:
    return ("outage", [event.subject_id], Capability.MANAGE_INVENTORY)


_KINDS: dict[str, _Kind] = {
    "order": _Kind(
        "order",
        lambda e: None,
        lambda e: ("order", [e.subject_id], Capability.VIEW_OWN_SERVICES),
    ),
    "service": _Kind(
        "service",
        lambda e: None,
        lambda e: ("service", [e.subject_id], Capability.VIEW_OWN_SERVICES),
    ),
    "invoice": _Kind(
        "invoice",
        lambda e: _data(e, "number"),
        lambda e: ("invoice", [e.subject_id], Capability.VIEW_OWN_INVOICES),
    ),
    "credit_note": _Kind(
        "credit note",
        lambda e: _data(e, "number"),
        lambda e: ("credit-note-pdf", [e.subject_id], Capability.VIEW_OWN_INVOICES),
    ),
    "debit_note": _Kind(
        "debit note",
        lambda e: _data(e, "number"),
        lambda e: ("debit-note-pdf", [e.subject_id], Capability.VIEW_OWN_INVOICES),
    ),
    "payment": _Kind(
        "payment",
        lambda e: None,
        # a payment shows on its invoice's page
        lambda e: (
            ("invoice", [_data(e, "invoice")], Capability.VIEW_OWN_INVOICES)
            if _data(e, "invoice")
            else None
        ),
    ),
    "trouble_ticket": _Kind(
        "ticket",
        lambda e: None,
        lambda e: ("ticket", [e.subject_id], Capability.VIEW_OWN_SERVICES),
    ),
    "maintenance": _Kind("maintenance", lambda e: _data(e, "reference"), _maintenance_page),
    "outage": _Kind(
        "outage",
        lambda e: f"{e.subject_id} on {_data(e, 'segment')}" if _data(e, "segment") else None,
        _outage_page,
    ),
    "webhook": _Kind(
        "webhook",
        lambda e: None,
        lambda e: ("webhook", [e.subject_id], Capability.MANAGE_WEBHOOKS),
    ),
}

# Maintenance and outages are network staff's pages; a customer reads them on Planned work.
_CUSTOMER_VIEW = {"maintenance", "outage"}

# The kinds of object events are about, for the portal's filter.
SUBJECT_TYPES: list[tuple[str, str]] = [
    (key, kind.noun.capitalize()) for key, kind in _KINDS.items()
]


def subject_link(event: Event, held: Collection[Capability]) -> SubjectLink:
    """The label and portal link of ``event``'s subject for a reader holding ``held``."""
    kind = _KINDS.get(event.subject_type)
    if kind is None:
        return SubjectLink(f"{event.subject_type.replace('_', ' ')} {event.subject_id}")
    label = f"{kind.noun} {kind.name(event) or event.subject_id}"
    page = kind.page(event)
    if page is not None and page[2] not in held and event.subject_type in _CUSTOMER_VIEW:
        page = ("planned-work", [], Capability.VIEW_OWN_SERVICES)
    if page is None or page[2] not in held:
        return SubjectLink(label)
    try:
        return SubjectLink(label, reverse(page[0], args=page[1]))
    except NoReverseMatch:  # an id the page's URL cannot take
        return SubjectLink(label)
