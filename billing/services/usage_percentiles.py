"""The month's usage of a service and its 95th percentile, as billing takes it.

A billing period is a calendar month in the billing party's time zone (Asia/Baku for
AzerTelecom), counted in the 300-second buckets of UTC that fall in it, from the service's
activation to its termination. Several ports of a service are summed per bucket; a bucket is
missing when no port has data for it (missing is not zero, and not counted in N).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from leasing.choices import P95Rule
from leasing.models import Service

from ..buckets import DAY_BUCKETS, MISSING, day_start, unpack
from ..counters import BUCKET_SECONDS
from ..models import UsageDay, UsagePercentile
from ..percentile import p95
from ..periods import PeriodError, parse_period, period_bounds, period_span  # noqa: F401 - re-exported

EPOCH = datetime.date(1970, 1, 1)


@dataclass
class MonthUsage:
    """A service's buckets over a period: rates (bit/s, ``MISSING`` where none) by bucket."""

    service: Service
    period: str
    start: int  # first bucket counted (UNIX seconds)
    in_bps: np.ndarray
    out_bps: np.ndarray

    @property
    def present(self) -> np.ndarray:
        return self.in_bps != MISSING

    @property
    def samples(self) -> int:
        return int(self.present.sum())

    @property
    def missing(self) -> int:
        return int(self.in_bps.size - self.samples)

    def timestamps(self) -> np.ndarray:
        return self.start + BUCKET_SECONDS * np.arange(self.in_bps.size, dtype=np.int64)


def _service_window(service: Service, start: int, end: int, now: int) -> tuple[int, int]:
    """The part of the period the service runs (UTC days of activation and termination) and
    that has begun: buckets still to come are not missing, they are not counted at all."""
    first = max(start, day_start(service.activated_on))
    last = min(end, day_start(service.terminated_on)) if service.terminated_on else end
    last = min(last, now - now % BUCKET_SECONDS)
    return first, max(first, last)


def month_usage(services: list[Service], period: str) -> dict[int, MonthUsage]:
    """Each service's buckets for ``period``, in one query for all of them.

    Services come with ``contract__billing_party`` and ``usage_ports`` loaded.
    """
    windows: dict[int, tuple[int, int]] = {}
    now = int(timezone.now().timestamp())
    for service in services:
        start, end = period_bounds(period, _time_zone(service))
        windows[service.pk] = _service_window(service, start, end, now)
    if not windows:
        return {}
    first_day = datetime.datetime.fromtimestamp(
        min(w[0] for w in windows.values()), datetime.UTC
    ).date()
    last_day = datetime.datetime.fromtimestamp(
        max(w[1] for w in windows.values()), datetime.UTC
    ).date()
    port_service = {
        port.pk: service.pk for service in services for port in service.usage_ports.all()
    }
    days: dict[tuple[int, int], list[tuple[bytes, bytes]]] = defaultdict(list)
    for port_id, day, ins, outs in _stored_days(list(port_service), first_day, last_day):
        days[(port_service[port_id], (day - EPOCH).days)].append((ins, outs))
    result = {}
    for service in services:
        start, end = windows[service.pk]
        count = (end - start) // BUCKET_SECONDS
        ins = np.full(count, MISSING, dtype=np.int64)
        outs = np.full(count, MISSING, dtype=np.int64)
        if count:
            _fill(ins, outs, start, end, service.pk, days)
        result[service.pk] = MonthUsage(service, period, start, ins, outs)
    return result


def _stored_days(
    port_ids: list[int], first_day: datetime.date, last_day: datetime.date
) -> Iterator[tuple[int, datetime.date, bytes, bytes]]:
    """The stored day rows of ``port_ids``. On PostgreSQL the byte strings come over the
    binary protocol: half the bytes of the text protocol's hex, and nothing to decode."""
    if connection.vendor != "postgresql":
        yield from (
            UsageDay.objects.filter(port_id__in=port_ids, day__gte=first_day, day__lte=last_day)
            .values_list("port_id", "day", "in_bps", "out_bps")
            .iterator(chunk_size=2000)
        )
        return
    import psycopg

    table = UsageDay._meta.db_table
    connection.ensure_connection()
    # Django's cursors bind on the client and cannot ask for binary results: a plain one can.
    with psycopg.Cursor(connection.connection) as raw:
        raw.execute(
            f"SELECT port_id, day, in_bps, out_bps FROM {table} "  # noqa: S608 - our own table
            "WHERE port_id = ANY(%s) AND day BETWEEN %s AND %s",
            [port_ids, first_day, last_day],
            binary=True,
        )
        while batch := raw.fetchmany(2000):
            yield from batch


def _fill(
    ins: np.ndarray, outs: np.ndarray, start: int, end: int, service_id: int, days: dict
) -> None:
    """Copy (and sum over ports) the stored days into the period's arrays."""
    for day in range(start // 86_400, (end - 1) // 86_400 + 1):
        ports = days.get((service_id, day))
        if not ports:
            continue
        if len(ports) == 1:
            day_in, day_out = unpack(ports[0][0]), unpack(ports[0][1])
        else:
            day_in = np.full(DAY_BUCKETS, MISSING, dtype=np.int64)
            day_out = np.full(DAY_BUCKETS, MISSING, dtype=np.int64)
            for port_in, port_out in ports:
                a, b = unpack(port_in), unpack(port_out)
                have = a != MISSING
                day_in = np.where(have, np.where(day_in == MISSING, 0, day_in) + a, day_in)
                day_out = np.where(have, np.where(day_out == MISSING, 0, day_out) + b, day_out)
        first = day * 86_400
        lo, hi = max(start, first), min(end, first + 86_400)
        src = slice((lo - first) // BUCKET_SECONDS, (hi - first) // BUCKET_SECONDS)
        dst = slice((lo - start) // BUCKET_SECONDS, (hi - start) // BUCKET_SECONDS)
        ins[dst], outs[dst] = day_in[src], day_out[src]


def _time_zone(service: Service) -> str:
    return service.contract.billing_party.time_zone


def _rule(service: Service) -> str:
    return service.contract.p95_rule or P95Rule.GREATER_OF


@dataclass(frozen=True)
class Percentiles:
    samples: int
    missing: int
    p95_in_bps: int | None
    p95_out_bps: int | None
    p95_sum_bps: int | None
    billable_bps: int | None
    rule: str


def percentiles(usage: MonthUsage) -> Percentiles:
    """N, missing, the 95th of in, of out and of in+out, and the billable one by the rule."""
    present = usage.present
    ins, outs = usage.in_bps[present], usage.out_bps[present]
    rule = _rule(usage.service)
    p_in, p_out = p95(ins), p95(outs)
    p_sum = p95(ins + outs) if rule == P95Rule.SUM else None  # only what the rule needs
    if p_in is None:
        billable = None
    elif rule == P95Rule.SUM:
        billable = p_sum
    else:
        billable = max(p_in, p_out)
    return Percentiles(usage.samples, usage.missing, p_in, p_out, p_sum, billable, rule)


def services_for_usage():  # noqa: ANN201 - a queryset of Service
    return Service.objects.select_related("contract__billing_party", "product").prefetch_related(
        "usage_ports"
    )


@transaction.atomic
def record_percentiles(*, services: list[Service], period: str) -> dict[int, UsagePercentile]:
    """Compute and store the period's 95th of each service; a frozen result is never redone."""
    frozen = {
        p.service_id: p
        for p in UsagePercentile.objects.select_for_update().filter(
            service__in=services, period=period, frozen_at__isnull=False
        )
    }
    todo = [s for s in services if s.pk not in frozen]
    usage = month_usage(todo, period)
    stored = dict(frozen)
    rows = []
    for service in todo:
        result = percentiles(usage[service.pk])
        rows.append(
            UsagePercentile(
                service=service,
                period=period,
                samples=result.samples,
                missing=result.missing,
                p95_in_bps=result.p95_in_bps,
                p95_out_bps=result.p95_out_bps,
                p95_sum_bps=result.p95_sum_bps,
                billable_bps=result.billable_bps,
                rule=result.rule,
                computed_at=timezone.now(),
            )
        )
    for row in UsagePercentile.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["service", "period"],
        update_fields=[
            "samples",
            "missing",
            "p95_in_bps",
            "p95_out_bps",
            "p95_sum_bps",
            "billable_bps",
            "rule",
            "computed_at",
        ],
    ):
        stored[row.service_id] = row
    return stored


def freeze_percentile(*, percentile: UsagePercentile) -> UsagePercentile:
    """An issued invoice uses this result: it never changes again."""
    if percentile.frozen_at is None:
        percentile.frozen_at = timezone.now()
        percentile.save(update_fields=["frozen_at"])
    return percentile
