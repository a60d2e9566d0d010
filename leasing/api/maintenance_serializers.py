"""The API's planned maintenance: what it reads and what network staff send."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tcfo_portal.api.fields import CodeField

from ..choices import MaintenanceImpact
from ..models import Maintenance, MaintenanceChange, Segment
from ..models.maintenance import REASON_MAX


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time with its offset (``Z`` or ``+04:00``): a time without one is refused,
    never read as UTC."""

    default_error_messages = {
        "naive": "Give the time with its offset, e.g. 2026-12-01T02:00:00+04:00 or ...Z.",
    }

    def to_internal_value(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)


class MaintenanceChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = MaintenanceChange
        fields = ["action", "changes", "note", "by", "at"]
        read_only_fields = fields


class MaintenanceSerializer(serializers.ModelSerializer):
    """Customers read only their own affected circuits, and no history or author (network
    staff's names are the consortium's)."""

    reference = serializers.CharField(read_only=True)
    segments = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    circuit_ids = serializers.SerializerMethodField(
        help_text="The affected circuits: for a customer, only its own."
    )
    created_by = serializers.SerializerMethodField(help_text="Staff only; null for customers.")
    history = serializers.SerializerMethodField(help_text="Staff only; empty for customers.")

    class Meta:
        model = Maintenance
        fields = [
            "id",
            "reference",
            "status",
            "impact",
            "reason",
            "window_start",
            "window_end",
            "segments",
            "circuit_ids",
            "sequence",
            "announced_at",
            "reminder_sent_at",
            "started_at",
            "completed_at",
            "cancelled_at",
            "created_by",
            "history",
        ]
        read_only_fields = fields

    def get_circuit_ids(self, maintenance: Maintenance) -> list[str]:
        return self.context.get("circuits", {}).get(maintenance.pk, [])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_created_by(self, maintenance: Maintenance) -> str | None:
        return maintenance.created_by if self.context.get("staff") else None

    @extend_schema_field(MaintenanceChangeSerializer(many=True))
    def get_history(self, maintenance: Maintenance) -> list[dict[str, Any]]:
        if not self.context.get("staff"):
            return []
        return MaintenanceChangeSerializer(maintenance.changes.all(), many=True).data


class MaintenanceScheduleSerializer(serializers.Serializer):
    segments = serializers.ListField(
        child=CodeField(queryset=Segment.objects.all()), min_length=1, max_length=50
    )
    window_start = AwareDateTimeField()
    window_end = AwareDateTimeField()
    impact = serializers.ChoiceField(choices=MaintenanceImpact.choices)
    reason = serializers.CharField(max_length=REASON_MAX)


class MaintenanceUpdateSerializer(serializers.Serializer):
    """Only the fields sent change; ``note`` says why (the customers read it)."""

    window_start = AwareDateTimeField(required=False)
    window_end = AwareDateTimeField(required=False)
    impact = serializers.ChoiceField(choices=MaintenanceImpact.choices, required=False)
    reason = serializers.CharField(max_length=REASON_MAX, required=False)
    note = serializers.CharField(max_length=REASON_MAX, required=False, default="")


class MaintenanceCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_MAX, help_text="The customers read it.")


class MaintenanceNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=REASON_MAX, required=False, default="")
