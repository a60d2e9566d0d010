"""Finance staff's pages for closing a month and deciding its late adjustments."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Case, F, Value, When
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from organisations.access import visible_to
from organisations.choices import Capability
from organisations.mixins import CapabilityRequiredMixin
from tcfo_portal.confirm import Confirmation, confirmation_page, is_confirmed, wants_changes
from tcfo_portal.exceptions import DomainError
from tcfo_portal.formatting import format_money, format_month, format_number
from tcfo_portal.forms import add_domain_error, refusal_status
from tcfo_portal.lists import PortalList, column, portal_list

from ..api.late_views import LateAdjustmentViewSet
from ..choices import LateStatus
from ..filtersets import LateAdjustmentFilterSet
from ..forms import PeriodForm, ReasonForm
from ..models import DebitNote, LateAdjustment, PeriodClose
from ..services.acting import require_finance_of
from ..services.closing import close_period, late_adjustments_for
from ..services.debit_notes import bill_late_adjustment, dismiss_late_adjustment
from .invoices import BillingView
from .rehearsal import rehearse

# --- i15-i begin: the late adjustments' list ---
LATE_CSV = [
    column("id", "pk"),
    column("period"),
    column("kind"),
    column("status"),
    column("customer", "contract.customer.name"),
    column("circuit_id", "contract.service.circuit_id"),
    column("billed_value"),
    column("current_value"),
    column("currency"),
    column("amount"),
    column("detected_at"),
    column("debit_note", "debit_note.number"),
    column("credit_note", "credit_note.number"),
    column("reason"),
    column("resolved_by"),
    column("resolved_at"),
]


def _late_list(request: HttpRequest) -> PortalList:
    """Every late adjustment the viewer bills (``late_adjustments_for``), those to decide first
    (oldest month first), then the decided, latest first; filtered by the API's
    ``LateAdjustmentFilterSet`` and sorted by its ``ordering_fields``."""
    adjustments = late_adjustments_for(request.user).annotate(
        decided=Case(When(status=LateStatus.OPEN, then=Value(0)), default=Value(1))
    )
    return portal_list(
        request,
        adjustments.order_by("decided", F("resolved_at").desc(nulls_first=True), "period", "pk"),
        filterset_class=LateAdjustmentFilterSet,
        ordering_fields=LateAdjustmentViewSet.ordering_fields,
        search_fields=("contract__service__circuit_id", "contract__customer__name", "reason"),
    )


def _page(request: HttpRequest, status: int = 200) -> HttpResponse:
    listing = _late_list(request)
    if listing.wants_csv:
        return listing.csv("late-adjustments", LATE_CSV)
    organisation = request.user.organisation
    closes = PeriodClose.objects.select_related("billing_party")
    if organisation is not None:
        closes = closes.filter(billing_party=organisation)
    return render(
        request,
        "billing/late.html",
        {"list": listing, "closes": closes[:24]},
        status=max(status, listing.status),
    )


# --- i15-i end ---


class LateAdjustmentsView(CapabilityRequiredMixin, View):
    """Closed months and the late adjustments to decide."""

    required_capability = Capability.RUN_BILLING

    def get(self, request: HttpRequest) -> HttpResponse:
        return _page(request)


class ClosePeriodView(CapabilityRequiredMixin, View):
    """Close a month once confirmed; a refusal is shown at the period on the billing page."""

    required_capability = Capability.RUN_BILLING

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PeriodForm(request.POST, auto_id="id_close_%s")
        page = BillingView().page
        if wants_changes(request):
            return page(request, close_form=form)
        if not form.is_valid():
            return page(request, status=400, close_form=form)
        period = form.cleaned_data["period"]
        organisation = request.user.organisation
        try:
            if organisation is None:
                raise DomainError(
                    "Close a month as finance staff of its billing party.", field="period"
                )
            arguments = {"period": period, "billing_party": organisation, "actor": request.user}
            if not is_confirmed(request):  # rehearsed: a refusal shows before asking
                return confirmation_page(
                    request, rehearse(close_period, _close_confirmation, **arguments)
                )
            close_period(**arguments)
        except DomainError as error:
            add_domain_error(form, error)
            return page(request, status=refusal_status(error), close_form=form)
        messages.success(request, f"{format_month(period)} is closed: its figures are frozen.")
        return redirect("late-adjustments")


def _close_confirmation(closing: PeriodClose) -> Confirmation:
    period, billing_party = format_month(closing.period), closing.billing_party
    return Confirmation(
        title=f"Close {period} for {billing_party.legal_name}?",
        action=(
            f"Freezes the 95th percentiles and uptimes every contract was billed with in {period} "
            "and stores the month's settlement statements as they stand. Data arriving later "
            "becomes late adjustments, billed by a debit or credit note or dismissed. A month is "
            "closed once: this cannot be undone."
        ),
        facts=[
            ("Period", period),
            ("Billing party", billing_party.legal_name),
            ("Settlement statements", format_number(len(closing.settlement))),
        ],
        confirm_label=f"Close {period}",
        cancel_url=reverse("billing"),
        danger=True,
    )


DECISIONS = ("bill", "dismiss")


class DecideLateAdjustmentView(CapabilityRequiredMixin, View):
    """Bill (debit or credit note) or dismiss one late adjustment, with a reason, once
    confirmed: a page of its own shows the reason's error at the field."""

    required_capability = Capability.RUN_BILLING

    def get(self, request: HttpRequest, pk: int, decision: str) -> HttpResponse:
        return self.post(request, pk, decision)

    def post(self, request: HttpRequest, pk: int, decision: str) -> HttpResponse:
        adjustment = get_object_or_404(
            late_adjustments_for(request.user).select_related(
                "contract__customer", "contract__service"
            ),
            pk=pk,
        )
        if decision not in DECISIONS:
            raise Http404("Bill or dismiss.")
        form = ReasonForm(request.POST if request.method == "POST" else None)
        decided = adjustment.status != LateStatus.OPEN

        def show(status: int = 200) -> HttpResponse:
            return render(
                request,
                "billing/late_decide.html",
                {
                    "adjustment": adjustment,
                    "decision": decision,
                    "form": form,
                    "decided": decided,
                    "note": _note_kind(adjustment),
                },
                status=status,
            )

        if request.method == "GET" or wants_changes(request) or decided:
            return show(409 if decided and request.method == "POST" else 200)
        if not form.is_valid():
            return show(400)
        reason = form.cleaned_data["reason"]
        act = bill_late_adjustment if decision == "bill" else dismiss_late_adjustment
        try:
            if not is_confirmed(request):
                require_finance_of(request.user, adjustment.contract.billing_party)
                return confirmation_page(request, _decide_confirmation(adjustment, decision))
            document = act(adjustment=adjustment, reason=reason, actor=request.user)
        except DomainError as error:
            add_domain_error(form, error)
            return show(refusal_status(error))
        if decision == "bill":
            messages.success(request, f"Billed by {document.number}.")
        else:
            messages.success(request, "Dismissed.")
        return redirect("late-adjustments")


def _note_kind(adjustment: LateAdjustment) -> str:
    return "credit note" if adjustment.amount < 0 else "debit note"


def _decide_confirmation(adjustment: LateAdjustment, decision: str) -> Confirmation:
    amount = format_money(abs(adjustment.amount), adjustment.currency)
    contract = adjustment.contract
    what = f"the late {adjustment.get_kind_display().lower()} of {contract.service.circuit_id}"
    facts = [
        ("Customer", contract.customer.legal_name),
        ("Service", contract.service.circuit_id),
        ("Period", adjustment.period),
        ("Billed", str(adjustment.billed_label)),
        ("Today's data", str(adjustment.current_label)),
    ]
    if decision == "bill":
        note = _note_kind(adjustment)
        return Confirmation(
            title=f"Issue a {note} of {amount} to {contract.customer.legal_name}?",
            action=(
                f"A {note} of {amount} (before VAT) for {what} in {adjustment.period} is "
                f"numbered, made into a PDF and sent to {contract.customer.legal_name}. An issued "
                f"{note} is never changed or withdrawn."
            ),
            amount=f"{amount} before VAT",
            facts=facts,
            confirm_label=f"Issue the {note}",
            cancel_url=reverse("late-adjustments"),
        )
    return Confirmation(
        title=f"Dismiss the late adjustment of {amount}?",
        action=(
            f"{what.capitalize()} in {adjustment.period} is never billed: the decision is "
            "recorded with your reason and cannot be undone."
        ),
        amount=amount,
        facts=facts,
        confirm_label="Dismiss it",
        cancel_url=reverse("late-adjustments"),
        danger=True,
    )


class DebitNotePdfView(CapabilityRequiredMixin, View):
    required_capability = Capability.VIEW_OWN_INVOICES

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        note = get_object_or_404(visible_to(DebitNote.objects.all(), request.user), pk=pk)
        if not note.pdf:
            raise Http404("The PDF is being rendered.")
        return FileResponse(
            note.pdf.open("rb"), content_type="application/pdf", filename=f"{note.number}.pdf"
        )
