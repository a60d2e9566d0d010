from __future__ import annotations

import datetime

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from organisations.choices import Capability
from tcfo_portal.api.parsers import FastJSONParser

from ..choices import UsageSource
from ..selectors import ServiceUsage, service_usage, visible_service
from ..services.percentiles import PeriodError, parse_period
from ..services.usage import MAX_SAMPLES, ingest

PERIOD = OpenApiParameter("period", str, required=True, description="YYYY-MM, e.g. 2026-10.")


class SampleSerializer(serializers.Serializer):
    circuit_id = serializers.CharField()
    ts = serializers.DateTimeField(
        help_text="Rates: the bucket's start. Counters: the reading time."
    )
    port = serializers.CharField(required=False, help_text="When the service has several ports.")
    in_bps = serializers.IntegerField(required=False)
    out_bps = serializers.IntegerField(required=False)
    in_octets = serializers.IntegerField(required=False)
    out_octets = serializers.IntegerField(required=False)


class IngestRequestSerializer(serializers.Serializer):
    samples = SampleSerializer(many=True, help_text=f"Up to {MAX_SAMPLES} samples.")


class IngestResultSerializer(serializers.Serializer):
    """Counts, and for each sample not accepted its index in the request and why."""

    batch = serializers.IntegerField()
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = inline_serializer(
        "SampleResult",
        {
            "index": serializers.IntegerField(),
            "status": serializers.ChoiceField(choices=["accepted", "duplicate", "rejected"]),
            "reason": serializers.CharField(required=False),
        },
        many=True,
    )


class UsageSamplesView(APIView):
    """Bulk usage from the operators' collectors: rates per 5-minute bucket or octet counters."""

    required_capability = Capability.INGEST_USAGE
    parser_classes = [FastJSONParser]

    @extend_schema(request=IngestRequestSerializer, responses=IngestResultSerializer)
    def post(self, request: Request) -> Response:
        raw = request.body
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("samples"), list):
            raise ValidationError({"samples": ['Send {"samples": [...]}.']})
        try:
            result = ingest(
                samples=body["samples"], actor=request.user, source=UsageSource.API, raw_payload=raw
            )
        except ValueError as error:
            raise ValidationError({"samples": [str(error)]}) from None
        return Response(
            {
                "batch": result.batch.pk,
                "accepted": result.count("accepted"),
                "duplicates": result.count("duplicate"),
                "rejected": result.count("rejected"),
                # Accepted samples need no word; the others each say why.
                "results": [r.as_dict() for r in result.results if r.status != "accepted"],
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
                "samples": [
                    {
                        "ts": datetime.datetime.fromtimestamp(int(ts), datetime.UTC)
                        .isoformat()
                        .replace("+00:00", "Z"),
                        "in_bps": int(a),
                        "out_bps": int(b),
                    }
                    for ts, a, b in zip(
                        times, usage.in_bps[present], usage.out_bps[present], strict=True
                    )
                ],
            }
        )
