"""Finance staff's changes to a draft invoice: a manual line added, a line removed with a reason.
Issued invoices change only through credit notes."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction

from leasing.models import Path, Site
from organisations.access import Actor
from tcfo_portal.exceptions import DomainError
from tcfo_portal.money import round_money

from ..choices import InvoiceStatus, LineKind
from ..models import Invoice, InvoiceLine, LineAllocation, RemovedLine
from ..periods import period_of
from .acting import require_finance_of
from .tax_and_split import TaxAndSplit

LARGEST = Decimal(10) ** 13  # what an invoice line's amount column holds, with room for tax


def _locked_draft(invoice: Invoice) -> Invoice:
    invoice = (
        Invoice.objects.select_for_update()
        .select_related("billing_party", "customer")
        .get(pk=invoice.pk)
    )
    if invoice.status != InvoiceStatus.DRAFT:
        raise DomainError(
            f"Invoice {invoice} is {invoice.get_status_display().lower()}: "
            "it changes only through a credit note."
        )
    return invoice


@transaction.atomic
def add_manual_line(
    *,
    invoice: Invoice,
    description: str,
    quantity: Decimal,
    unit_price: Decimal,
    service_date: datetime.date,
    path: Path | None = None,
    site: Site | None = None,
    actor: Actor | None,
) -> InvoiceLine:
    """Add a line by hand to a draft: taxed and split between the operators like any other
    (by the route's ownership on ``service_date``, or to the site's owner)."""
    invoice = _locked_draft(invoice)
    by = require_finance_of(actor, invoice.billing_party)
    errors: dict[str, list[str]] = {}
    if not description.strip():
        errors["description"] = ["Say what the line is for."]
    if quantity <= 0:
        errors["quantity"] = ["Above zero."]
    if unit_price <= 0:
        errors["unit_price"] = ["Above zero: lower an invoice by removing a line instead."]
    if period_of(service_date) != invoice.period:
        errors["service_date"] = [f"A day of the invoice's period {invoice.period}."]
    if (path is None) == (site is None):
        errors["path"] = ["Name either the path or the site the revenue belongs to."]
    if errors:
        raise DomainError("The manual line is not valid.", errors=errors)
    amount = round_money(quantity * unit_price, invoice.currency)
    if amount <= 0:
        raise DomainError(
            "The line rounds to nothing.", errors={"unit_price": ["Too small to bill."]}
        )
    if amount >= LARGEST:
        raise DomainError(
            "The line is too large.",
            errors={"unit_price": [f"The amount must stay below {LARGEST:,}."]},
        )
    taxed = TaxAndSplit().line(
        amount=amount,
        currency=invoice.currency,
        billing_party=invoice.billing_party,
        customer=invoice.customer,
        taxed_on=service_date,
        path=path,
        site=site,
        first=service_date,
    )
    line = InvoiceLine.objects.create(
        invoice=invoice,
        kind=LineKind.MANUAL,
        description=description.strip(),
        quantity=quantity,
        unit_price=unit_price,
        amount=amount,
        tax_rate=taxed.tax_rate,
        tax_amount=taxed.tax_amount,
        tax_note=taxed.tax_note,
        service_date=service_date,
        path=path,
        site=site,
        added_by=by,
    )
    LineAllocation.objects.bulk_create(
        LineAllocation(line=line, operator=operator, amount=part)
        for operator, part in taxed.parts.items()
    )
    return line


@transaction.atomic
def remove_line(*, line: InvoiceLine, reason: str, actor: Actor | None) -> RemovedLine:
    """Take a line off a draft, keeping what it was and why; a rerun will not bill it again."""
    invoice = _locked_draft(line.invoice)
    by = require_finance_of(actor, invoice.billing_party)
    if not reason.strip():
        raise DomainError(
            "Say why the line is removed.", errors={"reason": ["This field is required."]}
        )
    line = InvoiceLine.objects.get(pk=line.pk, invoice=invoice)
    removed = RemovedLine.objects.create(
        invoice=invoice,
        source_key=line.source_key,
        kind=line.kind,
        description=line.description,
        amount=line.amount,
        reason=reason.strip()[:300],
        removed_by=by,
    )
    line.delete()
    return removed
