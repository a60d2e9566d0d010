"""What an issued invoice's customer still owes: total - credited - paid.

Reads only. Pages and the API prefetch ``payments`` (with ``reversal`` selected) and
``credit_notes__lines`` so a list computes every balance without a query per invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Sum

from tcfo_portal.money import in_minor_units

from ..models import CreditNoteLine, Invoice, Payment
from .runs import invoice_totals

ZERO = Decimal("0.00")

#: What ``balance_of`` reads, to prefetch with a list of invoices (with their ``lines``).
BALANCE_PREFETCH = (
    Prefetch("payments", Payment.objects.select_related("reversal")),
    "credit_notes__lines",
)


def _prefetched(invoice: Invoice, name: str) -> bool:
    return name in getattr(invoice, "_prefetched_objects_cache", {})


def credited(invoice: Invoice) -> Decimal:
    """Net plus tax given back on ``invoice`` by its credit notes."""
    if _prefetched(invoice, "credit_notes"):
        given = sum(
            (
                line.amount + line.tax_amount
                for note in invoice.credit_notes.all()
                for line in note.lines.all()
            ),
            start=ZERO,
        )
        return in_minor_units(given, invoice.currency)
    sums = CreditNoteLine.objects.filter(credit_note__invoice=invoice).aggregate(
        net=Sum("amount"), tax=Sum("tax_amount")
    )
    return in_minor_units((sums["net"] or ZERO) + (sums["tax"] or ZERO), invoice.currency)


def paid_so_far(invoice: Invoice) -> Decimal:
    """What was paid on ``invoice``: its payments that were not reversed."""
    if _prefetched(invoice, "payments"):
        paid = sum((p.amount for p in invoice.payments.all() if not p.is_reversed), start=ZERO)
    else:
        paid = (
            invoice.payments.filter(reversal__isnull=True).aggregate(total=Sum("amount"))["total"]
            or ZERO
        )
    return in_minor_units(paid, invoice.currency)


@dataclass(frozen=True)
class Balance:
    """Where an invoice stands: its total, what credit notes gave back, what was paid."""

    currency: str
    total: Decimal
    credited: Decimal
    paid: Decimal

    @property
    def owed(self) -> Decimal:
        """What the customer owes once credit notes are taken off: total - credited."""
        return self.total - self.credited

    @property
    def due(self) -> Decimal:
        """The balance due: total - credited - paid."""
        return self.total - self.credited - self.paid


def balance_of(invoice: Invoice) -> Balance:
    """``invoice``'s balance, from the prefetch cache where its relations are prefetched."""
    return Balance(
        currency=invoice.currency,
        total=invoice_totals(invoice).total.amount,
        credited=credited(invoice),
        paid=paid_so_far(invoice),
    )
