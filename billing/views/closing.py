"""Finance staff's pages for closing a month and deciding its late adjustments."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from organisations.access import visible_to
from organisations.choices import Capability
from organisations.mixins import CapabilityRequiredMixin
from tcfo_portal.exceptions import DomainError
from tcfo_portal.forms import flash_domain_error, refusal_status

from ..choices import LateStatus
from ..forms import ReasonForm
from ..models import DebitNote, PeriodClose
from ..periods import PeriodError, parse_period
from ..services.closing import close_period, late_adjustments_for
from ..services.debit_notes import bill_late_adjustment, dismiss_late_adjustment
from .invoices import BillingView


def _page(request: HttpRequest, status: int = 200) -> HttpResponse:
    adjustments = late_adjustments_for(request.user)
    organisation = request.user.organisation
    closes = PeriodClose.objects.select_related("billing_party")
    if organisation is not None:
        closes = closes.filter(billing_party=organisation)
    return render(
        request,
        "billing/late.html",
        {
            "open": adjustments.filter(status=LateStatus.OPEN).order_by("period", "pk"),
            "decided": adjustments.exclude(status=LateStatus.OPEN).order_by("-resolved_at")[:50],
            "closes": closes[:24],
        },
        status=status,
    )


class LateAdjustmentsView(CapabilityRequiredMixin, View):
    """Closed months and the late adjustments to decide."""

    required_capability = Capability.RUN_BILLING

    def get(self, request: HttpRequest) -> HttpResponse:
        return _page(request)


class ClosePeriodView(CapabilityRequiredMixin, View):
    required_capability = Capability.RUN_BILLING

    def post(self, request: HttpRequest) -> HttpResponse:
        period = request.POST.get("period", "")
        organisation = request.user.organisation
        try:
            parse_period(period)
            if organisation is None:
                raise DomainError("Close a month as finance staff of its billing party.")
            close_period(period=period, billing_party=organisation, actor=request.user)
        except PeriodError as error:
            messages.error(request, str(error))
            return BillingView().page(request, status=400)
        except DomainError as error:
            flash_domain_error(request, error)
            return BillingView().page(request, status=refusal_status(error))
        messages.success(request, f"{period} is closed: its figures are frozen.")
        return redirect("late-adjustments")


class DecideLateAdjustmentView(CapabilityRequiredMixin, View):
    """Bill (debit or credit note) or dismiss one late adjustment, with a reason."""

    required_capability = Capability.RUN_BILLING

    def post(self, request: HttpRequest, pk: int, decision: str) -> HttpResponse:
        adjustment = get_object_or_404(late_adjustments_for(request.user), pk=pk)
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Say why: a reason is required.")
            return _page(request, status=400)
        act = bill_late_adjustment if decision == "bill" else dismiss_late_adjustment
        try:
            document = act(
                adjustment=adjustment, reason=form.cleaned_data["reason"], actor=request.user
            )
        except DomainError as error:
            flash_domain_error(request, error)
            return _page(request, status=refusal_status(error))
        if decision == "bill":
            messages.success(request, f"Billed by {document.number}.")
        else:
            messages.success(request, "Dismissed.")
        return redirect("late-adjustments")


class DebitNotePdfView(CapabilityRequiredMixin, View):
    required_capability = Capability.VIEW_OWN_INVOICES

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        note = get_object_or_404(visible_to(DebitNote.objects.all(), request.user), pk=pk)
        if not note.pdf:
            raise Http404("The PDF is being rendered.")
        return FileResponse(
            note.pdf.open("rb"), content_type="application/pdf", filename=f"{note.number}.pdf"
        )
