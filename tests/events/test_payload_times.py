"""Every time in an event is written one way: ISO 8601 in UTC with ``Z``, like the envelope's
``created_at``, whatever zone the change was made in (a maintenance window typed in Baku time
is sent in UTC)."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
from django.utils import timezone

from events.choices import EventType
from events.models import Event
from events.services.outbox import event_payload, utc_iso
from leasing.choices import MaintenanceImpact
from leasing.services.maintenance import schedule_maintenance

from ..leasing.conftest import net, sales_net
from ..leasing.maintenance_world import add_maintenance_world

__all__ = ["net", "sales_net"]

pytestmark = pytest.mark.django_db
BAKU = zoneinfo.ZoneInfo("Asia/Baku")
A_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _times(value: object) -> list[str]:
    """Every string in ``value`` (nested) that reads as a date and time."""
    if isinstance(value, dict):
        return [t for item in value.values() for t in _times(item)]
    if isinstance(value, list):
        return [t for item in value for t in _times(item)]
    return [value] if isinstance(value, str) and A_TIME.match(value) else []


def test_utc_iso_converts_any_zone_to_utc_with_z() -> None:
    baku = datetime.datetime(2026, 12, 1, 6, 0, tzinfo=BAKU)  # +04:00
    assert utc_iso(baku) == "2026-12-01T02:00:00Z"
    assert utc_iso(datetime.datetime(2026, 12, 1, 2, 0, 0, 5, tzinfo=datetime.UTC)) == (
        "2026-12-01T02:00:00.000005Z"
    )
    assert utc_iso(None) is None


def test_a_maintenance_window_given_in_baku_time_is_sent_in_utc(sales_net) -> None:
    world = add_maintenance_world(sales_net)
    start = (timezone.now() + datetime.timedelta(days=15)).astimezone(BAKU)
    start = start.replace(minute=0, second=0, microsecond=0)
    schedule_maintenance(
        segments=[world.land],
        window_start=start,
        window_end=start + datetime.timedelta(hours=4),
        impact=MaintenanceImpact.LOSS_OF_SERVICE,
        reason="Splice repair",
        actor=world.noc,
    )
    event = Event.objects.filter(type=EventType.MAINTENANCE_SCHEDULED).first()
    payload = event_payload(event)
    data = payload["data"]
    assert data["window_start"] == start.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert data["announced_at"].endswith("Z")
    times = _times(payload)
    assert len(times) >= 4  # created_at, window_start, window_end, announced_at
    assert all(t.endswith("Z") and "+" not in t for t in times), times
