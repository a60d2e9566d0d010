"""Usage decisions over the API (``GET /api/v1/usage-decisions/``, ``POST .../{id}/resolve/``):
thin views over ``selectors.usage_decisions_for`` and ``services.usage_decisions``, which decide
who reads and who resolves, as the portal's pages do."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from organisations.choices import Capability
from tcfo_portal.api.filters import LIST_FILTERS
from tcfo_portal.api.idempotency import idempotent_post

from ..choices import ConflictChoice, UsageEventKind
from ..filtersets import UsageDecisionFilterSet
from ..models import UsageEvent, UsageResolution
from ..selectors import usage_decisions_for
from ..services.usage_days import timestamp_text
from ..services.usage_decisions import event_period, resolve_conflict


class UsageResolutionSerializer(serializers.ModelSerializer):
    """Who resolved a conflict, when, why, and the bucket's rates before and after (bit/s)."""

    kept = serializers.ChoiceField(choices=ConflictChoice.choices)

    class Meta:
        model = UsageResolution
        fields = [
            "kept",
            "before_in_bps",
            "before_out_bps",
            "in_bps",
            "out_bps",
            "reason",
            "resolved_by",
            "resolved_at",
        ]


class UsageDecisionSerializer(serializers.ModelSerializer):
    """One decision ingest took: its kind, the bucket or reading (``ts``, ISO 8601 UTC), the
    billing month it falls in, what was recorded (``detail``: for a conflict ``stored`` and
    ``received`` as [in, out] bit/s) and, for a resolved conflict, its ``resolution``."""

    kind = serializers.ChoiceField(choices=UsageEventKind.choices)
    circuit_id = serializers.CharField(source="port.service.circuit_id")
    port = serializers.CharField(source="port.name")
    ts = serializers.SerializerMethodField()
    period = serializers.SerializerMethodField()
    detail = serializers.JSONField()
    resolution = serializers.SerializerMethodField()

    class Meta:
        model = UsageEvent
        fields = [
            "id",
            "kind",
            "circuit_id",
            "port",
            "ts",
            "period",
            "detail",
            "created_at",
            "resolution",
        ]

    def get_ts(self, event: UsageEvent) -> str:
        return timestamp_text(event.ts)

    def get_period(self, event: UsageEvent) -> str:
        return event_period(event)

    @extend_schema_field(UsageResolutionSerializer(allow_null=True))
    def get_resolution(self, event: UsageEvent) -> dict[str, Any] | None:
        resolution = getattr(event, "resolution", None)
        return None if resolution is None else UsageResolutionSerializer(resolution).data


class ResolveRequestSerializer(serializers.Serializer):
    keep = serializers.ChoiceField(
        choices=ConflictChoice.choices,
        help_text="stored: the bucket keeps its value; received: it takes the value received "
        "(capped at the port's speed).",
    )
    reason = serializers.CharField(max_length=300, help_text="Why; kept with the resolution.")


class UsageDecisionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Usage decisions: conflicts (another value for a bucket already stored), counter resets,
    wraps, caps at the port's speed, gaps, failed polls. Customers read those on their own
    services; operators' staff those on the services they see. Operators' network staff
    resolve a conflict before its month is billed."""

    serializer_class = UsageDecisionSerializer
    lookup_value_regex = r"[0-9]+"
    required_capability = {
        "list": Capability.VIEW_OWN_SERVICES,
        "retrieve": Capability.VIEW_OWN_SERVICES,
        "resolve": Capability.INGEST_USAGE,
    }
    filter_backends = LIST_FILTERS
    filterset_class = UsageDecisionFilterSet
    ordering_fields = {"ts": "ts", "created_at": "created_at"}

    def get_queryset(self) -> QuerySet[UsageEvent]:
        if getattr(self, "swagger_fake_view", False):  # the schema, without a caller
            return UsageEvent.objects.none()
        return usage_decisions_for(self.request.user).order_by("-ts", "-pk")

    @extend_schema(
        request=ResolveRequestSerializer,
        responses={
            200: UsageDecisionSerializer,
            400: OpenApiResponse(description="Not a conflict, no reason, or a bad choice."),
            403: OpenApiResponse(description="Not operators' network staff."),
            404: OpenApiResponse(description="No such decision (or not one you see)."),
            409: OpenApiResponse(description="Resolved already, or its month is billed."),
        },
    )
    @action(detail=True, methods=["post"])
    @idempotent_post
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        """Resolve a conflict: which value the bucket keeps, and why. The month's 95th
        percentile is computed from the value kept; refused once the month is billed."""
        event = self.get_object()
        body = ResolveRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        resolve_conflict(event=event, actor=request.user, **body.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=event.pk)).data)
