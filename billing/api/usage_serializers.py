"""Serializers of usage over the API: the bodies collectors post (samples, series) and what
each ingest answers (counts, and each sample's decision and why)."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from ..choices import SampleDecision, SampleStatus
from ..services.usage import MAX_SAMPLES
from ..services.usage_series import MAX_SERIES_SAMPLES


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


class StoredRatesSerializer(serializers.Serializer):
    in_bps = serializers.IntegerField()
    out_bps = serializers.IntegerField()


def _sample_outcome() -> dict[str, serializers.Field]:
    """The fields saying what became of a sample (fresh ones for each result serializer)."""
    return {
        "status": serializers.ChoiceField(
            choices=SampleStatus.choices,
            help_text="The count (accepted, duplicates, rejected) the sample is under.",
        ),
        "decision": serializers.ChoiceField(
            choices=SampleDecision.choices, help_text="What was done with the sample."
        ),
        "reason": serializers.CharField(required=False),
        "stored": StoredRatesSerializer(
            required=False,
            help_text="capped, conflict (and late when capped): the rates the bucket holds.",
        ),
    }


class IngestResultSerializer(serializers.Serializer):
    """Counts, and for each sample not plainly accepted its index in the request, its decision
    and why."""

    batch = serializers.IntegerField()
    accepted = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    rejected = serializers.IntegerField()
    decisions = inline_serializer(
        "SampleDecisionCounts",
        {decision.value: serializers.IntegerField() for decision in SampleDecision},
        help_text="Samples by decision; they add up to the samples sent.",
    )
    results = inline_serializer(
        "SampleResult",
        {"index": serializers.IntegerField(), **_sample_outcome()},
        many=True,
        help_text="Each sample whose decision is not accepted, in order (with ?results=all, "
        "every sample).",
    )
    late = inline_serializer(
        "LateUsage",
        {"circuit_id": serializers.CharField(), "period": serializers.CharField()},
        many=True,
        help_text="Months already closed or billed that the batch added usage to: the usage is "
        "stored, the month's billed 95th stays, and finance sees a late adjustment.",
    )


class SeriesSerializer(serializers.Serializer):
    circuit_id = serializers.CharField()
    start = serializers.DateTimeField(help_text="The first bucket's start, e.g. 2026-10-01T00:00Z.")
    port = serializers.CharField(required=False, help_text="When the service has several ports.")
    in_bps = serializers.ListField(
        child=serializers.IntegerField(allow_null=True),
        help_text="Rates of consecutive 5-minute buckets from start; null where there is none.",
    )
    out_bps = serializers.ListField(
        child=serializers.IntegerField(allow_null=True), help_text="As many as in_bps."
    )


class UsageSeriesSerializer(serializers.Serializer):
    series = SeriesSerializer(many=True, help_text=f"Up to {MAX_SERIES_SAMPLES} buckets in all.")


class SeriesIngestResultSerializer(IngestResultSerializer):
    """Counts, and for each sample not plainly accepted its series, its bucket, its decision
    and why."""

    results = inline_serializer(
        "SeriesSampleResult",
        {
            "series": serializers.IntegerField(),
            "ts": serializers.DateTimeField(),
            **_sample_outcome(),
        },
        many=True,
        help_text="Each sample whose decision is not accepted, in order (with ?results=all, "
        "every sample).",
    )
