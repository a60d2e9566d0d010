"""Debit notes: billing what a closed month's late data adds, without touching the issued invoice.

Finance staff of the billing party decide each open late adjustment: bill it (a positive amount
becomes a line of a debit note against the month's issued invoice, with its own gapless
sequence and PDF; a negative one is given back by a credit note on the line it corrects) or
dismiss it with a reason. Either way who did it and when is kept on the adjustment.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from organisations.access import Actor
from tcfo_portal.exceptions import DomainError, InvalidTransition
from tcfo_portal.pdf import render_pdf, sha256
from tcfo_portal.queue import after_commit

from ..choices import InvoiceStatus, LateKind, LateStatus, LineKind, NumberSeries
from ..documents import DocumentTotals, totals_of
from ..events import debit_note_issued
from ..models import (
    CreditNote,
    DebitAllocation,
    DebitNote,
    DebitNoteLine,
    Invoice,
    LateAdjustment,
)
from ..periods import period_days
from .acting import require_finance_of
from .credit_notes import issue_credit_note
from .invoices import billing_contacts, next_number
from .tax_and_split import TaxAndSplit

LINE_OF_KIND = {LateKind.USAGE: LineKind.TRANSIT_BURST, LateKind.OUTAGE: LineKind.SLA_CREDIT}


def _locked_open(adjustment: LateAdjustment) -> LateAdjustment:
    adjustment = (
        LateAdjustment.objects.select_for_update(of=("self",))
        .select_related(
            "contract__service__path",
            "contract__service__site",
            "contract__billing_party",
            "contract__customer",
        )
        .get(pk=adjustment.pk)
    )
    if adjustment.status != LateStatus.OPEN:
        raise InvalidTransition(f"This late adjustment is {adjustment.get_status_display()}.")
    return adjustment


def _invoice_of(adjustment: LateAdjustment) -> Invoice:
    contract = adjustment.contract
    invoice = (
        Invoice.objects.filter(
            billing_party=contract.billing_party,
            customer=contract.customer,
            period=adjustment.period,
            currency=contract.currency,
        )
        .exclude(status=InvoiceStatus.DRAFT)
        .first()
    )
    if invoice is None:
        raise DomainError(f"No issued invoice of {adjustment.period} bills {contract}.")
    return invoice


@transaction.atomic
def dismiss_late_adjustment(
    *, adjustment: LateAdjustment, reason: str, actor: Actor
) -> LateAdjustment:
    """Decide that a late adjustment is not billed, saying why."""
    adjustment = _locked_open(adjustment)
    by = require_finance_of(actor, adjustment.contract.billing_party)
    if not reason.strip():
        raise DomainError("Say why it is dismissed.", errors={"reason": ["Required."]})
    adjustment.status = LateStatus.DISMISSED
    adjustment.reason = reason.strip()[:300]
    adjustment.resolved_by = by
    adjustment.resolved_at = timezone.now()
    adjustment.save(update_fields=["status", "reason", "resolved_by", "resolved_at"])
    return adjustment


@transaction.atomic
def bill_late_adjustment(
    *, adjustment: LateAdjustment, reason: str, actor: Actor
) -> DebitNote | CreditNote:
    """Bill a late adjustment: a debit note for what it adds (taxed and split between the
    operators like the line it completes), or a credit note for what it gives back."""
    adjustment = _locked_open(adjustment)
    contract = adjustment.contract
    by = require_finance_of(actor, contract.billing_party)
    if not reason.strip():
        raise DomainError("Say why it is billed.", errors={"reason": ["Required."]})
    if adjustment.amount == 0:
        raise DomainError("It changes no amount: dismiss it instead.")
    invoice = _invoice_of(adjustment)
    if adjustment.amount < 0:
        document = _credit(adjustment, invoice, reason, actor)
        adjustment.credit_note = document
    else:
        document = _debit(adjustment, invoice, reason, by)
        adjustment.debit_note = document
    adjustment.status = LateStatus.BILLED
    adjustment.reason = reason.strip()[:300]
    adjustment.resolved_by = by
    adjustment.resolved_at = timezone.now()
    adjustment.save(
        update_fields=[
            "status",
            "reason",
            "resolved_by",
            "resolved_at",
            "debit_note",
            "credit_note",
        ]
    )
    return document


def _credit(adjustment: LateAdjustment, invoice: Invoice, reason: str, actor: Actor) -> CreditNote:
    line = (
        invoice.lines.filter(contract=adjustment.contract, kind=LineKind.MRC).first()
        or invoice.lines.filter(contract=adjustment.contract, amount__gt=0).first()
    )
    if line is None:
        raise DomainError("No line of the invoice bills this contract: nothing to credit.")
    return issue_credit_note(
        invoice=invoice, amounts={line.pk: -adjustment.amount}, reason=reason, actor=actor
    )


def _debit(adjustment: LateAdjustment, invoice: Invoice, reason: str, by: str) -> DebitNote:
    contract = adjustment.contract
    service = contract.service
    party = contract.billing_party
    zone = zoneinfo.ZoneInfo(party.time_zone)
    now = timezone.now()
    today = now.astimezone(zone).date()
    note = DebitNote.objects.create(
        invoice=invoice,
        number=next_number(party, today.year, NumberSeries.DEBIT),
        reason=reason.strip()[:300],
        issued_at=now,
        issued_by=by,
        due_date=today + datetime.timedelta(days=settings.TCFO_PAYMENT_TERMS_DAYS),
    )
    first, last = period_days(adjustment.period)
    # taxed as of the month it completes, split like it: by each day's owners over the days
    # the service ran
    if service.terminated_on is not None:
        last = min(last, service.terminated_on - datetime.timedelta(days=1))
    taxed = TaxAndSplit().line(
        amount=adjustment.amount,
        currency=contract.currency,
        billing_party=party,
        customer=contract.customer,
        taxed_on=first,
        path=service.path,
        site=service.site,
        first=max(first, service.activated_on),
        last=last,
    )
    kind = LINE_OF_KIND[adjustment.kind]
    line = DebitNoteLine.objects.create(
        debit_note=note,
        contract=contract,
        kind=kind,
        description=f"{service.circuit_id} {LineKind(kind).label.lower()}, {adjustment.period}:"
        f" late {adjustment.get_kind_display().lower()},"
        f" billed {adjustment.billed_value} now {adjustment.current_value}",
        amount=adjustment.amount,
        tax_rate=taxed.tax_rate,
        tax_amount=taxed.tax_amount,
        tax_note=taxed.tax_note,
    )
    DebitAllocation.objects.bulk_create(
        DebitAllocation(line=line, operator=operator, amount=part)
        for operator, part in taxed.parts.items()
    )
    debit_note_issued(note, invoice, [line])
    after_commit("billing.tasks.render_debit_note_pdf", note.pk)
    return note


def debit_note_totals(note: DebitNote) -> DocumentTotals:
    """The note's net, VAT and total as ``Money``: sums of its rounded lines."""
    return totals_of(note.lines.all(), note.invoice.currency)


@transaction.atomic
def store_debit_note_pdf(*, note: DebitNote) -> DebitNote:
    """Render the debit note's PDF unless stored already (it is rendered once); once stored it
    is mailed to the customer's billing contacts, after the commit."""
    note = (
        DebitNote.objects.select_for_update(of=("self",))
        .select_related("invoice__billing_party", "invoice__customer")
        .get(pk=note.pk)
    )
    if note.pdf:
        return note
    pdf = render_pdf(
        "billing/pdf/debit_note.html",
        {"note": note, "lines": list(note.lines.all()), "totals": debit_note_totals(note)},
    )
    note.pdf.save(f"{note.number}.pdf", ContentFile(pdf), save=False)
    note.pdf_sha256 = sha256(pdf)
    note.save(update_fields=["pdf", "pdf_sha256"])
    after_commit("billing.tasks.mail_debit_note", note.pk)
    return note


def mail_debit_note(*, note: DebitNote) -> int:
    """Send the debit note, its stored PDF attached, to the customer's billing contacts (as
    invoices and credit notes are); nothing is sent before the PDF is stored or when there is
    nobody to tell."""
    invoice = note.invoice
    to = billing_contacts(invoice)
    if not to or not note.pdf:
        return 0
    message = EmailMessage(
        subject=f"Debit note {note.number} from {invoice.billing_party.name}",
        body=render_to_string(
            "billing/email/debit_note.txt", {"note": note, "totals": debit_note_totals(note)}
        ),
        to=to,
    )
    with note.pdf.open("rb") as pdf:
        message.attach(f"{note.number}.pdf", pdf.read(), "application/pdf")
    return message.send()
