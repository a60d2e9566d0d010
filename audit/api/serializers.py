from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

ACTIONS = {LogEntry.Action.CREATE: "create", LogEntry.Action.UPDATE: "update"}
ACTIONS[LogEntry.Action.DELETE] = "delete"


class AuditEntrySerializer(serializers.Serializer):
    """One change: who, when, what record and what changed (``[before, after]`` per field)."""

    id = serializers.IntegerField()
    timestamp = serializers.DateTimeField()
    actor = serializers.SerializerMethodField(help_text="Who acted; null for the system.")
    actor_address = serializers.IPAddressField(
        allow_null=True, help_text="Where from: platform admins only (null for anyone else)."
    )
    action = serializers.SerializerMethodField()
    record_type = serializers.CharField(source="content_type.name")
    record = serializers.CharField(source="object_repr")
    changes = serializers.SerializerMethodField()
    organisations = serializers.SerializerMethodField(
        help_text='Whose record it is: organisation names, or "consortium" for shared records.'
    )

    def get_actor(self, entry: LogEntry) -> str | None:
        return (entry.additional_data or {}).get("actor") or None

    @extend_schema_field(serializers.ChoiceField(choices=["create", "update", "delete"]))
    def get_action(self, entry: LogEntry) -> str:
        return ACTIONS.get(entry.action, "update")

    @extend_schema_field(serializers.DictField(child=serializers.JSONField()))
    def get_changes(self, entry: LogEntry) -> dict[str, Any]:
        return entry.changes_dict

    def get_organisations(self, entry: LogEntry) -> list[str]:
        return [str(scope) for scope in entry.audit_scopes.all()]
