"""Thin Celery tasks: publish the outbox and deliver what is due."""

from __future__ import annotations

from celery import shared_task

from .services.delivery import DELIVERY_BATCH, deliver_due
from .services.outbox import PUBLISH_BATCH, publish_pending


@shared_task(name="events.tasks.dispatch_events", ignore_result=True)
def dispatch_events() -> int:
    """Publish every committed event, then send the webhook deliveries that are due (queued
    after each commit that wrote an event, and every minute by beat for retries and for what a
    broker outage kept from being queued). Returns how many events were published."""
    published = 0
    while True:
        count = publish_pending()
        published += count
        if count < PUBLISH_BATCH:
            break
    while deliver_due() == DELIVERY_BATCH:
        pass
    return published
