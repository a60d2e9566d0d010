"""What the customer is told, by e-mail, after the change is committed."""

from __future__ import annotations

from django.template.loader import render_to_string

from organisations.emails import queue_email
from organisations.models import Organisation

from .models import Maintenance, Order


def customer_contacts(order: Order) -> list[str]:
    """The customer's billing address and the e-mail of each of its active users."""
    return organisation_contacts(order.customer)


def organisation_contacts(customer: Organisation) -> list[str]:
    """An organisation's billing address and the e-mail of each of its active users."""
    addresses = [customer.billing_email] if customer.billing_email else []
    addresses += (
        customer.users.filter(is_active=True).exclude(email="").values_list("email", flat=True)
    )
    return sorted(set(addresses))


def notify_order_state(order: Order, *, note: str = "") -> None:
    """Tell the customer the order's new state, with the step's ``note`` if it is one written
    for the customer (never an internal one)."""
    to = customer_contacts(order)
    if not to:
        return
    context = {"order": order, "quote": order.quote, "note": note}
    queue_email(
        to=to,
        subject=render_to_string("leasing/email/order_state_subject.txt", context),
        body=render_to_string("leasing/email/order_state.txt", context),
    )


def notify_maintenance(
    maintenance: Maintenance,
    *,
    kind: str,
    customer: Organisation,
    circuit_ids: list[str],
    note: str = "",
) -> None:
    """Tell ``customer`` of ``maintenance`` (``kind``: the event's last word, e.g. "scheduled"),
    naming only its own affected circuits (none: an update took them out of the work)."""
    to = organisation_contacts(customer)
    if not to:
        return
    context = {
        "maintenance": maintenance,
        "kind": kind,
        "customer": customer,
        "circuit_ids": circuit_ids,
        "note": note,
        "segments": [s.code for s in maintenance.segments.all()],
        "zone": customer.time_zone,
    }
    queue_email(
        to=to,
        subject=render_to_string("leasing/email/maintenance_subject.txt", context),
        body=render_to_string("leasing/email/maintenance.txt", context),
    )
