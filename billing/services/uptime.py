"""Monthly uptime of a service (% of the time it ran that it was not down), from the outages
recorded on its path's segments, and the SLA credit it earns under the contract's tiers.

("Availability" in leasing is free capacity; here the word is uptime. The contract's SLA
tiers keep their ``availability_below`` field, the leasing name for the same %.)"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from leasing.models import Contract, Outage

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


def outages_by_path(period: str) -> dict[int, Intervals]:
    """Every outage touching the period (with a day's margin for time zones), by path id: one
    query for a whole chunk of contracts."""
    margin = datetime.timedelta(days=1)
    start, end = period_span(period, "UTC")
    start, end = start - margin, end + margin
    found: dict[int, Intervals] = {}
    for path_id, started, ended in Outage.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=start),
        started_at__lt=end,
        segment__paths__isnull=False,
    ).values_list("segment__paths", "started_at", "ended_at"):
        found.setdefault(path_id, []).append((started, ended))
    return found


def monthly_uptime(
    contract: Contract, period: str, time_zone: str, outages: dict[int, Intervals] | None = None
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
    down = downtime_seconds(outages.get(service.path_id, []), start, end)
    total = int((end - start).total_seconds())
    exact = HUNDRED * (total - down) / total
    return exact.quantize(Decimal("0.001"), rounding="ROUND_FLOOR")


def sla_credit_percent(contract: Contract, uptime: Decimal | None) -> Decimal:
    """The credit (% of the MRC) the month's uptime earns: the best tier it falls below."""
    if uptime is None:
        return Decimal(0)
    earned = [t.credit_percent for t in contract.sla_tiers.all() if uptime < t.availability_below]
    return max(earned, default=Decimal(0))
