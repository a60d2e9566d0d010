"""Planned maintenance on segments, its history, and each organisation's calendar feed."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ..choices import MaintenanceAction, MaintenanceImpact, MaintenanceStatus
from .network import Segment

REASON_MAX = 500


class Maintenance(models.Model):
    """Work planned by network staff on one or more segments between ``window_start`` and
    ``window_end``: every service whose path uses one of them is affected (``leasing.selectors.
    affected_services``). Changed only by ``leasing.services.maintenance``; its status only
    through ``leasing.maintenance_lifecycle``.

    ``announced_at`` is when the customers were last told of a change to the window
    (scheduling, or an update that moved it). ``announced_spans`` keeps, for each part of the
    current window, when that part was announced: a part that stayed inside the window since it
    was first announced keeps that time, and only time an update added counts as announced at
    the update (``announced_spans_after``). Outage time inside a part does not count against a
    contract's SLA when the part was announced at least the contract's notice period before the
    part starts (``billing.services.uptime``). Empty means one part: the whole window, announced
    at ``announced_at`` (maintenance never updated since the field came).
    ``sequence`` counts the updates customers were told of (iCalendar's SEQUENCE)."""

    segments = models.ManyToManyField(Segment, related_name="maintenances")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    impact = models.CharField(max_length=16, choices=MaintenanceImpact.choices)
    reason = models.CharField(max_length=REASON_MAX)
    status = models.CharField(
        max_length=16, choices=MaintenanceStatus.choices, default=MaintenanceStatus.SCHEDULED
    )
    sequence = models.PositiveIntegerField(default=0)
    announced_at = models.DateTimeField(default=timezone.now)
    announced_spans = models.JSONField(
        default=list,
        blank=True,
        help_text="[start, end, announced at] per part of the window; empty: all at announced_at.",
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-window_start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gt=F("window_start")),
                name="maintenance_ends_after_it_starts",
                violation_error_message="Maintenance ends after it starts.",
            )
        ]
        indexes = [models.Index(fields=["status", "window_start"])]

    def __str__(self) -> str:
        return f"Maintenance {self.pk} from {self.window_start:%Y-%m-%d %H:%M}"

    @property
    def reference(self) -> str:
        """What customers quote: MNT-000123."""
        return f"MNT-{self.pk:06d}"

    @property
    def notice(self) -> datetime.timedelta:
        """How long before its window the current window was announced."""
        return self.window_start - self.announced_at

    def spans(self) -> list[Span]:
        """The parts of the current window, each with when it was announced."""
        return spans_of(self.window_start, self.window_end, self.announced_at, self.announced_spans)


#: A part of a maintenance window: start, end, when the customers were told of it.
Span = tuple[datetime.datetime, datetime.datetime, datetime.datetime]


def spans_of(
    window_start: datetime.datetime,
    window_end: datetime.datetime,
    announced_at: datetime.datetime,
    stored: list[list[str]] | None,
) -> list[Span]:
    """The spans ``stored`` in ``Maintenance.announced_spans`` (ISO text), or the whole window
    announced at ``announced_at`` when none are."""
    if not stored:
        return [(window_start, window_end, announced_at)]
    parse = datetime.datetime.fromisoformat
    return [(parse(a), parse(b), parse(at)) for a, b, at in stored]


def announced_spans_after(
    spans: list[Span], start: datetime.datetime, end: datetime.datetime, at: datetime.datetime
) -> list[Span]:
    """The spans of the window [start, end) announced ``at``, when the window had ``spans``.

    What stays inside the window keeps when it was announced; time the new window adds is
    announced ``at``. Time taken out and put back later counts as announced when put back (the
    customer was told it was free in between). Sorted by start, disjoint, covering the window."""
    kept = [
        (max(a, start), min(b, end), told) for a, b, told in spans if max(a, start) < min(b, end)
    ]
    added: list[Span] = []
    reach = start
    for a, b, _ in sorted(kept):
        if reach < a:
            added.append((reach, a, at))
        reach = max(reach, b)
    if reach < end:
        added.append((reach, end, at))
    return sorted(kept + added)


def stored_spans(spans: list[Span]) -> list[list[str]]:
    """``spans`` as ``Maintenance.announced_spans`` keeps them."""
    return [[a.isoformat(), b.isoformat(), at.isoformat()] for a, b, at in spans]


class MaintenanceChange(models.Model):
    """One step of a maintenance's history: who, when, what changed (``changes``: field ->
    [before, after], as ISO text) and why."""

    maintenance = models.ForeignKey(Maintenance, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=16, choices=MaintenanceAction.choices)
    changes = models.JSONField(default=dict)
    note = models.CharField(max_length=REASON_MAX, blank=True)
    by = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["maintenance", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.by} at {self.at:%Y-%m-%d %H:%M}"


class CalendarFeed(models.Model):
    """An organisation's secret iCalendar feed: only the SHA-256 of its token is kept, so the
    address is shown once, when it is made; making a new one replaces it (the old stops)."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    tenant_field = "organisation"

    def __str__(self) -> str:
        return f"Calendar feed of {self.organisation}"


def default_maintenance_notice_days() -> int:
    """A new contract's notice for planned maintenance (``TCFO_MAINTENANCE_NOTICE_DAYS``)."""
    return settings.TCFO_MAINTENANCE_NOTICE_DAYS
