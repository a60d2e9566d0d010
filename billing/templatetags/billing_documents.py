"""Template tags of invoices and credit notes (page and PDFs): see ``billing.documents``."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django import template

from ..documents import LineBasis, TaxRow, line_basis, plain, tax_summary
from ..models import CreditNoteLine, InvoiceLine

register = template.Library()


@register.simple_tag
def basis_of(line: InvoiceLine, period: str, currency: str) -> LineBasis:
    """``{% basis_of line invoice.period invoice.currency as basis %}``"""
    return line_basis(line, period=period, currency=currency)


@register.simple_tag
def invoice_tax_summary(lines: Iterable[InvoiceLine]) -> list[TaxRow]:
    """``{% invoice_tax_summary lines as summary %}``: per rate, base and VAT of the lines."""
    return tax_summary(
        (line.tax_rate, line.tax_note, line.amount, line.tax_amount) for line in lines
    )


@register.simple_tag
def credit_tax_summary(lines: Iterable[CreditNoteLine]) -> list[TaxRow]:
    """``{% credit_tax_summary lines as summary %}``: per rate, net and VAT given back."""
    return tax_summary(
        (line.invoice_line.tax_rate, line.invoice_line.tax_note, line.amount, line.tax_amount)
        for line in lines
    )


@register.filter(name="plain")
def plain_number(number: object) -> str:
    """``{{ line.tax_rate|plain }}``: 18, 0.45, 10 (``normalize`` would print 1E+1)."""
    return plain(number) if isinstance(number, Decimal) else str(number)
