"""The invoice lifecycle: which state may follow which, and the record of every step.

    draft ──> issued ──> partially_paid ──> paid
                │  ^───────────┘ ^──────────┘     (a payment reversed)
                └──> void                          (credited in full before any payment)

An invoice's state changes only through ``move``, which refuses any step not in ``ALLOWED`` and
records who took it, when and why. Call it on an invoice locked in the current transaction.
"""

from __future__ import annotations

from django.db import transaction

from tcfo_portal.exceptions import InvalidTransition

from .choices import InvoiceStatus
from .models import Invoice, InvoiceTransition

ALLOWED: dict[str, frozenset[str]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.ISSUED}),
    InvoiceStatus.ISSUED: frozenset(
        {InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID, InvoiceStatus.VOID}
    ),
    InvoiceStatus.PARTIALLY_PAID: frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PAID}),
    InvoiceStatus.PAID: frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID}),
    InvoiceStatus.VOID: frozenset(),
}


def lock(invoice: Invoice) -> Invoice:
    """The invoice, re-read under a row lock for the rest of the transaction."""
    return (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("billing_party", "customer")
        .get(pk=invoice.pk)
    )


def check(invoice: Invoice, to_state: str) -> None:
    """Raise ``InvalidTransition`` (409) unless ``invoice`` may go to ``to_state``."""
    if to_state not in ALLOWED[invoice.status]:
        current = InvoiceStatus(invoice.status).label.lower()
        wanted = InvoiceStatus(to_state).label.lower()
        raise InvalidTransition(f"An invoice that is {current} cannot become {wanted}.")


@transaction.atomic
def move(invoice: Invoice, to_state: str, *, by: str, note: str = "", **changes: object) -> Invoice:
    """Move ``invoice`` (locked with ``lock``) to ``to_state``, saving ``changes`` with it."""
    check(invoice, to_state)
    from_state = invoice.status
    invoice.status = to_state
    for field, value in changes.items():
        setattr(invoice, field, value)
    invoice.save(update_fields=["status", *changes])
    InvoiceTransition.objects.create(
        invoice=invoice, from_state=from_state, to_state=to_state, by=by, note=note
    )
    return invoice


def state_after_payment(*, total_owed: object, paid: object) -> str:
    """The state an issued invoice is in given what is owed on it (net of credit notes) and
    what was paid: paid in full, partly, or not at all."""
    if paid <= 0:
        return InvoiceStatus.ISSUED
    if paid >= total_owed:
        return InvoiceStatus.PAID
    return InvoiceStatus.PARTIALLY_PAID
