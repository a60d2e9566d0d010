"""Thin Celery tasks: publish the outbox and deliver what is due."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from .services.delivery import DELIVERY_BATCH, deliver_due
from .services.outbox import PUBLISH_BATCH, publish_pending

logger = logging.getLogger(__name__)

# One run claims no more deliveries after DISPATCH_BUDGET_SECONDS (beat queues the next run every
# minute); the soft limit interrupts a run stuck anyway, the hard one kills it (prefork workers).
# A delivery claimed by an interrupted run keeps its lease and is sent once the lease expires.
DISPATCH_BUDGET_SECONDS = 120
DISPATCH_SOFT_TIME_LIMIT = 240
DISPATCH_TIME_LIMIT = 300


@shared_task(
    name="events.tasks.dispatch_events",
    ignore_result=True,
    soft_time_limit=DISPATCH_SOFT_TIME_LIMIT,
    time_limit=DISPATCH_TIME_LIMIT,
)
def dispatch_events() -> int:
    """Publish every committed event, then send the webhook deliveries that are due (queued
    after each commit that wrote an event, and every minute by beat for retries and for what a
    broker outage kept from being queued). Returns how many events were published."""
    stop_at = time.monotonic() + DISPATCH_BUDGET_SECONDS
    published = 0
    try:
        while True:
            count = publish_pending()
            published += count
            if count < PUBLISH_BATCH:
                break
        while deliver_due(stop_at=stop_at) == DELIVERY_BATCH:
            pass
    except SoftTimeLimitExceeded:
        logger.warning("dispatch_events stopped at its time limit; the next run carries on")
    return published
