"""Portal pages of billing: runs and drafts for finance staff, invoices for everybody entitled."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views import View

from organisations.access import describe_actor, has_capability, visible_to
from organisations.choices import Capability
from organisations.mixins import CapabilityRequiredMixin
from tcfo_portal.confirm import Confirmation, confirmation_page, is_confirmed, wants_changes
from tcfo_portal.exceptions import DomainError, InvalidTransition
from tcfo_portal.formatting import format_money, format_month, format_number
from tcfo_portal.forms import (
    add_domain_error,
    domain_error_text,
    flash_domain_error,
    refusal_status,
)
from tcfo_portal.inputs import whole_number_param
from tcfo_portal.lists import (
    CSV_CHUNK,
    Column,
    PortalList,
    column,
    computed_list,
    portal_list,
)

from ..api.views import InvoiceViewSet
from ..choices import OPEN_STATUSES, InvoiceStatus
from ..documents import DocumentTotals
from ..filtersets import BillingRunFilterSet, InvoiceFilterSet
from ..forms import PeriodForm
from ..models import BillingRun, CreditNote, DeletedDraft, Invoice, InvoiceLine, LineAllocation
from ..periods import PeriodError, parse_period, periods_of_year
from ..selectors import (
    deleted_drafts_for,
    invoices_for,
    issued_without_pdf,
    last_ended_period,
    sees_drafts_and_split,
    this_year,
)
from ..services.acting import require_finance_of
from ..services.drafts import remove_line
from ..services.invoices import (
    issue_invoice,
    issue_invoices,
    render_missing_pdfs,
)
from ..services.payments import AGING_BUCKETS, AGING_LABELS, Aging, AgingRow, aging, balance_of
from ..services.runs import invoice_totals, start_run
from ..services.settlement import (
    find_statement,
    revenue_report,
    settlement_pdf,
    settlement_statements,
)
from .rehearsal import rehearse


def _invoices(request: HttpRequest) -> QuerySet[Invoice]:
    lines = InvoiceLine.objects.select_related("contract__service").prefetch_related(
        Prefetch("allocations", LineAllocation.objects.select_related("operator"))
    )
    queryset = Invoice.objects.select_related("billing_party", "customer").prefetch_related(
        Prefetch("lines", lines)
    )
    return invoices_for(request.user, queryset).order_by("-period", "billing_party__name", "pk")


def _with_totals(invoices: QuerySet[Invoice]) -> list[tuple[Invoice, DocumentTotals]]:
    return [(invoice, invoice_totals(invoice)) for invoice in invoices]


INVOICE_CSV = [
    column("number"),
    column("status"),
    column("billing_party", "billing_party.name"),
    column("customer", "customer.name"),
    column("period"),
    column("currency"),
    Column("subtotal", lambda row: row[1].subtotal.amount),
    Column("tax", lambda row: row[1].tax.amount),
    Column("total", lambda row: row[1].total.amount),
    column("due_date"),
    column("issued_at"),
    column("id", "pk"),
]


class InvoiceListView(CapabilityRequiredMixin, View):
    """Invoices the viewer may see (``invoices_for``), newest period first, filtered by the
    API's ``InvoiceFilterSet``; finance staff tick drafts to issue them."""

    required_capability = Capability.VIEW_OWN_INVOICES

    def _listing(self, request: HttpRequest) -> PortalList:
        organisation = request.user.organisation
        customer = organisation is not None and organisation.is_customer
        return portal_list(
            request,
            _invoices(request),
            filterset_class=InvoiceFilterSet,
            ordering_fields=InvoiceViewSet.ordering_fields,
            search_fields=("number", "customer__name", "billing_party__name"),
            hide=("customer", "has_pdf") if customer else (),
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        listing = self._listing(request)
        if listing.wants_csv:
            return _invoice_csv(listing)
        can_issue = has_capability(request.user, Capability.RUN_BILLING) and (
            request.user.organisation is not None
        )
        return render(
            request,
            "billing/invoices.html",
            {"list": listing, "rows": _with_totals(listing.page_rows), "can_issue": can_issue},
            status=listing.status,
        )


def _invoice_csv(listing: PortalList) -> HttpResponse:
    """Every invoice of the list with its totals (the lines are prefetched a chunk at a time)."""
    if listing.status != 200:
        return listing.csv("invoices", INVOICE_CSV)
    rows = listing.rows.iterator(chunk_size=CSV_CHUNK)
    return listing.csv("invoices", _csv_fields(INVOICE_CSV), rows=_with_totals_lazily(rows))


def _csv_fields(columns: list[Column]) -> list[Column]:
    """Columns of (invoice, totals) rows: a path on the invoice reads the invoice."""
    return [c if c.header in ("subtotal", "tax", "total") else _on_invoice(c) for c in columns]


def _on_invoice(c: Column) -> Column:
    return Column(c.header, lambda row: c.value(row[0]))


def _with_totals_lazily(invoices: Iterable[Invoice]) -> Iterator[tuple[Invoice, DocumentTotals]]:
    for invoice in invoices:
        yield invoice, invoice_totals(invoice)


class IssueManyView(CapabilityRequiredMixin, View):
    """The billing party's finance staff issue the drafts they selected, each in its own
    transaction (one that cannot be issued does not hold back the others); the page says what
    became of each."""

    required_capability = Capability.RUN_BILLING

    def post(self, request: HttpRequest) -> HttpResponse:
        ids = request.POST.getlist("invoice")
        if not ids:
            messages.error(request, "Select the drafts to issue.")
            return redirect("invoices")
        if wants_changes(request):
            return redirect("invoices")
        if not is_confirmed(request):
            return self.confirm(request, ids)
        try:
            outcomes = issue_invoices(ids=ids, actor=request.user)
        except DomainError as error:
            flash_domain_error(request, error)
            return redirect("invoices")
        issued = [outcome for outcome in outcomes if outcome.issued]
        refused = [outcome for outcome in outcomes if not outcome.issued]
        if issued:
            numbers = ", ".join(f"draft {o.invoice_id} as {o.number}" for o in issued)
            messages.success(request, f"Issued {len(issued)}: {numbers}.")
        if refused:
            reasons = "; ".join(f"draft {o.invoice_id}: {o.reason}" for o in refused)
            messages.error(request, f"Not issued {len(refused)}: {reasons}")
        return redirect("invoices")

    def confirm(self, request: HttpRequest, ids: list[str]) -> HttpResponse:
        """The drafts selected that the viewer may issue, with their totals; the others are
        counted here and reported once issuing is confirmed, each with why."""
        numbers = [int(pk) for pk in ids if pk.isascii() and pk.isdigit() and len(pk) < 10]
        drafts = _invoices(request).filter(pk__in=numbers, status=InvoiceStatus.DRAFT)
        totals = [
            (invoice, invoice_totals(invoice).total.amount)
            for invoice in drafts
            if _may_change(request, invoice)
        ]
        others = len(ids) - len(totals)
        return confirmation_page(
            request,
            Confirmation(
                title=f"Issue {len(totals)} invoice{pluralize(len(totals))}?",
                action=(
                    "Each draft gets its billing party's next invoice number and a due date, its "
                    "PDF is made and mailed to the customer's billing contacts, and it never "
                    "changes again: an issued invoice is corrected only by a credit note."
                    + (f" {others} of those selected cannot be issued: " if others else "")
                    + ("each is reported with why." if others else "")
                ),
                amount=amounts_by_currency([(total, inv.currency) for inv, total in totals])
                or None,
                facts=[
                    (
                        f"Draft {inv.pk}: {inv.customer.legal_name}, {inv.period}",
                        format_money(total, inv.currency),
                    )
                    for inv, total in totals
                ],
                confirm_label="Issue them" if len(totals) > 1 else "Issue it",
                cancel_url=reverse("invoices"),
            ),
        )


def _may_change(request: HttpRequest, invoice: Invoice) -> bool:
    """Whether the viewer is finance staff of ``invoice``'s billing party (the services' rule)."""
    try:
        require_finance_of(request.user, invoice.billing_party)
    except DomainError:
        return False
    return True


def amounts_by_currency(amounts: list[tuple[Decimal, str]]) -> str:
    """``13,512.90 USD + 500.00 EUR``: ``amounts`` summed per currency."""
    sums: dict[str, Decimal] = {}
    for amount, currency in amounts:
        sums[currency] = sums.get(currency, Decimal(0)) + amount
    return " + ".join(format_money(total, currency) for currency, total in sorted(sums.items()))


def issue_confirmation(invoice: Invoice) -> Confirmation:
    """What issuing the draft ``invoice`` does, and its total."""
    totals = invoice_totals(invoice)
    total = format_money(totals.total.amount, invoice.currency)
    return Confirmation(
        title=f"Issue the invoice of {total} to {invoice.customer.legal_name}?",
        action=(
            f"The draft gets {invoice.billing_party.legal_name}'s next invoice number and a due "
            f"date, its PDF is made and mailed to {invoice.customer.legal_name}'s billing "
            "contacts, and it never changes again: it is corrected only by a credit note."
        ),
        amount=total,
        facts=[
            ("Customer", invoice.customer.legal_name),
            ("Period", invoice.period),
            ("Net", format_money(totals.subtotal.amount, invoice.currency)),
            ("VAT", format_money(totals.tax.amount, invoice.currency)),
            ("Currency", invoice.currency),
        ],
        confirm_label="Issue the invoice",
        cancel_url=reverse("invoice", args=[invoice.pk]),
    )


class InvoiceCsvView(InvoiceListView):
    """``/invoices.csv``: the invoices list's CSV (``/invoices/?format=csv``), same filters."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return _invoice_csv(self._listing(request))


class InvoiceView(CapabilityRequiredMixin, View):
    required_capability = Capability.VIEW_OWN_INVOICES

    def _invoice(self, request: HttpRequest, pk: int) -> Invoice:
        return get_object_or_404(_invoices(request), pk=pk)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        invoice = self._invoice(request, pk)
        return render(
            request,
            "billing/invoice.html",
            {
                "invoice": invoice,
                "totals": invoice_totals(invoice),
                "can_issue": has_capability(request.user, Capability.RUN_BILLING)
                and invoice.billing_party == request.user.organisation,
                "show_split": sees_drafts_and_split(request.user),
                "balance": balance_of(invoice),
                "is_open": invoice.status in OPEN_STATUSES,
                "payments": invoice.payments.select_related("reversal"),
                "credit_notes": invoice.credit_notes.prefetch_related("lines"),
                "editable": invoice.is_draft
                and has_capability(request.user, Capability.RUN_BILLING)
                and invoice.billing_party == request.user.organisation,
            },
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Issue the draft, once confirmed (the service lets only the billing party's finance
        staff; anybody else is refused before the confirmation)."""
        invoice = self._invoice(request, pk)
        if wants_changes(request):
            return redirect("invoice", pk=pk)
        try:
            require_finance_of(request.user, invoice.billing_party)
            if not is_confirmed(request):
                if not invoice.is_draft:
                    raise InvalidTransition(f"Invoice {invoice.number} is issued already.")
                return confirmation_page(request, issue_confirmation(invoice))
            issued = issue_invoice(invoice=invoice, actor=request.user)
        except DomainError as error:
            flash_domain_error(request, error)
        else:
            messages.success(request, f"Issued as {issued.number}, with its PDF.")
        return redirect("invoice", pk=pk)


class InvoicePdfView(InvoiceView):
    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        invoice = self._invoice(request, pk)
        if not invoice.pdf:
            raise Http404("The PDF exists once the invoice is issued and rendered.")
        return FileResponse(
            invoice.pdf.open("rb"), as_attachment=True, filename=f"{invoice.number}.pdf"
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        raise Http404


class BillingView(CapabilityRequiredMixin, View):
    """Finance staff: start a period's run, follow runs."""

    required_capability = Capability.RUN_BILLING

    def get(self, request: HttpRequest) -> HttpResponse:
        # The dashboard's "<month>: not billed yet" links here with ``?period=`` (``page``).
        return self.page(request)

    def page(
        self,
        request: HttpRequest,
        status: int = 200,
        *,
        run_form: PeriodForm | None = None,
        close_form: PeriodForm | None = None,
    ) -> HttpResponse:
        """The billing page, with the runs, deleted drafts and invoices without a PDF; its
        forms as given (with what was typed and its errors) or empty. ``?period=YYYY-MM`` (a
        dashboard's link; ``?status=`` too, ``BillingRunFilterSet``) shows that month's run only
        and puts the month in both forms; a month it cannot read is a 400 saying so."""
        runs = BillingRunFilterSet(
            request.GET if request.method == "GET" and request.GET else None,
            queryset=BillingRun.objects.order_by("-period"),
        )
        month = ""
        if runs.is_bound and runs.is_valid():
            month = runs.form.cleaned_data.get("period") or ""
        elif runs.is_bound:
            status = 400
        initial = {"period": month} if month else None
        return render(
            request,
            "billing/billing.html",
            {
                "runs": runs.qs[:24] if not runs.is_bound or runs.is_valid() else [],
                "run_filters": runs if runs.is_bound else None,
                "month": month,
                "deleted": _deleted_drafts(request),
                "without_pdf": issued_without_pdf(request.user)[:100],
                "run_form": run_form or PeriodForm(initial=initial),
                "close_form": close_form or PeriodForm(auto_id="id_close_%s", initial=initial),
            },
            status=status,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PeriodForm(request.POST)
        if wants_changes(request):
            return self.page(request, run_form=form)
        if not form.is_valid():
            return self.page(request, status=400, run_form=form)
        period = form.cleaned_data["period"]
        by = describe_actor(request.user)
        try:
            if not is_confirmed(request):
                return confirmation_page(request, _run_confirmation(period, by))
            _, started = start_run(period=period, by=by)
        except DomainError as error:
            add_domain_error(form, error)
            return self.page(request, status=refusal_status(error), run_form=form)
        if started:
            messages.success(request, f"Billing {format_month(period)}: started.")
        else:
            messages.info(request, f"Billing {format_month(period)} is under way already.")
        return redirect("billing")


def _run_confirmation(period: str, by: str) -> Confirmation:
    """What running billing for ``period`` does (rehearsed: the service's refusal, such as a
    month that has not ended, is raised before asking)."""
    run, started = rehearse(start_run, lambda result: result, period=period, by=by)
    contracts = run.contracts_total
    month = format_month(period)
    again = (
        f" {month} was billed before: lines billed already are not billed twice."
        if BillingRun.objects.filter(period=period).exists()
        else ""
    )
    return Confirmation(
        title=f"Run billing for {month}?",
        action=(
            f"Rates the {contracts} contract{pluralize(contracts)} in force in {month} for every "
            "billing party and puts their lines on draft invoices to review. Nothing is issued "
            f"or sent to a customer until a draft is issued.{again}"
            if started
            else f"Billing {month} is under way already: it is not started again."
        ),
        facts=[("Period", month), ("Contracts to rate", format_number(contracts))],
        confirm_label="Run billing",
        cancel_url=reverse("billing"),
    )


class RenderMissingPdfsView(CapabilityRequiredMixin, View):
    """Finance staff have the PDFs of their issued invoices that have none rendered (and
    mailed)."""

    required_capability = Capability.RUN_BILLING

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            queued = render_missing_pdfs(
                invoices=list(issued_without_pdf(request.user)[:100]), actor=request.user
            )
        except DomainError as error:
            flash_domain_error(request, error)
        else:
            numbers = ", ".join(invoice.number for invoice in queued) or "none"
            messages.success(request, f"PDFs being rendered, then mailed: {numbers}.")
        return redirect("billing")


def _deleted_drafts(request: HttpRequest) -> QuerySet[DeletedDraft]:
    """The drafts the actor's operator deleted lately (every one for a platform admin)."""
    return deleted_drafts_for(request.user)[:24]


class _BillingPartyChangeView(InvoiceView):
    """Finance staff of the billing party change its drafts: the services refuse anybody
    else, and the refusal is shown on the invoice page."""

    def get(self, request: HttpRequest, pk: int, **kwargs: object) -> HttpResponse:
        return redirect("invoice", pk=pk)


class RemoveLineView(_BillingPartyChangeView):
    def post(self, request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
        invoice = self._invoice(request, pk)
        line = get_object_or_404(InvoiceLine, pk=line_pk, invoice=invoice)
        try:
            remove_line(line=line, reason=request.POST.get("reason", ""), actor=request.user)
        except DomainError as error:
            flash_domain_error(request, error)
        else:
            messages.success(request, f"Removed: {line.description}.")
        return redirect("invoice", pk=pk)


class CreditNotePdfView(CapabilityRequiredMixin, View):
    required_capability = Capability.VIEW_OWN_INVOICES

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        note = get_object_or_404(visible_to(CreditNote.objects.all(), request.user), pk=pk)
        if not note.pdf:
            raise Http404("The PDF is being rendered.")
        return FileResponse(note.pdf.open("rb"), as_attachment=True, filename=f"{note.number}.pdf")


# --- i15-i begin: the aging list's filters, sorts and CSV ---
AGING_BUCKET_NAMES = [name for _, _, name in AGING_BUCKETS]


class AgingFilterForm(forms.Form):
    """The aging API's parameters (``GET /api/v1/aging/``): ``bucket``, ``currency`` and
    ``customer`` (its name)."""

    bucket = forms.ChoiceField(
        choices=[("", "Any"), *((b, f"{b} days") for b in AGING_BUCKET_NAMES)],
        label="Days overdue",
    )
    currency = forms.CharField(max_length=3, label="Currency", help_text="ISO 4217, e.g. USD.")
    customer = forms.CharField(max_length=200, label="Customer", help_text="Its name.")


def _aging_keeps(row: AgingRow, values: dict[str, str]) -> bool:
    return (
        row.bucket == values.get("bucket", row.bucket)
        and row.invoice.currency == values.get("currency", row.invoice.currency).upper()
        and row.invoice.customer.name == values.get("customer", row.invoice.customer.name)
    )


AGING_ORDERING: dict[str, Callable[[AgingRow], object]] = {
    "number": lambda row: row.invoice.number,
    "customer": lambda row: row.invoice.customer.name.casefold(),
    "due_date": lambda row: row.invoice.due_date,
    "days_overdue": lambda row: row.days_overdue,
    "owed": lambda row: row.owed,
}

AGING_CSV = [
    column("invoice", "invoice.pk"),
    column("number", "invoice.number"),
    column("customer", "invoice.customer.name"),
    column("billing_party", "invoice.billing_party.name"),
    column("due_date", "invoice.due_date"),
    column("days_overdue"),
    column("bucket"),
    column("currency", "invoice.currency"),
    column("owed"),
]


class AgingView(CapabilityRequiredMixin, View):
    """Open invoices by days overdue (``services.payments.aging``: each ages by the day where
    its billing party is), filtered by the aging API's parameters, searched, sorted, paged and
    exported; the totals are those of the rows the filters keep."""

    required_capability = Capability.RUN_BILLING

    def get(self, request: HttpRequest) -> HttpResponse:
        report = aging(billing_party=request.user.organisation)
        listing = computed_list(
            request,
            report.rows,
            form_class=AgingFilterForm,
            keep=_aging_keeps,
            ordering_fields=AGING_ORDERING,
            search=lambda row: f"{row.invoice.number} {row.invoice.customer.name}",
        )
        if listing.wants_csv:
            return listing.csv("aging", AGING_CSV)
        kept = Aging(rows=list(listing.rows))
        return render(
            request,
            "billing/aging.html",
            {
                "list": listing,
                # per currency, the buckets in age order, each with its label ("Not yet due")
                "totals": [
                    (currency, bucket, AGING_LABELS[bucket], owed)
                    for (currency, bucket), owed in sorted(
                        kept.totals().items(),
                        key=lambda item: (item[0][0], list(AGING_LABELS).index(item[0][1])),
                    )
                ],
            },
            status=listing.status,
        )


# --- i15-i end ---


def _period_or_last_month(request: HttpRequest) -> tuple[str, str]:
    """The ``period`` asked for (``YYYY-MM``, checked) or the last month that has ended where the
    viewer bills (``viewer_time_zone``); and an error, if any."""
    last = last_ended_period(request.user)
    period = request.GET.get("period", "") or last
    try:
        parse_period(period)
    except PeriodError as error:
        return last, str(error)
    return period, ""


class SettlementView(CapabilityRequiredMixin, View):
    """What the operators owe each other for a period, netted per pair (issued invoices)."""

    required_capability = Capability.VIEW_SETTLEMENT

    def get(self, request: HttpRequest) -> HttpResponse:
        period, error = _period_or_last_month(request)
        statements = settlement_statements(period=period, operator=request.user.organisation)
        return render(
            request,
            "billing/settlement.html",
            {"period": period, "error": error, "statements": statements},
            status=400 if error else 200,
        )


class SettlementPdfView(CapabilityRequiredMixin, View):
    required_capability = Capability.VIEW_SETTLEMENT

    def get(
        self, request: HttpRequest, period: str, first: int, second: int, currency: str
    ) -> HttpResponse:
        try:
            parse_period(period)
        except PeriodError as error:
            raise Http404(str(error)) from None
        statement = find_statement(
            period=period,
            first=first,
            second=second,
            currency=currency,
            operator=request.user.organisation,
        )
        if statement is None:
            raise Http404("No such settlement statement.")
        pdf = settlement_pdf(statement)
        pair = f"{statement.first.invoice_prefix}-{statement.second.invoice_prefix}"
        name = f"settlement-{period}-{pair}-{currency}.pdf"
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class RevenueView(CapabilityRequiredMixin, View):
    """Revenue by operator, product and month for a year (issued invoices, net of tax)."""

    required_capability = Capability.VIEW_SETTLEMENT

    def _rows(self, request: HttpRequest) -> tuple[int, list[dict]]:
        year = whole_number_param(
            request.GET, "year", default=this_year(request.user), minimum=2000, maximum=2100
        )
        return year, revenue_report(
            periods=periods_of_year(year), operator=request.user.organisation
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            year, rows = self._rows(request)
        except DomainError as error:
            flash_domain_error(request, error)
            return render(request, "billing/revenue.html", {"rows": []}, status=400)
        return render(request, "billing/revenue.html", {"year": year, "rows": rows})


class RevenueCsvView(RevenueView):
    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            year, rows = self._rows(request)
        except DomainError as error:
            return HttpResponse(domain_error_text(error), status=400, content_type="text/plain")
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="revenue-{year}.csv"'
        writer = csv.writer(response)
        writer.writerow(["period", "operator", "product", "currency", "amount"])
        for row in rows:
            writer.writerow(
                [row["period"], row["operator"], row["product"], row["currency"], row["amount"]]
            )
        return response
