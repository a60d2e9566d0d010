"""Payments against issued invoices, and what is still owed by age."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from organisations.models import Organisation
from tcfo_portal.exceptions import DomainError

from ..choices import InvoiceStatus
from ..models import Invoice, Payment
from .credit_notes import credited
from .runs import invoice_totals

AGING_BUCKETS = ((0, 30, "0-30"), (31, 60, "31-60"), (61, 90, "61-90"), (91, None, "90+"))


def paid_so_far(invoice: Invoice) -> Decimal:
    return invoice.payments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


@transaction.atomic
def record_payment(
    *, invoice: Invoice, amount: Decimal, received_on: datetime.date, reference: str, by: str
) -> Payment:
    """Record money received; the invoice is paid once payments reach its total."""
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.ISSUED:
        raise DomainError(
            f"Payments are recorded against issued, unpaid invoices, not {invoice.status} ones."
        )
    if amount <= 0:
        raise DomainError("A payment is a positive amount.", errors={"amount": ["Above zero."]})
    owed = invoice_totals(invoice)["total"] - credited(invoice) - paid_so_far(invoice)
    if amount > owed:
        raise DomainError(
            f"Only {owed} {invoice.currency} is owed on {invoice.number}.",
            errors={"amount": [f"At most {owed}."]},
        )
    payment = Payment.objects.create(
        invoice=invoice, amount=amount, received_on=received_on, reference=reference, recorded_by=by
    )
    if amount == owed:
        invoice.status = InvoiceStatus.PAID
        invoice.save(update_fields=["status"])
    return payment


@dataclass
class AgingRow:
    invoice: Invoice
    owed: Decimal
    days_overdue: int
    bucket: str


@dataclass
class Aging:
    rows: list[AgingRow] = field(default_factory=list)

    def totals(self) -> dict[tuple[str, str], Decimal]:
        """Owed per (currency, bucket)."""
        result: dict[tuple[str, str], Decimal] = {}
        for row in self.rows:
            key = (row.invoice.currency, row.bucket)
            result[key] = result.get(key, Decimal("0.00")) + row.owed
        return result


def aging(*, billing_party: Organisation | None, on: datetime.date) -> Aging:
    """Issued invoices not paid in full, by days past their due date (not yet due counts 0)."""
    invoices = Invoice.objects.filter(status=InvoiceStatus.ISSUED).select_related("customer")
    if billing_party is not None:
        invoices = invoices.filter(billing_party=billing_party)
    report = Aging()
    for invoice in invoices.prefetch_related("lines", "payments").order_by("due_date", "pk"):
        owed = (
            invoice_totals(invoice)["total"]
            - credited(invoice)
            - sum((p.amount for p in invoice.payments.all()), start=Decimal("0.00"))
        )
        if owed <= 0:
            continue
        overdue = max(0, (on - invoice.due_date).days)
        bucket = next(name for low, high, name in AGING_BUCKETS if high is None or overdue <= high)
        report.rows.append(AgingRow(invoice, owed, overdue, bucket))
    return report
