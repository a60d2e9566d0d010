"""Issuing an invoice: its number, its freeze, its PDF once."""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from organisations.models import Organisation
from tcfo_portal.exceptions import DomainError, InvalidTransition
from tcfo_portal.pdf import render_pdf, sha256

from ..charts import usage_chart_svg
from ..choices import InvoiceStatus, LineKind
from ..models import Invoice, InvoiceSequence, UsagePercentile
from .percentiles import freeze_percentile, month_usage, services_for_usage
from .runs import invoice_totals


def next_number(party: Organisation, year: int, series: str = "invoice") -> str:
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
    infix = {"credit": "-CN", "debit": "-DN"}.get(series, "")
    return f"{party.invoice_prefix}{infix}-{year}-{sequence.last_number:06d}"


@transaction.atomic
def issue_invoice(*, invoice: Invoice, by: str) -> Invoice:
    """Number, date and freeze a draft; its PDF is rendered once after the commit.

    The 95th percentiles its transit lines bill are frozen with it.
    """
    invoice = Invoice.objects.select_for_update().select_related("billing_party").get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise InvalidTransition(f"Invoice {invoice.number} is issued already.")
    lines = list(invoice.lines.select_related("contract__service"))
    if not lines:
        raise DomainError("An invoice without lines cannot be issued.")
    zone = zoneinfo.ZoneInfo(invoice.billing_party.time_zone)
    today = timezone.now().astimezone(zone).date()
    invoice.number = next_number(invoice.billing_party, today.year)
    invoice.status = InvoiceStatus.ISSUED
    invoice.issued_at = timezone.now()
    invoice.due_date = today + datetime.timedelta(days=settings.TCFO_PAYMENT_TERMS_DAYS)
    invoice.save(update_fields=["number", "status", "issued_at", "due_date"])
    transit = {line.contract.service_id for line in lines if line.kind == LineKind.TRANSIT_BURST}
    for percentile in UsagePercentile.objects.filter(service_id__in=transit, period=invoice.period):
        freeze_percentile(percentile=percentile)
    from ..tasks import render_invoice_pdf

    transaction.on_commit(lambda: render_invoice_pdf.delay(invoice.pk))
    return invoice


def _charts(invoice: Invoice) -> list[dict]:
    """For each transit service billed on the invoice: its month's chart with the 95th."""
    services = {
        line.contract.service_id
        for line in invoice.lines.all()
        if line.kind in (LineKind.TRANSIT_COMMIT, LineKind.TRANSIT_BURST)
    }
    if not services:
        return []
    loaded = list(services_for_usage().filter(pk__in=services))
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
    """Render the issued invoice's PDF unless stored already (it is rendered once)."""
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("billing_party", "customer")
        .get(pk=invoice.pk)
    )
    if invoice.pdf or invoice.status == InvoiceStatus.DRAFT:
        return invoice
    lines = list(invoice.lines.select_related("contract__service").prefetch_related("allocations"))
    pdf = render_pdf(
        "billing/pdf/invoice.html",
        {
            "invoice": invoice,
            "lines": lines,
            "totals": invoice_totals(invoice),
            "charts": _charts(invoice),
        },
    )
    invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(pdf), save=False)
    invoice.pdf_sha256 = sha256(pdf)
    invoice.save(update_fields=["pdf", "pdf_sha256"])
    from ..tasks import mail_invoice

    transaction.on_commit(lambda: mail_invoice.delay(invoice.pk))
    return invoice


def billing_contacts(invoice: Invoice) -> list[str]:
    """The customer's billing address and its admins' addresses."""
    customer = invoice.customer
    addresses = [customer.billing_email] if customer.billing_email else []
    addresses += (
        customer.users.filter(is_active=True, role="customer_admin")
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
