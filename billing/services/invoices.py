"""Issuing an invoice: its number, its freeze and its PDF, all or nothing; deleting a draft.

An invoice is issued only together with what it needs: the number, the frozen figures, the
``draft -> issued`` step in its history and its stored PDF are written in one transaction, so
a PDF that cannot be rendered or stored leaves the draft as it was and gives the number back
(the sequence stays gapless). The mail to the customer is queued once that transaction commits.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from organisations.access import Actor
from organisations.choices import Role
from organisations.models import Organisation
from tcfo_portal.exceptions import Conflict, DomainError, InvalidTransition
from tcfo_portal.inputs import parse_whole_number
from tcfo_portal.pdf import render_pdf, sha256
from tcfo_portal.queue import after_commit

from .. import invoice_lifecycle
from ..charts import usage_chart_svg
from ..choices import InvoiceStatus, LineKind, NumberSeries
from ..events import invoice_issued
from ..models import DeletedDraft, Invoice, InvoiceSequence, RemovedLine, UsagePercentile
from ..periods import has_ended, local_date
from .acting import require_finance_of
from .closing import freeze_figures, invoice_contracts
from .runs import invoice_totals
from .usage_percentiles import month_usage, services_for_usage

logger = logging.getLogger(__name__)


class InvoicePdfFailed(DomainError):
    """The PDF of an invoice being issued could not be rendered or stored: nothing was issued."""

    status_code = 503
    error_type = "pdf_failed"


def next_number(party: Organisation, year: int, series: NumberSeries = NumberSeries.INVOICE) -> str:
    """The billing party's next number of the year in ``series`` (invoices or credit notes),
    taken under the sequence's row lock; a rolled-back issue gives its number back, so the
    sequence has no gaps. Call inside the issuing transaction."""
    try:
        with transaction.atomic():
            sequence, _ = InvoiceSequence.objects.select_for_update().get_or_create(
                billing_party=party, year=year, series=series
            )
    except IntegrityError:  # another issue created the year's sequence a moment ago
        sequence = InvoiceSequence.objects.select_for_update().get(
            billing_party=party, year=year, series=series
        )
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    infix = {NumberSeries.CREDIT: "-CN", NumberSeries.DEBIT: "-DN"}.get(series, "")
    return f"{party.invoice_prefix}{infix}-{year}-{sequence.last_number:06d}"


@transaction.atomic
def issue_invoice(*, invoice: Invoice, actor: Actor | None) -> Invoice:
    """Issue a draft: number it, freeze it, record the step and store its PDF, all at once.

    Refuses (nothing changes) with ``Forbidden`` (403) unless ``actor`` is finance staff of
    the invoice's billing party (or a platform admin); ``InvalidTransition`` (409) unless it
    is a draft; ``Conflict`` (409) while its month has not ended in the billing party's time
    zone; ``DomainError`` (400) if it has no lines; ``InvoicePdfFailed`` (503) if its PDF
    cannot be rendered or stored, in which case the number is given back and the draft stays.

    The 95th percentiles and uptimes its lines were rated with are frozen with it.
    The issued invoice is mailed to the customer's billing contacts once the transaction
    commits. The sequence's row lock is held until then, so a billing party's invoices are
    issued one at a time.
    """
    invoice = invoice_lifecycle.lock(invoice)
    by = require_finance_of(actor, invoice.billing_party)
    if invoice.status != InvoiceStatus.DRAFT:
        state = InvoiceStatus(invoice.status).label.lower()
        raise InvalidTransition(f"Invoice {invoice.number} is {state} already.")
    party = invoice.billing_party
    now = timezone.now()
    if not has_ended(invoice.period, party.time_zone, now):
        raise Conflict(
            f"{invoice.period} has not ended yet in {party.time_zone} ({party}'s time zone): "
            "its invoices are issued once it has."
        )
    lines = list(invoice.lines.select_related("contract__service").prefetch_related("allocations"))
    if not lines:
        raise DomainError("An invoice without lines cannot be issued.")
    # What does not depend on the number is prepared before the sequence is locked.
    charts = _charts(invoice, lines)
    today = local_date(now, party.time_zone)
    invoice.number = next_number(party, today.year)
    invoice.issued_at = now
    invoice.due_date = today + datetime.timedelta(days=settings.TCFO_PAYMENT_TERMS_DAYS)
    # The figures its lines were rated with (95ths, uptimes) are final with it: data
    # that arrives later becomes a late adjustment (``closing``), never a change.
    freeze_figures(contracts=invoice_contracts(invoice), period=invoice.period)
    _render_and_store(invoice, lines, charts)
    try:
        invoice_lifecycle.move(
            invoice,
            InvoiceStatus.ISSUED,
            by=by,
            number=invoice.number,
            issued_at=invoice.issued_at,
            due_date=invoice.due_date,
            pdf=invoice.pdf,
            pdf_sha256=invoice.pdf_sha256,
        )
        invoice_issued(invoice, lines)
    except BaseException:
        invoice.pdf.delete(save=False)  # the file of an issue that did not happen
        raise
    after_commit("billing.tasks.mail_invoice", invoice.pk)
    return invoice


def _render_and_store(invoice: Invoice, lines: list, charts: list[dict]) -> None:
    """Render the numbered invoice's PDF and store its file (named after its number and
    content, so the file of an issue rolled back later is never taken for another's)."""
    try:
        pdf = invoice_pdf(invoice, lines=lines, charts=charts)
        digest = sha256(pdf)
        invoice.pdf.save(f"{invoice.number}-{digest[:12]}.pdf", ContentFile(pdf), save=False)
    except Exception as error:
        logger.exception("The PDF of invoice %s (draft %s) failed", invoice.number, invoice.pk)
        raise InvoicePdfFailed(
            f"The PDF of draft {invoice.pk} could not be made ({type(error).__name__}: "
            f"{str(error)[:200]}); nothing was issued and the number was not used. "
            "Try again, or ask the portal's administrators if it keeps failing."
        ) from error
    invoice.pdf_sha256 = digest


def invoice_pdf(
    invoice: Invoice, *, lines: list | None = None, charts: list[dict] | None = None
) -> bytes:
    """The invoice's PDF as it is issued (number, dates, lines, totals, transit charts). Pure
    read: stores nothing."""
    if lines is None:
        lines = list(
            invoice.lines.select_related("contract__service").prefetch_related("allocations")
        )
    return render_pdf(
        "billing/pdf/invoice.html",
        {
            "invoice": invoice,
            "lines": lines,
            "totals": invoice_totals(invoice),
            "charts": _charts(invoice, lines) if charts is None else charts,
        },
    )


def _charts(invoice: Invoice, lines: list) -> list[dict]:
    """For each transit service billed on the invoice: its month's chart with the 95th (an
    empty frame for a month without samples)."""
    services = {
        line.contract.service_id
        for line in lines
        if line.kind in (LineKind.TRANSIT_COMMIT, LineKind.TRANSIT_BURST)
    }
    if not services:
        return []
    loaded = list(services_for_usage().filter(pk__in=services).order_by("circuit_id"))
    usage = month_usage(loaded, invoice.period)
    frozen = {
        p.service_id: p
        for p in UsagePercentile.objects.filter(service__in=loaded, period=invoice.period)
    }
    charts = []
    for service in loaded:
        month = usage[service.pk]
        percentile = frozen.get(service.pk)
        billable = percentile.billable_bps if percentile else None
        commit = service.contract.commit_mbps
        charts.append(
            {
                "service": service,
                "percentile": percentile,
                "svg": usage_chart_svg(
                    start=month.start,
                    in_bps=month.in_bps,
                    out_bps=month.out_bps,
                    p95_bps=billable,
                    commit_bps=commit * 1_000_000 if commit else None,
                    title=f"{service.circuit_id} traffic in {invoice.period}",
                    time_zone=invoice.billing_party.time_zone,
                ),
            }
        )
    return charts


@transaction.atomic
def store_invoice_pdf(*, invoice: Invoice) -> Invoice:
    """Render and store the PDF of an issued invoice that has none (invoices issued before
    issuing stored it in the same transaction), then queue its mail; an invoice with a PDF
    keeps it (it is rendered once)."""
    invoice = invoice_lifecycle.lock(invoice)
    if invoice.pdf or invoice.status == InvoiceStatus.DRAFT:
        return invoice
    lines = list(invoice.lines.select_related("contract__service").prefetch_related("allocations"))
    pdf = invoice_pdf(invoice, lines=lines)
    digest = sha256(pdf)
    invoice.pdf.save(f"{invoice.number}-{digest[:12]}.pdf", ContentFile(pdf), save=False)
    invoice.pdf_sha256 = digest
    try:
        invoice.save(update_fields=["pdf", "pdf_sha256"])
    except BaseException:
        invoice.pdf.delete(save=False)
        raise
    after_commit("billing.tasks.mail_invoice", invoice.pk)
    return invoice


def render_missing_pdfs(*, invoices: list[Invoice], actor: Actor | None) -> list[Invoice]:
    """Queue the rendering (then the mail) of issued invoices that have no PDF, once the
    transaction commits; refuses (``Forbidden``) unless ``actor`` is finance staff of each
    one's billing party. Returns those queued (an invoice with a PDF keeps it)."""
    queued = []
    for invoice in invoices:
        require_finance_of(actor, invoice.billing_party)
        if invoice.status != InvoiceStatus.DRAFT and not invoice.pdf:
            queued.append(invoice)
    for invoice in queued:
        after_commit("billing.tasks.render_invoice_pdf", invoice.pk)
    return queued


#: The most drafts one bulk issue takes (each renders its PDF while it is issued).
MAX_BULK_ISSUE = 100


@dataclass(frozen=True)
class IssueOutcome:
    """What became of one draft of a bulk issue: issued with its number, or refused and why
    (``error_type`` and ``status_code`` as the API would answer it alone)."""

    invoice_id: int | str
    issued: bool
    number: str | None = None
    reason: str = ""
    error_type: str = ""
    status_code: int = 200

    def as_dict(self) -> dict[str, object]:
        if self.issued:
            return {"id": self.invoice_id, "outcome": "issued", "number": self.number}
        return {
            "id": self.invoice_id,
            "outcome": "refused",
            "type": self.error_type,
            "reason": self.reason,
        }


def issue_invoices(*, ids: list[int | str], actor: Actor | None) -> list[IssueOutcome]:
    """Issue each of the drafts ``ids`` that ``actor`` sees, each in its own transaction, in
    the order given (duplicates once): one refused does not hold back the others. Never raises
    for one invoice: each outcome says issued (with its number) or refused (with the reason);
    an id the actor cannot see is refused as not found, exactly like one that does not exist.
    Call it outside a transaction, so each issue commits on its own and is mailed."""
    from ..selectors import invoices_for

    wanted: list[int | str] = []
    for value in ids:
        if value not in wanted:
            wanted.append(value)
    if len(wanted) > MAX_BULK_ISSUE:
        raise DomainError(
            f"Issue at most {MAX_BULK_ISSUE} invoices at once.",
            errors={"ids": [f"{len(wanted)} given."]},
        )
    found = {
        invoice.pk: invoice
        for invoice in invoices_for(actor).filter(
            pk__in=[pk for pk in map(_as_id, wanted) if pk is not None]
        )
    }
    outcomes = []
    for value in wanted:
        pk = _as_id(value)
        invoice = found.get(pk) if pk is not None else None
        if invoice is None:
            outcomes.append(
                IssueOutcome(
                    value, False, reason="No such invoice.", error_type="not_found", status_code=404
                )
            )
            continue
        try:
            issued = issue_invoice(invoice=invoice, actor=actor)
        except DomainError as error:
            outcomes.append(
                IssueOutcome(
                    invoice.pk,
                    False,
                    reason=error.detail,
                    error_type=error.error_type,
                    status_code=error.status_code,
                )
            )
        except Exception as error:  # a fault of ours: reported for this one, logged, not a 500
            logger.exception("Issuing draft %s failed", invoice.pk)
            outcomes.append(
                IssueOutcome(
                    invoice.pk,
                    False,
                    reason=f"Unexpected error ({type(error).__name__}); nothing was issued.",
                    error_type="server_error",
                    status_code=500,
                )
            )
        else:
            outcomes.append(IssueOutcome(invoice.pk, True, number=issued.number))
    return outcomes


def _as_id(value: object) -> int | None:
    """An invoice id given as a number or its digits; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    return parse_whole_number(str(value), minimum=1)


@transaction.atomic
def delete_draft(*, invoice: Invoice, actor: Actor | None, reason: str) -> DeletedDraft:
    """Delete a draft invoice, keeping a record of what it was and why (``DeletedDraft``).

    Refuses with ``Forbidden`` (403) unless ``actor`` is finance staff of the billing party,
    ``InvalidTransition`` (409) unless the invoice is a draft (an issued one is corrected by a
    credit note), ``DomainError`` (400) without a reason. The source keys of its lines are
    released, so a rerun of the period bills them again into a new draft; lines removed from
    it before stay removed (their ``RemovedLine`` moves to the record and keeps its key).
    """
    invoice = invoice_lifecycle.lock(invoice)
    by = require_finance_of(actor, invoice.billing_party)
    if invoice.status != InvoiceStatus.DRAFT:
        state = InvoiceStatus(invoice.status).label.lower()
        raise InvalidTransition(
            f"Invoice {invoice.number} is {state}: only a draft can be deleted; "
            "correct an issued invoice with a credit note."
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Say why the draft is deleted.", errors={"reason": ["This field is required."]}
        )
    if len(reason) > 300:
        raise DomainError("The reason is too long.", errors={"reason": ["At most 300 characters."]})
    lines = list(invoice.lines.select_related("contract__service"))
    totals = invoice_totals(invoice)
    record = DeletedDraft.objects.create(
        invoice_id=invoice.pk,
        billing_party=invoice.billing_party,
        customer=invoice.customer,
        period=invoice.period,
        currency=invoice.currency,
        subtotal=totals.subtotal.amount,
        tax=totals.tax.amount,
        total=totals.total.amount,
        lines=[_line_record(line) for line in lines],
        reason=reason,
        deleted_by=by,
    )
    RemovedLine.objects.filter(invoice=invoice).update(invoice=None, deleted_draft=record)
    invoice.delete()
    return record


def _line_record(line: object) -> dict[str, object]:
    def text(value: Decimal) -> str:
        return str(value)

    contract = line.contract
    return {
        "kind": line.kind,
        "description": line.description,
        "quantity": text(line.quantity),
        "unit_price": text(line.unit_price),
        "amount": text(line.amount),
        "tax_rate": text(line.tax_rate),
        "tax_amount": text(line.tax_amount),
        "service_date": line.service_date.isoformat(),
        "circuit_id": contract.service.circuit_id if contract and contract.service_id else None,
        "source_key": line.source_key,
        "added_by": line.added_by,
    }


def billing_contacts(invoice: Invoice) -> list[str]:
    """The customer's billing address and its admins' addresses."""
    customer = invoice.customer
    addresses = [customer.billing_email] if customer.billing_email else []
    addresses += (
        customer.users.filter(is_active=True, role=Role.CUSTOMER_ADMIN)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    return sorted(set(addresses))


def mail_invoice(*, invoice: Invoice) -> int:
    """Send the issued invoice, its PDF attached, to the customer's billing contacts."""
    to = billing_contacts(invoice)
    if not to or not invoice.pdf:
        return 0
    message = EmailMessage(
        subject=f"Invoice {invoice.number} from {invoice.billing_party.name}",
        body=render_to_string(
            "billing/email/invoice.txt", {"invoice": invoice, "totals": invoice_totals(invoice)}
        ),
        to=to,
    )
    message.attach(f"{invoice.number}.pdf", invoice.pdf.read(), "application/pdf")
    return message.send()
