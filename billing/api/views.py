from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import (
    ParseError,
    UnsupportedMediaType,
    ValidationError,
)
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from organisations.access import describe_actor
from organisations.choices import Capability
from tcfo_portal.api.documents import PDF_RESPONSES, PdfNegotiation, pdf_response
from tcfo_portal.api.filters import LIST_FILTERS
from tcfo_portal.api.parsers import TOO_DEEP
from tcfo_portal.api.throttling import UsageIngestThrottle

from ..choices import (
    SampleStatus,
    UsageSource,
)
from ..filtersets import BillingRunFilterSet, InvoiceFilterSet
from ..models import (
    BillingRun,
    Invoice,
    InvoiceLine,
    LineAllocation,
)
from ..periods import PeriodError, parse_period
from ..selectors import (
    ServiceUsage,
    invoices_for,
    sees_drafts_and_split,
    service_usage,
    visible_service,
)
from ..services.balances import BALANCE_PREFETCH
from ..services.invoices import delete_draft, issue_invoice, issue_invoices
from ..services.runs import start_run
from ..services.usage import (
    IngestResult,
    MalformedBody,
    ingest_json,
    ingest_series,
)
from ..services.usage_days import timestamp_text
from ..services.usage_series import SeriesShapeError
from .finance_views import DraftActionsMixin
from .serializers import (
    BillingRunRequestSerializer,
    BillingRunSerializer,
    DeletedDraftSerializer,
    InvoiceSerializer,
    IssueManyRequestSerializer,
    IssueManyResultSerializer,
    period_parameter,
)
from .usage_serializers import (
    IngestRequestSerializer,
    IngestResultSerializer,
    SeriesIngestResultSerializer,
    UsageSeriesSerializer,
)

PERIOD = period_parameter(required=True, description="YYYY-MM, e.g. 2026-10.")


RESULTS = OpenApiParameter(
    "results",
    str,
    enum=["noted", "all"],
    default="noted",
    description="noted (the default): a result for each sample not plainly accepted; all: a "
    "result for every sample.",
)


class _UsageIngestView(APIView):
    """A usage body, read as bytes and decoded by the service straight into typed values."""

    required_capability = Capability.INGEST_USAGE
    parser_classes = [JSONParser]  # what the body must be; the service decodes it itself
    # Collectors post often: a budget of their own, higher than the API's (settings). A request
    # without a valid key is counted per address by the error handler, as everywhere in the API.
    throttle_classes = [UsageIngestThrottle]

    def ingest(
        self,
        request: Request,
        ingest_body: Callable[..., Any],
        *,
        field: str,
        shape_error: type[ValueError],
    ) -> Any:
        """``ingest_body(body, actor=...)``'s answer; a body not JSON is a 400 (parse error), one
        of another shape (``shape_error``) a 400 saying what is wrong under ``field``."""
        if request.negotiator.select_parser(request, request.parsers) is None:
            raise UnsupportedMediaType(request.content_type)
        try:
            return ingest_body(request.body, actor=request.user, source=UsageSource.API)
        except MalformedBody as error:
            raise ParseError(str(error)) from None
        except RecursionError:  # the decoder ran out of stack on arrays nested ~1,000 deep
            raise ParseError(TOO_DEEP) from None
        except shape_error as error:
            raise ValidationError({field: [str(error)]}) from None


class UsageSamplesView(_UsageIngestView):
    """Bulk usage from the operators' collectors: rates per 5-minute bucket or octet counters."""

    @extend_schema(
        request=IngestRequestSerializer, responses=IngestResultSerializer, parameters=[RESULTS]
    )
    def post(self, request: Request) -> Response:
        every = _every_result(request)
        result = self.ingest(request, ingest_json, field="samples", shape_error=ValueError)
        # Plainly accepted samples need no word unless asked for; the others each say what.
        return _ingest_response(
            result, [r.as_dict() for r in (result.results if every else result.noted)]
        )


class UsageSeriesView(_UsageIngestView):
    """Bulk usage a service at a time: each series the rates of consecutive 5-minute buckets.

    The same decisions as ``usage/samples/`` for each bucket with a rate, in a body about a
    third the size; made for backfills and collectors that send many buckets at once.
    """

    @extend_schema(
        request=UsageSeriesSerializer,
        responses=SeriesIngestResultSerializer,
        parameters=[RESULTS],
    )
    def post(self, request: Request) -> Response:
        every = _every_result(request)
        result, decoded = self.ingest(
            request, ingest_series, field="series", shape_error=SeriesShapeError
        )
        notes = result.results if every else result.noted
        places = decoded.where([note.index for note in notes])  # instead of an index
        results = [
            {"series": number, "ts": ts, "status": note.status, "decision": note.decision}
            | note.details()
            for note, (number, ts) in zip(notes, places, strict=True)
        ]
        return _ingest_response(result, results)


def _every_result(request: Request) -> bool:
    """Whether the answer names every sample's result (``?results=all``) or only those not
    plainly accepted (``noted``, the default)."""
    wanted = request.query_params.get("results", "noted")
    if wanted not in ("noted", "all"):
        raise ValidationError({"results": ["One of noted, all."]})
    return wanted == "all"


def _ingest_response(result: IngestResult, results: list[dict[str, Any]]) -> Response:
    return Response(
        {
            "batch": result.batch.pk,
            "accepted": result.count(SampleStatus.ACCEPTED),
            "duplicates": result.count(SampleStatus.DUPLICATE),
            "rejected": result.count(SampleStatus.REJECTED),
            "decisions": result.decisions,
            "results": results,
            "late": [{"circuit_id": c, "period": p} for c, p in result.late],
        }
    )


def _usage(request: Request, circuit_id: str) -> ServiceUsage:
    period = request.query_params.get("period", "")
    try:
        parse_period(period)
    except PeriodError as error:
        raise ValidationError({"period": [str(error)]}) from None
    service = visible_service(request.user, circuit_id)
    if service is None:
        raise Http404
    return service_usage(service, period)


class ServiceUsageView(APIView):
    """The month's 95th percentile of a service, with what it stands on."""

    required_capability = Capability.VIEW_OWN_SERVICES

    @extend_schema(
        parameters=[PERIOD],
        responses=inline_serializer(
            "ServiceUsage",
            {
                "circuit_id": serializers.CharField(),
                "period": serializers.CharField(),
                "time_zone": serializers.CharField(
                    help_text="The zone whose calendar month the period is (the billing party's)."
                ),
                "samples": serializers.IntegerField(),
                "missing": serializers.IntegerField(),
                "p95_in_bps": serializers.IntegerField(allow_null=True),
                "p95_out_bps": serializers.IntegerField(allow_null=True),
                "billable_bps": serializers.IntegerField(allow_null=True),
                "rule": serializers.CharField(),
                "commit_bps": serializers.IntegerField(allow_null=True),
                "frozen": serializers.BooleanField(),
            },
        ),
    )
    def get(self, request: Request, circuit_id: str) -> Response:
        found = _usage(request, circuit_id)
        result = found.result
        return Response(
            {
                "circuit_id": circuit_id,
                "period": found.usage.period,
                "time_zone": found.usage.service.contract.billing_party.time_zone,
                "samples": result.samples,
                "missing": result.missing,
                "p95_in_bps": result.p95_in_bps,
                "p95_out_bps": result.p95_out_bps,
                "billable_bps": result.billable_bps,
                "rule": result.rule,
                "commit_bps": found.commit_bps,
                "frozen": found.frozen,
            }
        )


class ServiceUsageSamplesView(APIView):
    """Every stored 5-minute bucket of the month: the data the 95th is taken from."""

    required_capability = Capability.VIEW_OWN_SERVICES

    @extend_schema(
        parameters=[PERIOD],
        responses=inline_serializer(
            "UsageSamples",
            {
                "circuit_id": serializers.CharField(),
                "period": serializers.CharField(),
                "time_zone": serializers.CharField(
                    help_text="The zone whose calendar month the period is (the billing party's)."
                ),
                "samples": inline_serializer(
                    "UsageSample",
                    {
                        "ts": serializers.DateTimeField(),
                        "in_bps": serializers.IntegerField(),
                        "out_bps": serializers.IntegerField(),
                    },
                    many=True,
                ),
            },
        ),
    )
    def get(self, request: Request, circuit_id: str) -> Response:
        usage = _usage(request, circuit_id).usage
        present = usage.present
        times = usage.timestamps()[present]
        return Response(
            {
                "circuit_id": circuit_id,
                "period": usage.period,
                "time_zone": usage.service.contract.billing_party.time_zone,
                "samples": [
                    {
                        "ts": timestamp_text(int(ts)),
                        "in_bps": int(a),
                        "out_bps": int(b),
                    }
                    for ts, a, b in zip(
                        times, usage.in_bps[present], usage.out_bps[present], strict=True
                    )
                ],
            }
        )


# --- billing runs and invoices --------------------------------------------------------------------


class BillingRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Billing runs: one per period, started (or found under way) with ``POST``."""

    serializer_class = BillingRunSerializer
    required_capability = Capability.RUN_BILLING
    queryset = BillingRun.objects.all()
    filter_backends = LIST_FILTERS
    filterset_class = BillingRunFilterSet
    ordering_fields = {"period": "period", "created_at": "created_at"}

    @extend_schema(request=BillingRunRequestSerializer, responses={202: BillingRunSerializer})
    def create(self, request: Request) -> Response:
        body = BillingRunRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        run, started = start_run(
            period=body.validated_data["period"], by=describe_actor(request.user)
        )
        run.refresh_from_db()
        return Response(BillingRunSerializer(run).data, status=202 if started else 200)


REASON = OpenApiParameter(
    "reason", str, required=False, description="Why the draft is deleted (or in the body)."
)


class InvoiceViewSet(
    DraftActionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Invoices: customers see their own issued ones (never drafts, never the operators'
    split); operators' finance staff those they issue or share revenue in, drafts included.
    What each actor sees is ``billing.selectors.invoices_for``."""

    serializer_class = InvoiceSerializer
    lookup_value_regex = r"[0-9]+"
    required_capability = {
        "list": Capability.VIEW_OWN_INVOICES,
        "retrieve": Capability.VIEW_OWN_INVOICES,
        "pdf": Capability.VIEW_OWN_INVOICES,
        "issue": Capability.RUN_BILLING,
        "issue_many": Capability.RUN_BILLING,
        "destroy": Capability.RUN_BILLING,
        **DraftActionsMixin.DRAFT_CAPABILITIES,
    }
    filter_backends = LIST_FILTERS
    filterset_class = InvoiceFilterSet
    ordering_fields = {
        "period": "period",
        "issued_at": "issued_at",
        "due_date": "due_date",
        "number": "number",
        "customer": "customer__name",
        "billing_party": "billing_party__name",
        "created_at": "created_at",
    }

    def get_queryset(self) -> QuerySet[Invoice]:
        lines = InvoiceLine.objects.select_related("contract__service").prefetch_related(
            Prefetch("allocations", LineAllocation.objects.select_related("operator"))
        )
        queryset = Invoice.objects.select_related("billing_party", "customer").prefetch_related(
            Prefetch("lines", lines), "transitions", *BALANCE_PREFETCH
        )
        return invoices_for(self.request.user, queryset).order_by("-period", "pk")

    def get_serializer_context(self) -> dict[str, Any]:
        return super().get_serializer_context() | {
            "show_split": sees_drafts_and_split(self.request.user)
        }

    def _answer(self, invoice: Invoice, code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=invoice.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(
        request=None,
        responses={
            200: InvoiceSerializer,
            503: OpenApiResponse(description="The PDF could not be made; nothing was issued."),
        },
    )
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: str | None = None) -> Response:
        """Issue a draft: number, freeze and PDF at once (the billing party's finance staff).
        A PDF that cannot be made issues nothing (503, ``pdf_failed``)."""
        invoice = issue_invoice(invoice=self.get_object(), actor=request.user)
        return self._answer(invoice)

    @extend_schema(
        request=IssueManyRequestSerializer,
        responses=IssueManyResultSerializer,
        operation_id="invoices_issue_many",
    )
    @action(detail=False, methods=["post"], url_path="issue", url_name="issue-many")
    def issue_many(self, request: Request) -> Response:
        """Issue several drafts, each in its own transaction: each one's outcome (issued with
        its number, or refused with the reason); one refused holds back none of the others."""
        body = IssueManyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outcomes = issue_invoices(ids=body.validated_data["ids"], actor=request.user)
        issued = sum(1 for outcome in outcomes if outcome.issued)
        return Response(
            {
                "issued": issued,
                "refused": len(outcomes) - issued,
                "results": [outcome.as_dict() for outcome in outcomes],
            }
        )

    @extend_schema(
        parameters=[REASON],
        request=inline_serializer("DeleteDraftRequest", {"reason": serializers.CharField()}),
        responses={200: DeletedDraftSerializer},
    )
    def destroy(self, request: Request, pk: str | None = None) -> Response:
        """Delete a draft, with the reason (``?reason=`` or ``{"reason": ...}``): its lines
        are billed again by a rerun of the period; a record of it is kept."""
        reason = request.query_params.get("reason")
        if reason is None and isinstance(request.data, dict):
            reason = request.data.get("reason")
        record = delete_draft(
            invoice=self.get_object(),
            actor=request.user,
            reason=reason if isinstance(reason, str) else "",
        )
        return Response(DeletedDraftSerializer(record).data)

    @extend_schema(responses=PDF_RESPONSES)
    @action(detail=True, methods=["get"], content_negotiation_class=PdfNegotiation)
    def pdf(self, request: Request, pk: str | None = None) -> FileResponse:
        """The issued invoice's PDF."""
        invoice = self.get_object()
        if not invoice.pdf:
            raise Http404("The PDF exists once the invoice is issued and rendered.")
        return pdf_response(request, invoice.pdf, f"{invoice.number}.pdf")
