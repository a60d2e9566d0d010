"""Payments against issued invoices, their reversal, what is still owed, and its age.

An invoice's balance due is its total less what its credit notes gave back less what was paid
(payments not reversed). Payments move it along its lifecycle: issued -> partially paid ->
paid, and a reversal moves it back.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from organisations.access import Actor
from organisations.models import Organisation
from tcfo_portal.exceptions import DomainError, InvalidTransition
from tcfo_portal.formatting import format_date, format_money
from tcfo_portal.money import is_in_minor_units

from .. import invoice_lifecycle
from ..choices import OPEN_STATUSES, InvoiceStatus
from ..events import payment_recorded, payment_reversed
from ..models import Invoice, Payment, PaymentReversal
from ..periods import local_date
from .acting import require_finance_of
from .balances import BALANCE_PREFETCH, Balance, balance_of, credited, paid_so_far

# (fewest days overdue, most, name): "current" is not yet due (due today or later), apart from
# what is overdue, so a report never calls an invoice due next month "0-30 days overdue".
AGING_BUCKETS = (
    (0, 0, "current"),
    (1, 30, "1-30"),
    (31, 60, "31-60"),
    (61, 90, "61-90"),
    (91, None, "90+"),
)
AGING_LABELS = {
    "current": "Not yet due",
    "1-30": "1-30 days overdue",
    "31-60": "31-60 days overdue",
    "61-90": "61-90 days overdue",
    "90+": "More than 90 days overdue",
}
# Before the "current" bucket, "0-30" held both what was not yet due and up to 30 days overdue.
LEGACY_AGING_BUCKETS = {"0-30": ("current", "1-30")}
ZERO = Decimal("0.00")

__all__ = [
    "AGING_BUCKETS",
    "AGING_LABELS",
    "LEGACY_AGING_BUCKETS",
    "Aging",
    "AgingRow",
    "Balance",
    "aging",
    "balance_of",
    "credited",
    "paid_so_far",
    "record_payment",
    "reverse_payment",
]


def _follow_balance(invoice: Invoice, *, by: str, note: str) -> Balance:
    """Move the locked ``invoice`` to the state its payments put it in, if that changed;
    returns its balance now."""
    balance = balance_of(invoice)
    wanted = invoice_lifecycle.state_after_payment(total_owed=balance.owed, paid=balance.paid)
    if wanted != invoice.status:
        invoice_lifecycle.move(invoice, wanted, by=by, note=note)
    return balance


def _check_amount(amount: object, currency: str) -> Decimal:
    try:
        valid = isinstance(amount, Decimal) and amount.is_finite()
        valid = valid and is_in_minor_units(amount, currency)
    except InvalidOperation:  # too many digits to quantize
        valid = False
    if not valid:
        raise DomainError(
            "A payment is an amount to the cent.",
            errors={"amount": [f"An amount in {currency}, to the cent."]},
        )
    if amount <= 0:
        raise DomainError("A payment is a positive amount.", errors={"amount": ["Above zero."]})
    return amount


def _check_received_on(received_on: object, invoice: Invoice) -> datetime.date:
    """Not in the future where the billing party is, and not before the invoice was issued."""
    if not isinstance(received_on, datetime.date) or isinstance(received_on, datetime.datetime):
        raise DomainError(
            "Give the day the money was received.",
            errors={"received_on": ["A date, YYYY-MM-DD."]},
        )
    zone = invoice.billing_party.time_zone
    today = local_date(timezone.now(), zone)
    if received_on > today:
        raise DomainError(
            f"A payment cannot be received after today ({today} in {zone}).",
            errors={"received_on": [f"On or before {today}."]},
        )
    issued_on = local_date(invoice.issued_at, zone)
    if received_on < issued_on:
        raise DomainError(
            f"{invoice.number} was issued on {issued_on}; a payment of it is received after.",
            errors={"received_on": [f"On or after {issued_on}, the invoice's issue date."]},
        )
    return received_on


@transaction.atomic
def record_payment(
    *,
    invoice: Invoice,
    amount: Decimal,
    received_on: datetime.date,
    reference: str,
    actor: Actor | None,
) -> Payment:
    """Record money received against an issued invoice that is not paid in full.

    Only the billing party's finance staff (or a platform admin) may (``Forbidden``, 403). The
    amount is positive, to the cent and at most the balance due (total - credited - paid); the
    day is neither in the future in the billing party's time zone nor before the issue date
    (``DomainError`` naming the field, 400). The invoice becomes partially paid, or paid once
    nothing is due; each step is recorded with who took it.
    """
    invoice = invoice_lifecycle.lock(invoice)
    by = require_finance_of(actor, invoice.billing_party)
    if invoice.status not in OPEN_STATUSES:
        state = InvoiceStatus(invoice.status).label.lower()
        raise InvalidTransition(
            f"Payments are recorded against issued, unpaid invoices; this one is {state}."
        )
    amount = _check_amount(amount, invoice.currency)
    received_on = _check_received_on(received_on, invoice)
    due = balance_of(invoice).due
    if amount > due:
        raise DomainError(
            f"Only {format_money(due, invoice.currency)} is owed on {invoice.number}.",
            errors={"amount": [f"At most {format_money(due, invoice.currency)}."]},
        )
    reference = (reference or "").strip()
    if len(reference) > 100:
        raise DomainError("The reference is too long.", errors={"reference": ["100 characters."]})
    payment = Payment.objects.create(
        invoice=invoice,
        amount=amount,
        received_on=received_on,
        reference=reference,
        recorded_by=by,
    )
    balance = _follow_balance(
        invoice,
        by=by,
        note=f"Payment of {format_money(amount, invoice.currency)} received"
        f" {format_date(received_on)}" + (f" ({reference})" if reference else ""),
    )
    payment_recorded(payment, invoice, balance_due=balance.due)
    return payment


@transaction.atomic
def reverse_payment(*, payment: Payment, reason: str, actor: Actor | None) -> PaymentReversal:
    """Take back a payment recorded in error (wrong invoice, amount or bounced transfer).

    Only the billing party's finance staff (or a platform admin) may (``Forbidden``, 403); a
    reason is required (400) and a payment is reversed once (409). The payment stays listed, as
    reversed with who, when and why, and no longer counts: the invoice moves back to partially
    paid or issued. A correct payment is then recorded anew.
    """
    invoice = invoice_lifecycle.lock(payment.invoice)
    by = require_finance_of(actor, invoice.billing_party)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the payment is reversed.", errors={"reason": ["Required."]})
    if len(reason) > 300:
        raise DomainError("The reason is too long.", errors={"reason": ["300 characters."]})
    if PaymentReversal.objects.filter(payment=payment).exists():
        raise InvalidTransition("This payment is reversed already.")
    reversal = PaymentReversal.objects.create(payment=payment, reason=reason, reversed_by=by)
    balance = _follow_balance(
        invoice,
        by=by,
        note=f"Payment of {format_money(payment.amount, invoice.currency)} of"
        f" {format_date(payment.received_on)} reversed: {reason}",
    )
    payment_reversed(
        payment, invoice, reason=reason, at=reversal.reversed_at, balance_due=balance.due
    )
    return reversal


@dataclass
class AgingRow:
    invoice: Invoice
    owed: Decimal
    days_overdue: int
    bucket: str

    @property
    def bucket_label(self) -> str:
        """What people read for the bucket: "Not yet due", "1-30 days overdue", …"""
        return AGING_LABELS[self.bucket]

    @property
    def not_yet_due(self) -> bool:
        return self.bucket == "current"


@dataclass
class Aging:
    rows: list[AgingRow] = field(default_factory=list)

    def totals(self) -> dict[tuple[str, str], Decimal]:
        """Owed per (currency, bucket)."""
        result: dict[tuple[str, str], Decimal] = {}
        for row in self.rows:
            key = (row.invoice.currency, row.bucket)
            result[key] = result.get(key, ZERO) + row.owed
        return result


def aging(*, billing_party: Organisation | None, on: datetime.date | None = None) -> Aging:
    """Open invoices (issued or partially paid) by days past their due date on the day ``on``,
    or by default today where each invoice's billing party is, with their balance due. An
    invoice due that day or later counts 0 days and sits in the "current" (not yet due) bucket;
    from the day after its due date it is overdue (1 day, bucket "1-30", …)."""
    now = timezone.now()
    invoices = Invoice.objects.filter(status__in=OPEN_STATUSES).select_related(
        "customer", "billing_party"
    )
    if billing_party is not None:
        invoices = invoices.filter(billing_party=billing_party)
    invoices = invoices.prefetch_related("lines", *BALANCE_PREFETCH)
    report = Aging()
    for invoice in invoices.order_by("due_date", "pk"):
        owed = balance_of(invoice).due
        if owed <= 0:
            continue
        today = on or local_date(now, invoice.billing_party.time_zone)
        overdue = max(0, (today - invoice.due_date).days)
        bucket = next(name for _, high, name in AGING_BUCKETS if high is None or overdue <= high)
        report.rows.append(AgingRow(invoice, owed, overdue, bucket))
    return report
