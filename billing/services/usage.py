"""Usage ingest: samples (rates or counters) from the API, CSV files and the SNMP poller.

Every path ends in ``ingest``, which is idempotent bucket by bucket:

- a bucket not stored yet takes the sample's rates (``accepted``);
- the same rates sent again change nothing (``duplicate``, never counted twice);
- other rates for a bucket already stored are refused (``rejected``, reason ``conflict``) and the
  conflict is recorded as a ``UsageEvent``: stored usage is never silently overwritten.

Each sample gets its own result, so one bad sample never drops the good ones. The payload is kept
as received (gzip) in a ``UsageBatch`` for disputes, with every decision as a ``UsageEvent``.
"""

from __future__ import annotations

import csv
import datetime
import gzip
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from leasing.models import Service
from organisations.access import Actor, describe_actor, visible_to

from ..buckets import EMPTY_DAY, MISSING, pack, unpack
from ..choices import UsageEventKind, UsageSource
from ..counters import BUCKET_SECONDS, MAX_64, Reading, rate_between
from ..models import CounterState, UsageBatch, UsageDay, UsageEvent, UsagePort

MAX_SAMPLES = 20_000
MAX_BPS = 10**13  # 10 Tbit/s: no port of this cable carries more
EARLIEST = int(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC).timestamp())
DEFAULT_PORT = "default"
EPOCH = datetime.date(1970, 1, 1)


@dataclass
class SampleResult:
    index: int
    status: str  # accepted, duplicate, rejected
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"index": self.index, "status": self.status}
        if self.reason:
            body["reason"] = self.reason
        return body


@dataclass
class IngestResult:
    batch: UsageBatch
    results: list[SampleResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


@dataclass
class _Sample:
    index: int
    circuit_id: str
    port: str | None
    ts: int
    counters: bool
    a: int  # in_bps or in_octets
    b: int  # out_bps or out_octets


def _int(value: Any, name: str, upper: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number")
    if not 0 <= value < upper:
        raise ValueError(f"{name} must be from 0 to {upper - 1}")
    return value


def _timestamp(value: Any) -> int:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("ts must be an ISO 8601 time with its offset, e.g. 2026-10-01T00:05:00Z")
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("ts is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError("ts needs an offset (Z or +04:00)")
    return int(moment.timestamp())


def parse_sample(index: int, raw: Any, now: int) -> _Sample:
    """Check one sample's shape and values; ``ValueError`` says what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("a sample is an object")
    circuit_id = raw.get("circuit_id")
    if (
        not isinstance(circuit_id, str)
        or not circuit_id
        or len(circuit_id) > 40
        or "\x00" in circuit_id
    ):
        raise ValueError("circuit_id is required")
    port = raw.get("port")
    if port is not None and (
        not isinstance(port, str) or not port or len(port) > 100 or "\x00" in port
    ):
        raise ValueError("port must be a port name")
    ts = _timestamp(raw.get("ts"))
    if ts < EARLIEST or ts > now + BUCKET_SECONDS:
        raise ValueError("ts is too far in the past or in the future")
    has_rates = "in_bps" in raw or "out_bps" in raw
    has_counters = "in_octets" in raw or "out_octets" in raw
    if has_rates == has_counters:
        raise ValueError("give in_bps and out_bps, or in_octets and out_octets")
    if has_rates:
        if ts % BUCKET_SECONDS:
            raise ValueError("a rate's ts is the start of its 5-minute bucket (…:00, :05, …)")
        return _Sample(
            index,
            circuit_id,
            port,
            ts,
            False,
            _int(raw.get("in_bps"), "in_bps", MAX_BPS),
            _int(raw.get("out_bps"), "out_bps", MAX_BPS),
        )
    return _Sample(
        index,
        circuit_id,
        port,
        ts,
        True,
        _int(raw.get("in_octets"), "in_octets", MAX_64),
        _int(raw.get("out_octets"), "out_octets", MAX_64),
    )


def _active_buckets(service: Service) -> tuple[int, int | None]:
    start = int(
        datetime.datetime.combine(service.activated_on, datetime.time(), datetime.UTC).timestamp()
    )
    end = None
    if service.terminated_on:
        end = int(
            datetime.datetime.combine(
                service.terminated_on, datetime.time(), datetime.UTC
            ).timestamp()
        )
    return start, end


@transaction.atomic
def ingest(
    *,
    samples: Any,
    actor: Actor | None,
    source: str = UsageSource.API,
    raw_payload: bytes = b"",
    now: datetime.datetime | None = None,
) -> IngestResult:
    """Store what is valid of ``samples``; say for each what became of it."""
    if not isinstance(samples, list):
        raise ValueError("samples must be a list")
    if len(samples) > MAX_SAMPLES:
        raise ValueError(f"at most {MAX_SAMPLES} samples per request")
    now_ts = int((now or timezone.now()).timestamp())
    batch = UsageBatch.objects.create(
        source=source,
        organisation=getattr(actor, "organisation", None),
        submitted_by=describe_actor(actor),
        samples=len(samples),
        # Fast compression: the archive is read rarely, the ingest runs every five minutes.
        raw=gzip.compress(raw_payload or repr(samples).encode(), compresslevel=1),
    )
    fast = _bulk_rates(samples, actor, now_ts, batch)
    if fast is not None:
        return _close(batch, fast)
    results: dict[int, SampleResult] = {}
    parsed: list[_Sample] = []
    for index, raw in enumerate(samples):
        try:
            parsed.append(parse_sample(index, raw, now_ts))
        except ValueError as error:
            results[index] = SampleResult(index, "rejected", str(error))

    ports = _resolve_ports(parsed, actor, results)
    events: list[UsageEvent] = []
    rates = _counters_to_rates(parsed, ports, results, events, batch)
    rates += [
        (sample, ports[sample.index], sample.ts, sample.a, sample.b)
        for sample in parsed
        if not sample.counters and sample.index in ports
    ]
    _store(rates, results, events, batch)
    UsageEvent.objects.bulk_create(events)
    return _close(batch, [results[i] for i in sorted(results)])


def _close(batch: UsageBatch, ordered: list[SampleResult]) -> IngestResult:
    batch.accepted = sum(1 for r in ordered if r.status == "accepted")
    batch.duplicates = sum(1 for r in ordered if r.status == "duplicate")
    batch.rejected = sum(1 for r in ordered if r.status == "rejected")
    batch.save(update_fields=["accepted", "duplicates", "rejected"])
    return IngestResult(batch=batch, results=ordered)


RATE_KEYS = frozenset({"circuit_id", "ts", "in_bps", "out_bps"})


def _bulk_rates(
    samples: list[Any], actor: Actor | None, now_ts: int, batch: UsageBatch
) -> list[SampleResult] | None:
    """The usual batch, checked and stored column by column with NumPy.

    It takes only batches of well-formed rate samples (no counters, no port names) of known,
    running services with one port, no rate above the port speed and no bucket twice: exactly
    where the per-sample path would accept each sample or find it a duplicate or a conflict. For
    anything else it returns None before writing, and the per-sample path decides and explains.
    """
    count = len(samples)
    if not count or not all(type(s) is dict and s.keys() == RATE_KEYS for s in samples):
        return None
    circuit_ids = [s["circuit_id"] for s in samples]
    ins = [s["in_bps"] for s in samples]
    outs = [s["out_bps"] for s in samples]
    if not all(type(v) is int for v in ins) or not all(type(v) is int for v in outs):
        return None
    try:
        stamps = [datetime.datetime.fromisoformat(s["ts"]) for s in samples]
        in_bps = np.array(ins, dtype=np.int64)
        out_bps = np.array(outs, dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        return None
    if any(stamp.tzinfo is None for stamp in stamps):
        return None
    ts = np.fromiter((stamp.timestamp() for stamp in stamps), dtype=np.int64, count=count)
    if not (
        (ts % BUCKET_SECONDS == 0).all()
        and (ts >= EARLIEST).all()
        and (ts <= now_ts + BUCKET_SECONDS).all()
        and (in_bps >= 0).all()
        and (out_bps >= 0).all()
        and (in_bps < MAX_BPS).all()
        and (out_bps < MAX_BPS).all()
    ):
        return None
    services = {
        service.circuit_id: service
        for service in visible_to(Service.objects.filter(circuit_id__in=set(circuit_ids)), actor)
        .select_related("product")
        .prefetch_related("usage_ports")
    }
    if len(services) != len(set(circuit_ids)):
        return None
    ordered = list(services.values())
    ports, starts, ends, speeds = [], [], [], []
    for service in ordered:
        active = [p for p in service.usage_ports.all() if p.is_active]
        if len(active) != 1:
            return None  # none yet (made by the per-sample path) or several (must be named)
        start, end = _active_buckets(service)
        ports.append(active[0].pk)
        starts.append(start)
        ends.append(end if end is not None else 2**62)
        speeds.append(active[0].speed_bps)
    position = {service.circuit_id: i for i, service in enumerate(ordered)}
    which = np.fromiter((position[c] for c in circuit_ids), dtype=np.int64, count=count)
    if not (
        (ts >= np.array(starts)[which]).all()
        and (ts < np.array(ends)[which]).all()
        and (in_bps <= np.array(speeds)[which]).all()
        and (out_bps <= np.array(speeds)[which]).all()
    ):
        return None
    port_ids = np.array(ports, dtype=np.int64)[which]
    days, slots = ts // 86_400, ts % 86_400 // BUCKET_SECONDS
    bucket_keys = (port_ids * 1_000_000 + days) * 1_000 + slots
    if np.unique(bucket_keys).size != count:
        return None  # a bucket twice in one batch: the per-sample path takes them in order
    row_keys = port_ids * 1_000_000 + days
    rows = _lock_days({(int(k) // 1_000_000, int(k) % 1_000_000) for k in np.unique(row_keys)})
    status = np.zeros(count, dtype=np.int8)  # 0 accepted, 1 duplicate, 2 conflict
    updates = []
    for key in np.unique(row_keys):
        members = np.nonzero(row_keys == key)[0]
        row = rows[(int(key) // 1_000_000, int(key) % 1_000_000)]
        day_in, day_out = unpack(row.in_bps), unpack(row.out_bps)
        at = slots[members]
        empty = day_in[at] == MISSING
        same = ~empty & (day_in[at] == in_bps[members]) & (day_out[at] == out_bps[members])
        status[members[same]] = 1
        status[members[~empty & ~same]] = 2
        if empty.any():
            day_in[at[empty]] = in_bps[members[empty]]
            day_out[at[empty]] = out_bps[members[empty]]
            updates.append((pack(day_in), pack(day_out), row.pk))
    if updates:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {UsageDay._meta.db_table} SET in_bps = %s, out_bps = %s WHERE id = %s",  # noqa: S608
                updates,
            )
    results = [SampleResult(i, "accepted") for i in range(count)]
    for i in np.nonzero(status == 1)[0].tolist():
        results[i] = SampleResult(i, "duplicate")
    conflicts = np.nonzero(status == 2)[0].tolist()
    events = []
    for i in conflicts:
        row = rows[(int(port_ids[i]), int(days[i]))]
        stored = unpack(row.in_bps)[slots[i]], unpack(row.out_bps)[slots[i]]
        stored = (int(stored[0]), int(stored[1]))
        received = [int(in_bps[i]), int(out_bps[i])]
        events.append(
            UsageEvent(
                port_id=int(port_ids[i]),
                batch=batch,
                kind=UsageEventKind.CONFLICT,
                ts=int(ts[i]),
                detail={"stored": list(stored), "received": received},
            )
        )
        results[i] = SampleResult(
            i, "rejected", f"conflict: the bucket already holds {stored[0]}/{stored[1]} bit/s"
        )
    UsageEvent.objects.bulk_create(events)
    return results


def _resolve_ports(
    parsed: list[_Sample], actor: Actor | None, results: dict[int, SampleResult]
) -> dict[int, UsagePort]:
    """The port of each sample whose circuit the actor may feed; rejections for the rest.

    A service with no port yet gets one called ``default`` on its first sample.
    """
    circuit_ids = {s.circuit_id for s in parsed}
    services = {
        s.circuit_id: s
        for s in visible_to(Service.objects.filter(circuit_id__in=circuit_ids), actor)
        .select_related("product")
        .prefetch_related("usage_ports")
    }
    windows = {service.pk: _active_buckets(service) for service in services.values()}
    active_ports: dict[int, list[UsagePort]] = {}
    for service in services.values():
        active = [p for p in service.usage_ports.all() if p.is_active]
        if not active:
            active = [UsagePort.objects.get_or_create(service=service, name=DEFAULT_PORT)[0]]
        active_ports[service.pk] = active
    ports: dict[int, UsagePort] = {}
    for sample in parsed:
        service = services.get(sample.circuit_id)
        if service is None:
            results[sample.index] = SampleResult(
                sample.index, "rejected", f"unknown circuit {sample.circuit_id}"
            )
            continue
        start, end = windows[service.pk]
        if sample.ts < start or (end is not None and sample.ts >= end):
            results[sample.index] = SampleResult(
                sample.index, "rejected", "outside the service's active period"
            )
            continue
        candidates = active_ports[service.pk]
        if sample.port is not None:
            port = next((p for p in candidates if p.name == sample.port), None)
            reason = f"{service.circuit_id} has no port {sample.port}"
        else:
            port = candidates[0] if len(candidates) == 1 else None
            reason = f"{service.circuit_id} has {len(candidates)} ports: name the port"
        if port is None:
            results[sample.index] = SampleResult(sample.index, "rejected", reason)
            continue
        ports[sample.index] = port
    return ports


def _counters_to_rates(
    parsed: list[_Sample],
    ports: dict[int, UsagePort],
    results: dict[int, SampleResult],
    events: list[UsageEvent],
    batch: UsageBatch,
) -> list[tuple[_Sample, UsagePort, int, int, int]]:
    """Readings of each port, oldest first, against the port's last reading."""
    by_port: dict[int, list[_Sample]] = defaultdict(list)
    for sample in parsed:
        if sample.counters and sample.index in ports:
            by_port[ports[sample.index].pk].append(sample)
    if not by_port:
        return []
    states = {
        state.port_id: state
        for state in CounterState.objects.select_for_update()
        .filter(port_id__in=by_port)
        .order_by("port_id")
    }
    rates = []
    for port_id, readings in sorted(by_port.items()):
        port = ports[readings[0].index]
        state = states.get(port_id)
        for sample in sorted(readings, key=lambda s: s.ts):
            current = Reading(sample.ts, sample.a, sample.b)
            if state is None:
                state = CounterState(
                    port=port, ts=sample.ts, in_octets=sample.a, out_octets=sample.b
                )
                results[sample.index] = SampleResult(
                    sample.index, "accepted", "baseline: the first reading of this port"
                )
                continue
            previous = Reading(state.ts, int(state.in_octets), int(state.out_octets))
            if current.ts == previous.ts and (current.in_octets, current.out_octets) == (
                previous.in_octets,
                previous.out_octets,
            ):
                results[sample.index] = SampleResult(sample.index, "duplicate")
                continue
            interval = rate_between(
                previous, current, counter_bits=port.counter_bits, speed_bps=port.speed_bps
            )
            events += [
                UsageEvent(
                    port=port, batch=batch, kind=event.kind, ts=sample.ts, detail=event.detail
                )
                for event in interval.events
            ]
            if any(e.kind == UsageEventKind.OUT_OF_ORDER for e in interval.events):
                results[sample.index] = SampleResult(
                    sample.index, "rejected", "older than the port's last reading"
                )
                continue
            state.ts, state.in_octets, state.out_octets = (
                current.ts,
                current.in_octets,
                current.out_octets,
            )
            if interval.bucket is None:
                kinds = ", ".join(e.kind for e in interval.events)
                results[sample.index] = SampleResult(
                    sample.index, "accepted", f"new baseline ({kinds}): interval not billed"
                )
                continue
            rates.append((sample, port, interval.bucket, interval.in_bps, interval.out_bps))
        state.save()
    return rates


def _store(
    rates: list[tuple[_Sample, UsagePort, int, int, int]],
    results: dict[int, SampleResult],
    events: list[UsageEvent],
    batch: UsageBatch,
) -> None:
    """Write rates into their days: new buckets set, equal ones duplicates, others conflicts."""
    if not rates:
        return
    keys = {(port.pk, bucket // 86_400) for _, port, bucket, _, _ in rates}
    rows = _lock_days(keys)
    arrays = {key: (unpack(row.in_bps), unpack(row.out_bps)) for key, row in rows.items()}
    speeds: dict[int, int] = {}
    changed: set[tuple[int, int]] = set()
    for sample, port, bucket, in_bps, out_bps in rates:
        speed = speeds.get(port.pk)
        if speed is None:
            speed = speeds[port.pk] = port.speed_bps
        if in_bps > speed or out_bps > speed:
            events.append(
                UsageEvent(
                    port=port,
                    batch=batch,
                    kind=UsageEventKind.CLAMP,
                    ts=bucket,
                    detail={"in_bps": in_bps, "out_bps": out_bps, "speed_bps": speed},
                )
            )
            in_bps, out_bps = min(in_bps, speed), min(out_bps, speed)
        key = (port.pk, bucket // 86_400)
        slot = bucket % 86_400 // BUCKET_SECONDS
        ins, outs = arrays[key]
        stored_in = int(ins[slot])
        if stored_in == MISSING:
            ins[slot], outs[slot] = in_bps, out_bps
            changed.add(key)
            if sample.index not in results:
                results[sample.index] = SampleResult(sample.index, "accepted")
            continue
        stored = (stored_in, int(outs[slot]))
        if stored == (in_bps, out_bps):
            results[sample.index] = SampleResult(sample.index, "duplicate")
        else:
            events.append(
                UsageEvent(
                    port=port,
                    batch=batch,
                    kind=UsageEventKind.CONFLICT,
                    ts=bucket,
                    detail={"stored": list(stored), "received": [in_bps, out_bps]},
                )
            )
            results[sample.index] = SampleResult(
                sample.index,
                "rejected",
                f"conflict: the bucket already holds {stored[0]}/{stored[1]} bit/s",
            )
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {UsageDay._meta.db_table} SET in_bps = %s, out_bps = %s WHERE id = %s",  # noqa: S608
            [(pack(arrays[key][0]), pack(arrays[key][1]), rows[key].pk) for key in sorted(changed)],
        )


def _lock_days(keys: set[tuple[int, int]]) -> dict[tuple[int, int], UsageDay]:
    """The day rows of ``keys`` (port id, days since 1970), created empty where missing, locked
    in one order so concurrent batches queue instead of deadlocking."""

    def locked() -> dict[tuple[int, int], UsageDay]:
        port_ids = {port_id for port_id, _ in keys}
        days = {EPOCH + datetime.timedelta(days=day) for _, day in keys}
        found = UsageDay.objects.select_for_update().filter(port_id__in=port_ids, day__in=days)
        rows = {}
        for row in found.order_by("port_id", "day"):
            key = (row.port_id, (row.day - EPOCH).days)
            if key in keys:
                rows[key] = row
        return rows

    rows = locked()
    missing = keys - rows.keys()
    if missing:
        UsageDay.objects.bulk_create(
            [
                UsageDay(
                    port_id=port_id,
                    day=EPOCH + datetime.timedelta(days=day),
                    in_bps=EMPTY_DAY,
                    out_bps=EMPTY_DAY,
                )
                for port_id, day in sorted(missing)
            ],
            ignore_conflicts=True,
        )
        rows = locked()
    return rows


CSV_VALUE_COLUMNS = ("in_bps", "out_bps", "in_octets", "out_octets")


def read_csv(lines: Any) -> list[dict[str, Any]]:
    """Rows of a usage CSV as API samples. A header names the columns; numbers that do not parse
    are left as text, so the sample is refused with its reason and the other rows go through."""
    reader = csv.DictReader(lines)
    columns = set(reader.fieldnames or ())
    if not {"circuit_id", "ts"} <= columns or not (
        {"in_bps", "out_bps"} <= columns or {"in_octets", "out_octets"} <= columns
    ):
        raise ValueError(
            "The header must name circuit_id, ts and in_bps, out_bps (or in_octets, out_octets)."
        )
    samples = []
    for row in reader:
        sample: dict[str, Any] = {
            key: value.strip() for key, value in row.items() if key and value not in (None, "")
        }
        for column in CSV_VALUE_COLUMNS:
            if column in sample and sample[column].isdigit():
                sample[column] = int(sample[column])
        samples.append(sample)
        if len(samples) > MAX_SAMPLES:
            raise ValueError(f"At most {MAX_SAMPLES} rows at a time; split the file.")
    return samples
