"""What invoices and credit notes print so a clerk can check them by hand.

Pure functions, no ORM (they read attributes of lines already loaded):

- ``line_basis``: a line's quantity and unit price such that quantity x unit price, rounded
  half-up once to the minor unit, is exactly the line's amount. A prorated monthly charge
  shows its days (``17/31 days`` x 10500 = 5758.06), never a rounded fraction that does not
  multiply to the amount (0.5484 x 10500 = 5758.20). A line no basis explains exactly is shown
  as a lump sum (1 x its amount).
- ``tax_summary``: per VAT rate (and legal note), the taxable base and the VAT; the bases add
  up to the subtotal and the VAT amounts to the tax, as both are sums of rounded lines.
- ``totals_of``: a document's subtotal, VAT and total as ``Money``, sums of its rounded lines
  (``invoice_totals``, ``credit_note_totals`` and ``debit_note_totals`` are this).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tcfo_portal.formatting import format_number
from tcfo_portal.money import Money, round_money

from .choices import LineKind
from .periods import PeriodError, period_days

#: Lines rated as a monthly quantity prorated by the days the service ran.
PRORATED_KINDS = frozenset({LineKind.MRC, LineKind.TRANSIT_COMMIT})
ZERO = Decimal("0.00")


def plain(number: Decimal) -> str:
    """A decimal without trailing zeros nor exponent: 10500, 0.45, 1."""
    text = f"{number:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class LineBasis:
    """How a line's amount is reached: ``quantity`` x ``unit_price`` = the amount."""

    quantity: str
    unit_price: str
    days: tuple[int, int] | None = None  # (days billed, days of the period) when prorated

    def __str__(self) -> str:
        return f"{self.quantity} x {self.unit_price}"

    @property
    def quantity_text(self) -> str:
        """The quantity as people read it, thousands grouped: ``2,000 x 16/31 days``,
        ``1,234.5678``, ``17/31 days``."""
        head, sep, tail = self.quantity.partition(" x ")
        if not sep and "/" in head:
            return self.quantity
        return f"{format_number(head)}{sep}{tail}"


def covered_days(
    first: datetime.date, until: datetime.date | None, period: str
) -> tuple[int, int] | None:
    """The days from ``first`` to ``until`` (inclusive) within the period, and the period's
    days; None when the line has no span or the period is not a month."""
    if until is None:
        return None
    try:
        start, end = period_days(period)
    except PeriodError:
        return None
    first, until = max(first, start), min(until, end)
    if until < first:
        return None
    return (until - first).days + 1, (end - start).days + 1


def line_basis(line: object, *, period: str, currency: str) -> LineBasis:
    """The basis to print for ``line`` (an invoice line: ``kind``, ``quantity``,
    ``unit_price``, ``amount``, ``service_date``, ``service_until``)."""
    quantity: Decimal = line.quantity
    unit_price: Decimal = line.unit_price
    amount: Decimal = line.amount
    span = covered_days(line.service_date, getattr(line, "service_until", None), period)
    if line.kind in PRORATED_KINDS and span is not None and span[0] < span[1]:
        days, month_days = span
        fraction = Decimal(days) / Decimal(month_days)
        # The monthly quantity the rated (rounded) fraction came from: 1 for a lease's MRC,
        # the committed Mbit/s for transit.
        monthly = quantity * month_days / days
        for places in ("1", "0.1", "0.01", "0.001", "0.0001"):
            candidate = monthly.quantize(Decimal(places), ROUND_HALF_UP)
            if candidate > 0 and round_money(candidate * unit_price * fraction, currency) == amount:
                share = f"{days}/{month_days} days"
                shown = share if candidate == 1 else f"{plain(candidate)} x {share}"
                return LineBasis(shown, plain(unit_price), (days, month_days))
    if round_money(quantity * unit_price, currency) == amount:
        return LineBasis(plain(quantity), plain(unit_price))
    return LineBasis("1", plain(amount))


@dataclass(frozen=True)
class TaxRow:
    """One VAT rate of a document: the net amounts taxed at it, and the VAT."""

    rate: Decimal
    note: str
    base: Decimal
    tax: Decimal

    @property
    def rate_text(self) -> str:
        return f"{plain(self.rate)}%"

    @property
    def legal_note(self) -> str:
        """The note printed beside the rate when it says more than the rate (the reverse
        charge wording); empty for a plain ``VAT 18%``."""
        return "" if self.note in ("", f"VAT {self.rate_text}") else self.note

    @property
    def label(self) -> str:
        """The legal note (``VAT 18%``, the reverse charge wording), with the rate if it does
        not say it."""
        label = self.note or f"VAT {self.rate_text}"
        return label if self.rate_text in label else f"{label} ({self.rate_text})"


def tax_summary(rows: Iterable[tuple[Decimal, str, Decimal, Decimal]]) -> list[TaxRow]:
    """Per (rate, legal note), in rate order: the sum of the net amounts and of the VAT of
    ``rows`` given as (rate, note, net, vat)."""
    sums: dict[tuple[Decimal, str], tuple[Decimal, Decimal]] = {}
    for rate, note, net, vat in rows:
        base, tax = sums.get((rate, note), (ZERO, ZERO))
        sums[(rate, note)] = (base + net, tax + vat)
    return [
        TaxRow(rate, note, base, tax)
        for (rate, note), (base, tax) in sorted(sums.items(), key=lambda item: item[0])
    ]


@dataclass(frozen=True)
class DocumentTotals:
    """What an invoice, credit note or debit note adds up to, in its currency: the net amounts
    (``subtotal``), their VAT (``tax``) and both (``total``); each a sum of rounded lines, so
    never rounded again."""

    subtotal: Money
    tax: Money
    total: Money


def totals_of(lines: Iterable[object], currency: str) -> DocumentTotals:
    """The totals of a document's ``lines`` (each with ``amount`` and ``tax_amount``)."""
    lines = list(lines)
    net = sum((line.amount for line in lines), start=ZERO)
    tax = sum((line.tax_amount for line in lines), start=ZERO)
    return DocumentTotals(Money(net, currency), Money(tax, currency), Money(net + tax, currency))
