"""An organisation's planned work and outages as an iCalendar (RFC 5545) feed.

One VEVENT per maintenance (UID stable, times in UTC, STATUS CONFIRMED or CANCELLED, SEQUENCE
bumped on each change customers were told of) and one per outage of its services. A
maintenance's event spans its planned window until the work starts; from then it starts when
the work started and, once completed, ends when it was completed (``maintenance_span``), so a
calendar shows finished work when it happened, not on its planned day. Descriptions
name only the organisation's own circuits.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from icalendar import Calendar, Event

from organisations.models import Organisation

from .choices import MaintenanceImpact, MaintenanceStatus
from .models import Maintenance, Outage
from .selectors import (
    affected_circuits,
    maintenance_visible_to_organisation,
    outage_circuits,
    outages_visible_to_organisation,
)

UID_DOMAIN = "tcfo-portal"
#: How far back the feed reaches: calendar programs keep what they saw.
HISTORY = datetime.timedelta(days=366)


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value.astimezone(datetime.UTC)


def maintenance_span(m: Maintenance) -> tuple[datetime.datetime, datetime.datetime]:
    """The event's (start, end) in UTC: the planned window, the actual start once started, the
    actual end once completed."""
    start = m.started_at or m.window_start
    end = m.completed_at or max(m.window_end, start)
    return _utc(start), _utc(end)


def maintenance_sequence(m: Maintenance) -> int:
    """The event's SEQUENCE: the maintenance's (bumped on each change customers were told of),
    plus one for the actual start and one for the actual end, which move the event's times
    (RFC 5545 3.8.7.4: a calendar takes new times only with a higher sequence)."""
    return m.sequence + (m.started_at is not None) + (m.completed_at is not None)


def _when(value: datetime.datetime) -> str:
    return f"{_utc(value):%Y-%m-%d %H:%M} UTC"


def feed_items(organisation: Organisation) -> tuple[list[Maintenance], list[Outage]]:
    since = timezone.now() - HISTORY
    maintenances: QuerySet[Maintenance] = (
        maintenance_visible_to_organisation(organisation)
        .filter(window_end__gte=since)
        .prefetch_related("segments")
        .order_by("window_start", "pk")
    )
    outages: QuerySet[Outage] = (
        outages_visible_to_organisation(organisation)
        .filter(started_at__gte=since)
        .select_related("segment")
        .annotate(change_count=Count("changes"), last_change=Max("changes__at"))
        .order_by("started_at", "pk")
    )
    return list(maintenances), list(outages)


def calendar_for(organisation: Organisation) -> bytes:
    """The organisation's feed, ready to serve as ``text/calendar``."""
    maintenances, outages = feed_items(organisation)
    circuits = affected_circuits(maintenances, organisation if organisation.is_customer else None)
    hit = outage_circuits(outages, organisation if organisation.is_customer else None)
    now = _utc(timezone.now()).replace(microsecond=0)
    calendar = Calendar()
    calendar.add("prodid", "-//TCFO Capacity Portal//Planned work and outages//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"TCFO planned work and outages: {organisation.name}")
    for m in maintenances:
        event = Event()
        event.add("uid", f"maintenance-{m.pk}@{UID_DOMAIN}")
        event.add("dtstamp", now)
        start, end = maintenance_span(m)
        event.add("dtstart", start)
        event.add("dtend", end)
        impact = MaintenanceImpact(m.impact).label
        event.add("summary", f"Planned maintenance {m.reference}: {impact}")
        lines = [
            f"Impact: {impact}",
            f"Reason: {m.reason}",
            f"Status: {MaintenanceStatus(m.status).label}",
            f"Planned window: {_when(m.window_start)} to {_when(m.window_end)}",
            *([f"Started: {_when(m.started_at)}"] if m.started_at else []),
            *([f"Completed: {_when(m.completed_at)}"] if m.completed_at else []),
            f"Segments: {', '.join(s.code for s in m.segments.all())}",
            f"Your affected circuits: {', '.join(circuits.get(m.pk, [])) or 'none'}",
        ]
        event.add("description", "\n".join(lines))
        cancelled = m.status == MaintenanceStatus.CANCELLED
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("sequence", maintenance_sequence(m))
        event.add("last-modified", _utc(m.updated_at).replace(microsecond=0))
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    for outage in outages:
        event = Event()
        event.add("uid", f"outage-{outage.pk}@{UID_DOMAIN}")
        event.add("dtstamp", now)
        event.add("dtstart", _utc(outage.started_at))
        if outage.ended_at is not None:
            event.add("dtend", _utc(outage.ended_at))
        ongoing = "" if outage.ended_at else " (ongoing)"
        event.add("summary", f"Outage on {outage.segment.code}{ongoing}")
        lines = [
            f"What happened: {outage.description}",
            f"Your affected circuits: {', '.join(hit.get(outage.pk, [])) or 'none'}",
        ]
        event.add("description", "\n".join(lines))
        event.add("status", "CONFIRMED")
        event.add("sequence", max(outage.change_count - 1, 0))
        modified = outage.last_change or outage.created_at
        event.add("last-modified", _utc(modified).replace(microsecond=0))
        calendar.add_component(event)
    return calendar.to_ical()
