"""Webhook subscriptions and their delivery log, as the API reads and writes them."""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import DeliveryStatus, EventType
from ..models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from ..services.webhooks import DESCRIPTION_MAX_LENGTH, URL_MAX_LENGTH


class BlankAsNullCharField(serializers.CharField):
    """Text stored as ``""`` when there is none, answered ``null``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(read_only=True, allow_null=True)
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str | None:
        return value or None


class WebhookSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        help_text="The event types sent to this URL; empty: every type.",
    )
    disabled_reason = BlankAsNullCharField()
    previous_secret_valid_until = serializers.SerializerMethodField(
        help_text="While a rotated-out secret still signs (a second v1= in TCFO-Signature)."
    )

    class Meta:
        model = WebhookSubscription
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "is_active",
            "disabled_at",
            "disabled_reason",
            "consecutive_failures",
            "last_success_at",
            "previous_secret_valid_until",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_previous_secret_valid_until(self, obj: WebhookSubscription) -> datetime.datetime | None:
        until = obj.previous_secret_expires_at
        if not obj.previous_secret or until is None or until <= timezone.now():
            return None
        return until


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The signing secret: shown in this answer only (null in an idempotent replay).",
    )

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookWriteSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=URL_MAX_LENGTH,
        help_text="http:// or https:// (no user name or password in it).",
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        required=False,
        max_length=len(EventType.choices),
        help_text="The event types to send; empty or left out: every type.",
    )
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True
    )


class WebhookUpdateSerializer(WebhookWriteSerializer):
    url = serializers.CharField(max_length=URL_MAX_LENGTH, required=False)
    is_active = serializers.BooleanField(
        required=False, help_text="false disables the webhook; true enables it again."
    )


class AttemptSerializer(serializers.ModelSerializer):
    error = BlankAsNullCharField()
    requested_by = BlankAsNullCharField(help_text="Who asked for a manual redelivery.")

    class Meta:
        model = WebhookAttempt
        fields = ["at", "response_status", "error", "duration_ms", "requested_by"]
        read_only_fields = fields


class SubjectSerializer(serializers.Serializer):
    type = serializers.CharField(source="subject_type")
    id = serializers.CharField(source="subject_id")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    webhook = serializers.IntegerField(source="subscription_id", read_only=True)
    event = serializers.UUIDField(source="event.uid", read_only=True)
    event_type = serializers.ChoiceField(
        source="event.type", choices=EventType.choices, read_only=True
    )
    subject = SubjectSerializer(source="event", read_only=True)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, read_only=True)
    last_error = BlankAsNullCharField()

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook",
            "event",
            "event_type",
            "subject",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "response_status",
            "last_error",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    log = AttemptSerializer(many=True, read_only=True, help_text="Every attempt, oldest first.")

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "log"]
        read_only_fields = fields
