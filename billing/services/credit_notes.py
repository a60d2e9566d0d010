"""Credit notes: the only correction of an issued invoice. Each gives back amounts of the
invoice's lines (with their tax and each operator's part), under its own gapless sequence."""

from __future__ import annotations

import zoneinfo
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from tcfo_portal.exceptions import DomainError
from tcfo_portal.money import in_minor_units, minor_unit
from tcfo_portal.pdf import render_pdf, sha256

from ..choices import InvoiceStatus
from ..models import CreditAllocation, CreditNote, CreditNoteLine, Invoice, InvoiceLine
from ..split import largest_remainder
from .invoices import next_number

ZERO = Decimal("0.00")


def credited(invoice: Invoice) -> Decimal:
    """Net plus tax given back on ``invoice`` by its credit notes."""
    sums = CreditNoteLine.objects.filter(credit_note__invoice=invoice).aggregate(
        net=Sum("amount"), tax=Sum("tax_amount")
    )
    return in_minor_units((sums["net"] or ZERO) + (sums["tax"] or ZERO), invoice.currency)


def _left(line: InvoiceLine) -> tuple[Decimal, Decimal, dict[int, Decimal]]:
    """What of a line is not credited yet: net, tax and each operator's part."""
    sums = line.credits.aggregate(net=Sum("amount"), tax=Sum("tax_amount"))
    parts = {a.operator_id: a.amount for a in line.allocations.all()}
    for row in (
        CreditAllocation.objects.filter(line__invoice_line=line)
        .values("operator")
        .annotate(total=Sum("amount"))
    ):
        parts[row["operator"]] -= row["total"]
    currency = line.invoice.currency
    net = in_minor_units(line.amount - (sums["net"] or ZERO), currency)
    tax = in_minor_units(line.tax_amount - (sums["tax"] or ZERO), currency)
    return net, tax, {op: in_minor_units(part, currency) for op, part in parts.items()}


@transaction.atomic
def issue_credit_note(
    *, invoice: Invoice, amounts: dict[int, Decimal], reason: str, by: str
) -> CreditNote:
    """Credit ``amounts`` (net, per invoice line id) of an issued invoice; its PDF is rendered
    once after the commit. Nothing is credited beyond what a line billed."""
    invoice = Invoice.objects.select_for_update().select_related("billing_party").get(pk=invoice.pk)
    if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PAID):
        raise DomainError("Only issued invoices are corrected by a credit note; edit the draft.")
    if not reason.strip():
        raise DomainError("Say why the credit is given.", errors={"reason": ["Required."]})
    amounts = {pk: amount for pk, amount in amounts.items() if amount}
    if not amounts:
        raise DomainError("Credit at least one line.", errors={"lines": ["Nothing credited."]})
    cent = minor_unit(invoice.currency)
    lines = {
        line.pk: line
        for line in invoice.lines.select_related("invoice").prefetch_related("allocations")
    }
    errors: dict[str, list[str]] = {}
    plan = []
    for pk, amount in sorted(amounts.items()):
        line = lines.get(pk)
        if line is None:
            errors[f"line_{pk}"] = ["Not a line of this invoice."]
            continue
        net_left, tax_left, parts_left = _left(line)
        if not amount.is_finite() or amount > net_left:
            errors[f"line_{pk}"] = [f"At most {net_left} is left to credit on this line."]
        elif amount < 0 or amount != amount.quantize(cent):
            errors[f"line_{pk}"] = [f"A positive amount in {invoice.currency}, to the cent."]
        else:
            plan.append((line, amount, net_left, tax_left, parts_left))
    if errors:
        raise DomainError("The credit note is not valid.", errors=errors)
    zone = zoneinfo.ZoneInfo(invoice.billing_party.time_zone)
    now = timezone.now()
    note = CreditNote.objects.create(
        invoice=invoice,
        number=next_number(invoice.billing_party, now.astimezone(zone).year, "credit"),
        reason=reason.strip()[:300],
        issued_at=now,
        issued_by=by,
    )
    for line, amount, net_left, tax_left, parts_left in plan:
        if amount == net_left:  # the rest of the line: exactly what is left of each part
            tax, parts = tax_left, {op: part for op, part in parts_left.items() if part}
        else:
            tax = min(tax_left, (amount * line.tax_rate / 100).quantize(cent, ROUND_HALF_UP))
            weights = {op: part for op, part in parts_left.items() if part > 0}
            parts = largest_remainder(amount, weights, invoice.currency)
        credit = CreditNoteLine.objects.create(
            credit_note=note, invoice_line=line, amount=amount, tax_amount=tax
        )
        CreditAllocation.objects.bulk_create(
            CreditAllocation(line=credit, operator_id=op, amount=part) for op, part in parts.items()
        )
    from ..tasks import render_credit_note_pdf

    transaction.on_commit(lambda: render_credit_note_pdf.delay(note.pk))
    return note


def credit_note_totals(note: CreditNote) -> dict[str, Decimal]:
    lines = list(note.lines.all())
    net = sum((line.amount for line in lines), start=ZERO)
    tax = sum((line.tax_amount for line in lines), start=ZERO)
    return {"subtotal": net, "tax": tax, "total": net + tax}


@transaction.atomic
def store_credit_note_pdf(*, note: CreditNote) -> CreditNote:
    """Render the credit note's PDF unless stored already (it is rendered once)."""
    note = (
        CreditNote.objects.select_for_update(of=("self",))
        .select_related("invoice__billing_party", "invoice__customer")
        .get(pk=note.pk)
    )
    if note.pdf:
        return note
    pdf = render_pdf(
        "billing/pdf/credit_note.html",
        {
            "note": note,
            "lines": list(note.lines.select_related("invoice_line")),
            "totals": credit_note_totals(note),
        },
    )
    note.pdf.save(f"{note.number}.pdf", ContentFile(pdf), save=False)
    note.pdf_sha256 = sha256(pdf)
    note.save(update_fields=["pdf", "pdf_sha256"])
    return note
