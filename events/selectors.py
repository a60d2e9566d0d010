"""Reads of events and webhooks, per actor."""

from __future__ import annotations

from django.db.models import QuerySet

from organisations.access import Actor, visible_to

from .models import Event, WebhookDelivery, WebhookSubscription


def events_for(actor: Actor | None) -> QuerySet[Event]:
    """The published events of the actor's organisation (every one for platform admins), in
    the order they were published."""
    return (
        visible_to(Event.objects.all(), actor)
        .filter(position__isnull=False)
        .select_related("organisation")
        .order_by("position")
    )


def subscriptions_for(actor: Actor | None) -> QuerySet[WebhookSubscription]:
    return visible_to(WebhookSubscription.objects.all(), actor).select_related("organisation")


def deliveries_for(actor: Actor | None) -> QuerySet[WebhookDelivery]:
    return visible_to(WebhookDelivery.objects.all(), actor).select_related("event", "subscription")
