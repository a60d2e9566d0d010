"""Monthly uptime of a service (% of the time it ran that it was not down), from the outages
recorded on its path's segments, and the SLA credit it earns under the contract's tiers.

Outage time on a segment inside a planned maintenance window of that segment does not count
when that part of the window was announced at least the contract's ``maintenance_notice_days``
before it started (and the maintenance was not cancelled): customers were told in time. A
window changed later keeps the notice of the time that stayed in it; only the time an update
added counts as announced at the update (``Maintenance.announced_spans``). Maintenance
completed early excuses nothing after its completion. Outage time outside the window, or under
maintenance announced late, counts.

("Availability" in leasing is free capacity; here the word is uptime. The contract's SLA
tiers keep their ``availability_below`` field, the leasing name for the same %.)"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from leasing.choices import MaintenanceStatus
from leasing.models import Contract, Maintenance, Outage
from leasing.models.maintenance import spans_of

from ..periods import period_span

HUNDRED = Decimal(100)


def _window(contract: Contract, period: str, time_zone: str) -> tuple[datetime.datetime, ...]:
    """The part of the period (a month in ``time_zone``) the service runs."""
    start, end = period_span(period, time_zone)
    zone = start.tzinfo
    service = contract.service
    activated = datetime.datetime.combine(service.activated_on, datetime.time(), tzinfo=zone)
    start = max(start, activated)
    if service.terminated_on is not None:
        end = min(end, datetime.datetime.combine(service.terminated_on, datetime.time(), zone))
    return start, end


def downtime_seconds(
    intervals: Iterable[tuple[datetime.datetime, datetime.datetime | None]],
    start: datetime.datetime,
    end: datetime.datetime,
) -> int:
    """Seconds of [start, end) covered by the union of ``intervals``.

    An open outage (no end) counts only up to ``end`` or now, whichever is earlier: a month
    rated while an outage lasts is not charged for downtime that has not happened yet.
    """
    open_until = min(end, timezone.now())
    clipped = sorted(
        (max(a, start), min(b or open_until, end))
        for a, b in intervals
        if max(a, start) < min(b or open_until, end)
    )
    down, reach = datetime.timedelta(0), start
    for a, b in clipped:
        if b <= reach:
            continue
        down += b - max(a, reach)
        reach = b
    return int(down.total_seconds())


Intervals = list[tuple[datetime.datetime, datetime.datetime | None]]
#: An outage on a segment: start, end (None while it lasts), segment id.
SegmentOutages = list[tuple[datetime.datetime, datetime.datetime | None, int]]
#: A part of a maintenance window of a segment: start, end, and the notice it was announced with.
Window = tuple[datetime.datetime, datetime.datetime, datetime.timedelta]


class Outages(dict[int, SegmentOutages]):
    """Outages by path id (``outages_by_path``), with ``windows``: the planned maintenance
    windows by segment id that may excuse part of them."""

    windows: dict[int, list[Window]]

    def __init__(self, *args: object, windows: dict[int, list[Window]] | None = None) -> None:
        super().__init__(*args)
        self.windows = windows or {}


def _span_with_margin(period: str) -> tuple[datetime.datetime, datetime.datetime]:
    margin = datetime.timedelta(days=1)
    start, end = period_span(period, "UTC")
    return start - margin, end + margin


def excusing_spans(
    window_start: datetime.datetime,
    window_end: datetime.datetime,
    announced_at: datetime.datetime,
    stored_spans: list[list[str]] | None,
    completed_at: datetime.datetime | None,
) -> list[Window]:
    """The parts of a maintenance's window that may excuse outage time, each with its notice
    (how long before the part starts it was announced: ``Maintenance.announced_spans``).

    Maintenance completed before its window ended excuses nothing after it was completed: the
    work was over, an outage then is not the planned one."""
    until = window_end if completed_at is None else min(window_end, completed_at)
    return [
        (a, min(b, until), a - told)
        for a, b, told in spans_of(window_start, window_end, announced_at, stored_spans)
        if a < min(b, until)
    ]


def maintenance_windows(period: str) -> dict[int, list[Window]]:
    """The windows of maintenance not cancelled touching the period (with a day's margin), by
    segment id, as parts each with its notice (``excusing_spans``): one query."""
    start, end = _span_with_margin(period)
    found: dict[int, list[Window]] = {}
    for segment_id, w_start, w_end, announced, spans, completed in (
        Maintenance.objects.exclude(status=MaintenanceStatus.CANCELLED)
        .filter(window_end__gt=start, window_start__lt=end)
        .values_list(
            "segments",
            "window_start",
            "window_end",
            "announced_at",
            "announced_spans",
            "completed_at",
        )
    ):
        if segment_id is not None:
            found.setdefault(segment_id, []).extend(
                excusing_spans(w_start, w_end, announced, spans, completed)
            )
    return found


def outages_by_path(period: str) -> Outages:
    """Every outage touching the period (with a day's margin for time zones), by path id, with
    its segment, and the maintenance windows that may excuse them: two queries for a whole
    chunk of contracts."""
    start, end = _span_with_margin(period)
    found = Outages(windows=maintenance_windows(period))
    for path_id, started, ended, segment_id in Outage.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start),
        started_at__lt=end,
        segment__paths__isnull=False,
    ).values_list("segment__paths", "started_at", "ended_at", "segment_id"):
        found.setdefault(path_id, []).append((started, ended, segment_id))
    return found


def outside_windows(
    outages: SegmentOutages,
    windows: dict[int, list[Window]],
    notice: datetime.timedelta,
    until: datetime.datetime,
) -> Intervals:
    """The parts of ``outages`` that count: each outage (an open one up to ``until``) minus
    the windows of its segment announced with at least ``notice``."""
    counted: Intervals = []
    for started, ended, segment_id in outages:
        excused = sorted(
            (w_start, w_end)
            for w_start, w_end, given in windows.get(segment_id, [])
            if given >= notice
        )
        if not excused:
            counted.append((started, ended))
            continue
        pieces = [(started, ended or max(until, started))]
        for w_start, w_end in excused:
            pieces = [
                piece
                for a, b in pieces
                for piece in ((a, min(b, w_start)), (max(a, w_end), b))
                if piece[0] < piece[1]
            ]
        counted.extend(pieces)
    return counted


def monthly_uptime(
    contract: Contract, period: str, time_zone: str, outages: Outages | None = None
) -> Decimal | None:
    """Uptime in % (3 decimals, rounded down) of the contract's service over the part of
    the period it runs; ``None`` if it does not run or has no path to be down on. ``outages``
    (from ``outages_by_path``) saves a query per contract."""
    service = contract.service
    if service.path_id is None:
        return None
    start, end = _window(contract, period, time_zone)
    if end <= start:
        return None
    if outages is None:
        outages = outages_by_path(period)
    notice = datetime.timedelta(days=contract.maintenance_notice_days)
    counted = outside_windows(
        outages.get(service.path_id, []), outages.windows, notice, min(end, timezone.now())
    )
    down = downtime_seconds(counted, start, end)
    total = int((end - start).total_seconds())
    exact = HUNDRED * (total - down) / total
    return exact.quantize(Decimal("0.001"), rounding="ROUND_FLOOR")


def sla_credit_percent(contract: Contract, uptime: Decimal | None) -> Decimal:
    """The credit (% of the MRC) the month's uptime earns: the best tier it falls below."""
    if uptime is None:
        return Decimal(0)
    earned = [t.credit_percent for t in contract.sla_tiers.all() if uptime < t.availability_below]
    return max(earned, default=Decimal(0))
