"""Thin Celery tasks: publish the outbox and deliver what is due."""

from __future__ import annotations

from celery import shared_task

from .services.outbox import PUBLISH_BATCH, publish_pending


@shared_task(name="events.tasks.dispatch_events", ignore_result=True)
def dispatch_events() -> int:
    """Publish every committed event (queued after each commit that wrote one, and by beat)."""
    published = 0
    while True:
        count = publish_pending()
        published += count
        if count < PUBLISH_BATCH:
            return published
