"""What the customer is told, by e-mail, after the change is committed."""

from __future__ import annotations

from django.template.loader import render_to_string

from organisations.emails import queue_email

from .models import Order


def customer_contacts(order: Order) -> list[str]:
    """The customer's billing address and the e-mail of each of its active users."""
    customer = order.customer
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
