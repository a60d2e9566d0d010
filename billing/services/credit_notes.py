"""Credit notes: the only correction of an issued invoice. Each gives back amounts of the
invoice's lines (with their tax and each operator's part), under its own gapless sequence."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone

from organisations.access import Actor
from tcfo_portal.exceptions import DomainError, InvalidTransition
from tcfo_portal.formatting import format_money
from tcfo_portal.money import in_minor_units, is_in_minor_units
from tcfo_portal.pdf import render_pdf, sha256
from tcfo_portal.queue import after_commit

from .. import invoice_lifecycle
from ..choices import OPEN_STATUSES, InvoiceStatus, NumberSeries
from ..documents import DocumentTotals, totals_of
from ..events import credit_note_issued
from ..models import CreditAllocation, CreditNote, CreditNoteLine, Invoice, InvoiceLine
from ..split import largest_remainder
from .acting import require_finance_of
from .balances import balance_of, credited
from .invoices import billing_contacts, next_number
from .tax import tax_of

__all__ = [
    "credit_note_totals",
    "credited",
    "issue_credit_note",
    "left_to_credit",
    "mail_credit_note",
    "store_credit_note_pdf",
]

ZERO = Decimal("0.00")


def _net_left(line: InvoiceLine, credited: Decimal, currency: str) -> Decimal:
    """The net of ``line`` not credited yet, after ``credited``. A line that gives (an SLA
    credit, a negative amount) has nothing to credit: never less than nothing is left."""
    return max(ZERO, in_minor_units(line.amount - credited, currency))


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
    net = _net_left(line, sums["net"] or ZERO, currency)
    tax = max(ZERO, in_minor_units(line.tax_amount - (sums["tax"] or ZERO), currency))
    return net, tax, {op: in_minor_units(part, currency) for op, part in parts.items()}


def left_to_credit(invoice: Invoice) -> dict[int, Decimal]:
    """Net amount left to credit on each of ``invoice``'s lines that has any (by line id, in
    the invoice's order): a line that gives (an SLA credit) or is credited in full is left
    out, and no amount is ever negative (``_left``'s net, ``_net_left``, for every line at once).
    Two queries, however many lines."""
    credited_net = dict(
        CreditNoteLine.objects.filter(invoice_line__invoice=invoice)
        .values_list("invoice_line")
        .annotate(total=Sum("amount"))
        .values_list("invoice_line", "total")
    )
    left = {}
    for line in invoice.lines.order_by("pk"):
        net = _net_left(line, credited_net.get(line.pk, ZERO), invoice.currency)
        if net > 0:
            left[line.pk] = net
    return left


def _credit_of(line: InvoiceLine, amount: Decimal) -> tuple[Decimal, Decimal, dict[int, Decimal]]:
    """The VAT and each operator's part of crediting ``amount`` (net, valid) of ``line``."""
    net_left, tax_left, parts_left = _left(line)
    if amount == net_left:  # the rest of the line: exactly what is left of each part
        return tax_left, {op: part for op, part in parts_left.items() if part}
    tax = min(tax_left, tax_of(amount, line.tax_rate, line.invoice.currency))
    weights = {op: part for op, part in parts_left.items() if part > 0}
    return tax, largest_remainder(amount, weights, line.invoice.currency)


@transaction.atomic
def issue_credit_note(
    *, invoice: Invoice, amounts: dict[int, Decimal], reason: str, actor: Actor | None
) -> CreditNote:
    """Credit ``amounts`` (net, per invoice line id) of an issued invoice; its PDF is rendered
    once after the commit, then mailed to the customer's billing contacts.

    Only the billing party's finance staff (or a platform admin) may (``Forbidden``, 403). A
    draft is edited instead and a void invoice is credited in full already (409). Nothing is
    credited beyond what a line billed, and a credit note never over-pays the invoice: with its
    VAT it is at most the balance due (total - credited - paid), so money already received is
    never given back twice (``DomainError`` naming the lines, 400). A credit that leaves
    nothing due moves the invoice to paid, or to void when nothing was paid on it.
    """
    invoice = invoice_lifecycle.lock(invoice)
    by = require_finance_of(actor, invoice.billing_party)
    if invoice.status == InvoiceStatus.DRAFT:
        raise DomainError("Only issued invoices are corrected by a credit note; edit the draft.")
    if invoice.status not in (*OPEN_STATUSES, InvoiceStatus.PAID):
        raise InvalidTransition(f"Invoice {invoice.number} is void: nothing is left to credit.")
    if not reason.strip():
        raise DomainError("Say why the credit is given.", errors={"reason": ["Required."]})
    amounts = {pk: amount for pk, amount in amounts.items() if amount}
    if not amounts:
        raise DomainError("Credit at least one line.", errors={"lines": ["Nothing credited."]})
    lines = {
        line.pk: line
        for line in invoice.lines.select_related("invoice", "contract__service").prefetch_related(
            "allocations"
        )
    }
    errors: dict[str, list[str]] = {}
    plan = []
    for pk, amount in sorted(amounts.items()):
        line = lines.get(pk)
        if line is None:
            errors[f"line_{pk}"] = ["Not a line of this invoice."]
            continue
        net_left = _left(line)[0]
        if not net_left:
            errors[f"line_{pk}"] = ["Nothing is left to credit on this line."]
        elif not amount.is_finite() or amount > net_left:
            left = format_money(net_left, invoice.currency)
            errors[f"line_{pk}"] = [f"At most {left} is left to credit on this line."]
        elif amount < 0 or not is_in_minor_units(amount, invoice.currency):
            errors[f"line_{pk}"] = [f"A positive amount in {invoice.currency}, to the cent."]
        else:
            plan.append((line, amount))
    if errors:
        raise DomainError("The credit note is not valid.", errors=errors)
    credits = [(line, amount, *_credit_of(line, amount)) for line, amount in plan]
    balance = balance_of(invoice)
    given = sum((amount + tax for _, amount, tax, _ in credits), start=ZERO)
    if given > balance.due:
        detail = (
            f"With its VAT this credit note gives back {format_money(given, invoice.currency)},"
            f" but only {format_money(balance.due, invoice.currency)} is still due on"
            f" {invoice.number} ({format_money(balance.paid, invoice.currency)} is paid): a"
            " credit note never gives back money received."
        )
        at_most = format_money(balance.due, invoice.currency)
        raise DomainError(detail, errors={"lines": [f"At most {at_most}, VAT included."]})
    zone = zoneinfo.ZoneInfo(invoice.billing_party.time_zone)
    now = timezone.now()
    note = CreditNote.objects.create(
        invoice=invoice,
        number=next_number(invoice.billing_party, now.astimezone(zone).year, NumberSeries.CREDIT),
        reason=reason.strip()[:300],
        issued_at=now,
        issued_by=by,
    )
    note_lines = []
    for line, amount, tax, parts in credits:
        credit = CreditNoteLine.objects.create(
            credit_note=note, invoice_line=line, amount=amount, tax_amount=tax
        )
        note_lines.append(credit)
        CreditAllocation.objects.bulk_create(
            CreditAllocation(line=credit, operator_id=op, amount=part) for op, part in parts.items()
        )
    if given == balance.due:  # nothing left to pay: paid, or void when nothing ever was
        settled = InvoiceStatus.PAID if balance.paid > 0 else InvoiceStatus.VOID
        if settled != invoice.status:
            invoice_lifecycle.move(invoice, settled, by=by, note=f"Credit note {note.number}")
    credit_note_issued(note, invoice, note_lines)
    after_commit("billing.tasks.render_credit_note_pdf", note.pk)
    return note


def credit_note_totals(note: CreditNote) -> DocumentTotals:
    """The note's net, VAT and total as ``Money``: sums of its rounded lines."""
    return totals_of(note.lines.all(), note.invoice.currency)


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
    after_commit("billing.tasks.mail_credit_note", note.pk)
    return note


def mail_credit_note(*, note: CreditNote) -> int:
    """Send the credit note, its stored PDF attached, to the customer's billing contacts (as
    invoices are); nothing is sent before the PDF is stored or when there is nobody to tell."""
    invoice = note.invoice
    to = billing_contacts(invoice)
    if not to or not note.pdf:
        return 0
    message = EmailMessage(
        subject=f"Credit note {note.number} from {invoice.billing_party.name}",
        body=render_to_string(
            "billing/email/credit_note.txt", {"note": note, "totals": credit_note_totals(note)}
        ),
        to=to,
    )
    with note.pdf.open("rb") as pdf:
        message.attach(f"{note.number}.pdf", pdf.read(), "application/pdf")
    return message.send()
