"""An event as a partner reads it: the same JSON in ``GET /api/v1/events/`` and in a webhook's
body (``events.services.outbox.event_payload``). The fields below declare it for the schema."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..choices import EventType
from ..models import Event
from ..services.outbox import event_payload


class EventSubjectSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="order, service, invoice, credit_note, ...")
    id = serializers.CharField(help_text="The object's id (a service's circuit_id).")


class EventSerializer(serializers.Serializer):
    id = serializers.UUIDField(
        help_text="The event's unique id: the same in every delivery of it (deduplicate on it) "
        "and the cursor of the list (?after=)."
    )
    type = serializers.ChoiceField(choices=EventType.choices)
    created_at = serializers.DateTimeField(help_text="When it happened.")
    organisation = serializers.CharField(help_text="Whose event it is.")
    subject = EventSubjectSerializer()
    data = serializers.DictField(
        help_text="The object's state after the change, in the API's field names (money as "
        '{"amount", "currency"}), with its "url" where it has one.'
    )

    def to_representation(self, event: Event) -> dict[str, Any]:
        return event_payload(event)
