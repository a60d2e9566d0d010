"""Writing events (in the transaction of the change) and publishing them (after it commits).

A service that changes something a partner cares about calls ``record_event`` inside its own
transaction: the event exists exactly when the change does. Nothing is sent from here. Once the
transaction commits, ``dispatch_events`` is queued (and a beat job runs it every minute anyway,
so an event written while the broker or every worker was down is published when they are back).
``publish_pending`` gives each committed event its position, in commit order, and a delivery for
each active subscription of its organisation that wants its type.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from organisations.models import Organisation
from tcfo_portal.queue import on_commit_robustly

from ..choices import DeliveryStatus, EventType
from ..models import Event, EventSequence, WebhookDelivery, WebhookSubscription

logger = logging.getLogger(__name__)

DISPATCH_TASK = "events.tasks.dispatch_events"
PUBLISH_BATCH = 1000


def record_event(
    *,
    type: EventType | str,
    organisation: Organisation,
    subject_type: str,
    subject_id: object,
    data: Mapping[str, Any],
    occurred_at: datetime.datetime | None = None,
) -> Event:
    """Write an event for ``organisation`` about ``subject_type`` ``subject_id`` in the current
    transaction, and have it dispatched once that commits. ``data`` is what the partner reads:
    the subject's state after the change, in the API's words (JSON-able: money as strings)."""
    event = Event.objects.create(
        type=EventType(type),
        organisation=organisation,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=dict(data),
        occurred_at=occurred_at or timezone.now(),
    )
    _dispatch_after_commit()
    return event


def record_events(
    *,
    type: EventType | str,
    organisations: Iterable[Organisation],
    subject_type: str,
    subject_id: object,
    data: Mapping[str, Any],
    occurred_at: datetime.datetime | None = None,
) -> list[Event]:
    """``record_event`` for each of ``organisations`` (each once)."""
    seen: set[int] = set()
    events = []
    for organisation in organisations:
        if organisation.pk in seen:
            continue
        seen.add(organisation.pk)
        events.append(
            record_event(
                type=type,
                organisation=organisation,
                subject_type=subject_type,
                subject_id=subject_id,
                data=data,
                occurred_at=occurred_at,
            )
        )
    return events


def _queue_dispatch() -> None:
    # A broker that is down must not fail a change that has committed: the beat job publishes
    # and delivers what this would have (``robust`` logs the error instead of raising it).
    from tcfo_portal.celery import app

    app.tasks[DISPATCH_TASK].delay()


def _dispatch_after_commit() -> None:
    """Queue one dispatch per transaction, however many events it writes."""
    if connection.in_atomic_block and any(
        callback is _queue_dispatch for _, callback, _ in connection.run_on_commit
    ):
        return
    on_commit_robustly(_queue_dispatch)


def publish_pending(*, now: datetime.datetime | None = None, batch: int = PUBLISH_BATCH) -> int:
    """Publish committed events not yet published, oldest first: each gets the next position
    and a pending delivery for every active subscription of its organisation that wants it.
    Returns how many were published (at most ``batch``; call again while it returns ``batch``).
    Concurrent callers queue on the sequence row, so positions follow the order of publishing."""
    now = now or timezone.now()
    with transaction.atomic():
        sequence, _ = EventSequence.objects.select_for_update().get_or_create(pk=1)
        events = list(
            Event.objects.filter(position__isnull=True).order_by("pk").select_for_update()[:batch]
        )
        if not events:
            return 0
        subscriptions: dict[int, list[WebhookSubscription]] = {}
        for subscription in WebhookSubscription.objects.filter(
            is_active=True, organisation_id__in={event.organisation_id for event in events}
        ):
            subscriptions.setdefault(subscription.organisation_id, []).append(subscription)
        position = sequence.last_position
        deliveries = []
        for event in events:
            position += 1
            event.position = position
            event.published_at = now
            for subscription in subscriptions.get(event.organisation_id, ()):
                if subscription.wants(event.type):
                    deliveries.append(
                        WebhookDelivery(
                            subscription=subscription,
                            event=event,
                            status=DeliveryStatus.PENDING,
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
        Event.objects.bulk_update(events, ["position", "published_at"])
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
        sequence.last_position = position
        sequence.save(update_fields=["last_position"])
    return len(events)


def utc_iso(value: datetime.datetime | None) -> str | None:
    """A time as every event writes it: ISO 8601 in UTC with ``Z`` (``2026-12-01T02:00:00Z``),
    whatever zone the value carries; ``None`` stays ``None``. The envelope's ``created_at`` and
    every time in ``data`` go through here, so a partner parses one format."""
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def event_payload(event: Event) -> dict[str, Any]:
    """The JSON a partner reads, the same in a webhook's body and in ``GET /api/v1/events/``."""
    return {
        "id": str(event.uid),
        "type": event.type,
        "created_at": utc_iso(event.occurred_at),
        "organisation": event.organisation.name,
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "data": event.data,
    }
