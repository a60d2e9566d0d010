"""The outbox: every change a partner cares about writes an ``Event`` in the transaction of the
change; the dispatcher publishes it (gives it its place in the organisation's stream) and
delivers it to the organisation's webhook subscriptions."""

from __future__ import annotations

import uuid

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone

from organisations.models import Organisation

from .choices import DeliveryStatus, EventType


class Event(models.Model):
    """Something that happened, told to one organisation (a change that concerns several
    customers writes one event for each). ``uid`` is its public id, the same in the events list
    and in every delivery of it, for deduplication. ``position`` is set when it is published,
    in commit order, so a reader that remembers the last event it saw misses nothing."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=64, choices=EventType.choices)
    subject_type = models.CharField(max_length=32, help_text="order, service, invoice, ...")
    subject_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    occurred_at = models.DateTimeField(default=timezone.now)
    position = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    tenant_field = "organisation"

    class Meta:
        ordering = ["position", "pk"]
        indexes = [
            models.Index(fields=["organisation", "position"], name="event_org_position"),
            models.Index(
                fields=["id"], condition=Q(position__isnull=True), name="event_unpublished"
            ),
            # The dispatcher's "an earlier delivery about the same object is pending" check.
            models.Index(
                fields=["subject_type", "subject_id", "position"], name="event_subject_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject_type} {self.subject_id} ({self.uid})"


class EventSequence(models.Model):
    """One row: the last position given. Publishing locks it, so positions follow commits."""

    last_position = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"events published up to {self.last_position}"


class WebhookSubscription(models.Model):
    """Where an organisation wants its events POSTed, signed with ``secret``. During a rotation
    the ``previous_secret`` signs too, until ``previous_secret_expires_at``."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_subscriptions"
    )
    url = models.URLField(max_length=2000)
    event_types = models.JSONField(
        default=list, blank=True, help_text="Event types to send; empty: every type."
    )
    description = models.CharField(max_length=200, blank=True)
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    tenant_field = "organisation"

    class Meta:
        ordering = ["organisation", "pk"]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.url}"

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


class WebhookDelivery(models.Model):
    """One event to one subscription: pending until a 2xx answer, retried with backoff, failed
    once the retries are exhausted. The ``attempts`` rows are its log. While a dispatcher POSTs
    it, ``next_attempt_at`` is the end of that dispatcher's lease."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    requested_by = models.CharField(
        max_length=150, blank=True, help_text="Who queued a manual redelivery not yet sent."
    )

    tenant_field = "subscription__organisation"

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"], name="one_delivery_per_event_and_subscription"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status=DeliveryStatus.PENDING),
                name="delivery_due",
            ),
            models.Index(fields=["subscription", "status"], name="delivery_subscription_status"),
        ]

    def __str__(self) -> str:
        return f"{self.event} to {self.subscription.url}: {self.status}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, what came back (or why nothing did), and who asked for it
    when it was a manual redelivery."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    requested_by = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["delivery", "at", "pk"]

    def __str__(self) -> str:
        return f"attempt at {self.at:%Y-%m-%d %H:%M:%S}: {self.response_status or self.error}"
