"""Closing months, late adjustments and debit notes over the API (domain.md 6a): thin views over
``services.closing`` and ``services.debit_notes``, which check who may act (the billing party's
finance staff, ``require_finance_of``).

- Debit notes are read like credit notes (``selectors.debit_notes_for``): customers their own,
  operators those of the invoices they issue or share revenue in.
- Late adjustments and closed months are finance's business: like billing runs, any other role
  is refused (403). Finance staff see their own organisation's (``late_adjustments_for``; a
  platform admin all); another operator's are answered 404, as if they did not exist.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from organisations.choices import Capability
from tcfo_portal.api.documents import PDF_RESPONSES, PdfNegotiation, pdf_response
from tcfo_portal.api.filters import LIST_FILTERS
from tcfo_portal.api.idempotency import idempotent_post
from tcfo_portal.exceptions import Forbidden

from ..filtersets import DebitNoteFilterSet, LateAdjustmentFilterSet, PeriodCloseFilterSet
from ..models import (
    CreditNote,
    DebitAllocation,
    DebitNote,
    DebitNoteLine,
    LateAdjustment,
    PeriodClose,
)
from ..selectors import debit_notes_for
from ..services.closing import close_period, late_adjustments_for
from ..services.debit_notes import bill_late_adjustment, dismiss_late_adjustment
from . import late_serializers as s

DECIDE_REFUSED = {
    400: OpenApiResponse(description="No reason, or nothing to bill (a zero amount)."),
    403: OpenApiResponse(description="Not finance staff of the adjustment's billing party."),
    404: OpenApiResponse(description="No such late adjustment (or not your organisation's)."),
    409: OpenApiResponse(description="Decided already (billed or dismissed)."),
}


class DebitNoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Debit notes: what a closed month's late data added, billed against its issued invoice.
    Customers read their own; operators those of the invoices they issue or share revenue in,
    with each line's split between the operators."""

    serializer_class = s.DebitNoteSerializer
    lookup_value_regex = r"[0-9]+"
    required_capability = {
        "list": Capability.VIEW_OWN_INVOICES,
        "retrieve": Capability.VIEW_OWN_INVOICES,
        "pdf": Capability.VIEW_OWN_INVOICES,
    }
    filter_backends = LIST_FILTERS
    filterset_class = DebitNoteFilterSet
    ordering_fields = {"issued_at": "issued_at", "number": "number", "due_date": "due_date"}

    def get_queryset(self) -> QuerySet[DebitNote]:
        lines = DebitNoteLine.objects.select_related("contract__service").prefetch_related(
            Prefetch("allocations", DebitAllocation.objects.select_related("operator"))
        )
        queryset = debit_notes_for(self.request.user).prefetch_related(Prefetch("lines", lines))
        return queryset.order_by("-issued_at", "-pk")

    @extend_schema(responses=PDF_RESPONSES)
    @action(detail=True, methods=["get"], content_negotiation_class=PdfNegotiation)
    def pdf(self, request: Request, pk: str | None = None) -> FileResponse:
        """The debit note's PDF (rendered once, just after it is issued)."""
        note = self.get_object()
        if not note.pdf:
            raise Http404("The PDF is being rendered.")
        return pdf_response(request, note.pdf, f"{note.number}.pdf")


class LateAdjustmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Late adjustments: usage or outages that arrived after a month was frozen, for the
    billing party's finance staff to bill (a debit note, or a credit note for an amount given
    back) or dismiss, saying why. The issued invoice never changes."""

    serializer_class = s.LateAdjustmentSerializer
    lookup_value_regex = r"[0-9]+"
    required_capability = Capability.RUN_BILLING
    filter_backends = LIST_FILTERS
    filterset_class = LateAdjustmentFilterSet
    ordering_fields = {"detected_at": "detected_at", "period": "period", "amount": "amount"}

    def get_queryset(self) -> QuerySet[LateAdjustment]:
        if getattr(self, "swagger_fake_view", False):  # the schema, without a caller
            return LateAdjustment.objects.none()
        queryset = late_adjustments_for(self.request.user).select_related("debit_note")
        return queryset.order_by("-detected_at", "-pk")

    def _fresh(self, adjustment: LateAdjustment) -> LateAdjustment:
        return self.get_queryset().get(pk=adjustment.pk)

    def _reason(self, request: Request) -> str:
        body = s.LateDecisionRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return body.validated_data["reason"]

    @extend_schema(
        request=s.LateDecisionRequestSerializer,
        responses={201: s.LateBillResultSerializer, **DECIDE_REFUSED},
    )
    @action(detail=True, methods=["post"])
    @idempotent_post
    def bill(self, request: Request, pk: str | None = None) -> Response:
        """Bill it: a debit note for what it adds (taxed and split like the line it
        completes; its PDF is rendered and mailed after), or a credit note for what it gives
        back. Answers the document and the adjustment, now billed."""
        adjustment = self.get_object()

        document = bill_late_adjustment(
            adjustment=adjustment, reason=self._reason(request), actor=request.user
        )
        kind = "credit_note" if isinstance(document, CreditNote) else "debit_note"
        body = {
            "document": {"type": kind, "id": document.pk, "number": document.number},
            "adjustment": self.get_serializer(self._fresh(adjustment)).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.LateDecisionRequestSerializer,
        responses={200: s.LateAdjustmentSerializer, **DECIDE_REFUSED},
    )
    @action(detail=True, methods=["post"])
    @idempotent_post
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        """Decide it is not billed, saying why; it stays listed as dismissed."""
        adjustment = self.get_object()

        dismiss_late_adjustment(
            adjustment=adjustment, reason=self._reason(request), actor=request.user
        )
        return Response(self.get_serializer(self._fresh(adjustment)).data)


class PeriodCloseViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Closed months: an operator's finance staff close a month for their own organisation
    once it has ended, been billed and has no draft left; its figures (95ths, availabilities,
    settlement) are frozen from then on."""

    serializer_class = s.PeriodCloseSerializer
    lookup_value_regex = r"[0-9]+"
    required_capability = Capability.RUN_BILLING
    filter_backends = LIST_FILTERS
    filterset_class = PeriodCloseFilterSet
    ordering_fields = {"period": "period", "closed_at": "closed_at"}

    def get_queryset(self) -> QuerySet[PeriodClose]:
        if getattr(self, "swagger_fake_view", False):  # the schema, without a caller
            return PeriodClose.objects.none()
        queryset = PeriodClose.objects.select_related("billing_party")
        organisation = self.request.user.organisation
        if organisation is not None:  # a platform admin sees every party's
            queryset = queryset.filter(billing_party=organisation)
        return queryset.order_by("-period", "billing_party__name", "pk")

    @extend_schema(
        request=s.PeriodCloseRequestSerializer,
        responses={
            201: s.PeriodCloseSerializer,
            400: OpenApiResponse(description="Not ended, not billed, or drafts left."),
            403: OpenApiResponse(description="Not an operator's finance staff."),
            409: OpenApiResponse(description="Closed already."),
        },
    )
    @idempotent_post
    def create(self, request: Request) -> Response:
        """Close a month for the caller's organisation (its billing party)."""

        body = s.PeriodCloseRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        organisation = request.user.organisation
        if organisation is None:
            raise Forbidden("Close a month as finance staff of its billing party.")
        close = close_period(
            period=body.validated_data["period"],
            billing_party=organisation,
            actor=request.user,
        )
        fresh = self.get_queryset().get(pk=close.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)
