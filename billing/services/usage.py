"""Usage ingest: samples (rates or counters) from the API, CSV files and the SNMP poller.

Parsed samples (a CSV file, the SNMP poller) go to ``ingest``, an API body of samples to
``ingest_json`` and one of series to ``ingest_series`` (``usage_series``); all three end in
``_ingest``, idempotent bucket by bucket:

- a bucket not stored yet takes the sample's rates (``accepted``), capped at the port's speed
  (``capped``, with the rates stored);
- the same rates sent again change nothing (``duplicate``, never counted twice);
- other rates for a bucket already stored are refused (``conflict``, with the rates stored) and
  the conflict is recorded as a ``UsageEvent``: stored usage is never silently overwritten. A
  capped bucket is compared with what was received for it, not with the cap;
- a counter reading that bills no interval says why (``baseline``, ``reset``);
- usage stored in a month already closed is ``late``: billed only by a late adjustment.

Each decision (``SampleDecision``) falls under one of the contract's three counts
(``SampleStatus``: accepted, duplicate, rejected).

The usual batch, plain rate samples, takes the column path (``usage_columns``); any other batch
is taken sample by sample here, with the same decisions. Each sample gets its own result, so one
bad sample never drops the good ones. The payload is kept as received (``usage_archive``) with a
``UsageBatch`` for disputes, and every decision is a ``UsageEvent``.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import orjson
from django.db import transaction
from django.utils import timezone

from leasing.models import Service
from organisations.access import Actor, describe_actor, visible_to
from tcfo_portal.formatting import format_bitrate, format_number
from tcfo_portal.gc import gc_paused

from ..buckets import EMPTY_DAY, MISSING, pack, unpack
from ..choices import SampleDecision, SampleStatus, UsageEventKind, UsageSource
from ..counters import BUCKET_SECONDS, MAX_64, MAX_INTERVAL, Reading, rate_between
from ..models import CounterState, UsageBatch, UsageEvent, UsagePort
from .closing import LateMonth, note_late_usage
from .usage_archive import store_payload
from .usage_columns import RateColumns, decode_rate_batch, rate_columns, store_columns
from .usage_days import (
    EARLIEST,
    MAX_BPS,
    SampleResult,
    active_ports,
    bucket_window,
    circuit_id_ok,
    claim_days,
    conflict,
    parse_timestamp,
    rates_text,
    received_before,
    write_days,
)
from .usage_series import SeriesBatch, SeriesNotJSON, decode_series

MAX_SAMPLES = 20_000

__all__ = [
    "IngestResult",
    "MalformedBody",
    "SampleResult",
    "ingest",
    "ingest_json",
    "ingest_series",
]


class MalformedBody(ValueError):
    """A request body that is not JSON at all."""


@dataclass
class IngestResult:
    """What became of a batch of ``size`` samples.

    ``notes`` holds, by index, every sample that was not plainly accepted: any decision but
    ``accepted``. A plain acceptance gets no object of its own: batches run to tens of
    thousands of samples.
    """

    batch: UsageBatch
    size: int
    notes: dict[int, SampleResult] = field(default_factory=dict)
    by_columns: bool = False  # taken whole by the column path
    #: (circuit id, period) of months whose figures are frozen that the batch added usage to:
    #: stored, but billed only through a late adjustment (``closing.note_late_usage``).
    late: list[tuple[str, str]] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Samples under one of the contract's counts (``SampleStatus``)."""
        if status == SampleStatus.ACCEPTED:
            return self.size - self._statuses.total() + self._statuses[SampleStatus.ACCEPTED]
        return self._statuses[status]

    @property
    def decisions(self) -> dict[str, int]:
        """Samples by decision, every ``SampleDecision`` named (they add up to ``size``)."""
        counts = Counter(note.decision for note in self.notes.values())
        counts[SampleDecision.ACCEPTED] = self.size - counts.total()
        return {decision.value: counts[decision] for decision in SampleDecision}

    @property
    def decisions_text(self) -> str:
        """The decisions taken, e.g. "8 accepted, 2 capped, 1 conflict"."""
        return ", ".join(
            f"{format_number(n)} {decision}" for decision, n in self.decisions.items() if n
        )

    @cached_property
    def _statuses(self) -> Counter[str]:
        return Counter(note.status for note in self.notes.values())

    @property
    def noted(self) -> list[SampleResult]:
        """Every sample not plainly accepted (any decision but ``accepted``), in order."""
        return [self.notes[i] for i in sorted(self.notes)]

    @property
    def not_accepted(self) -> list[SampleResult]:
        """Duplicates and rejections, in the batch's order."""
        return [note for note in self.noted if note.status != SampleStatus.ACCEPTED]

    @property
    def results(self) -> list[SampleResult]:
        """Every sample's result, in the batch's order."""
        return [
            self.notes.get(i) or SampleResult(i, SampleDecision.ACCEPTED) for i in range(self.size)
        ]


@dataclass
class _Sample:
    index: int
    circuit_id: str
    port: str | None
    ts: int
    counters: bool
    a: int  # in_bps or in_octets
    b: int  # out_bps or out_octets


RATE_BOUND = f"rate bound: at most {format_number(MAX_BPS - 1)} bit/s (10 Tbit/s)"
COUNTER_BOUND = f"64-bit counter bound: at most {format_number(MAX_64 - 1)} (2^64 - 1)"


def _int(value: Any, name: str, upper: int, bound: str) -> int:
    """``value`` if it is a whole number from 0 to ``upper - 1``; else ``ValueError`` saying
    what is wrong: a value from ``upper`` on is beyond the ``bound`` (e.g. ``RATE_BOUND``)."""
    # JSON's integers beyond 64 bits come out of the parser as floats: beyond every bound here.
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= upper:
        raise ValueError(f"{name} is beyond the {bound}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number")
    if value < 0:
        raise ValueError(f"{name} must be from 0 to {format_number(upper - 1)}")
    return value


def parse_sample(index: int, raw: Any, now: int) -> _Sample:
    """Check one sample's shape and values; ``ValueError`` says what is wrong."""
    if not isinstance(raw, dict):
        raise ValueError("a sample is an object")
    circuit_id = raw.get("circuit_id")
    if not isinstance(circuit_id, str) or not circuit_id_ok(circuit_id):
        raise ValueError("circuit_id is required")
    port = raw.get("port")
    if port is not None and (
        not isinstance(port, str) or not port or len(port) > 100 or "\x00" in port
    ):
        raise ValueError("port must be a port name")
    moment = parse_timestamp(raw.get("ts"))
    if moment < EARLIEST or moment > now + BUCKET_SECONDS:
        raise ValueError("ts is too far in the past or in the future")
    ts = int(moment)  # a counter reading's fraction of a second is below what rates resolve
    has_rates = "in_bps" in raw or "out_bps" in raw
    has_counters = "in_octets" in raw or "out_octets" in raw
    if has_rates == has_counters:
        raise ValueError("give in_bps and out_bps, or in_octets and out_octets")
    if has_rates:
        if moment % BUCKET_SECONDS:
            raise ValueError("a rate's ts is the start of its 5-minute bucket (…:00, :05, …)")
        return _Sample(
            index,
            circuit_id,
            port,
            ts,
            False,
            _int(raw.get("in_bps"), "in_bps", MAX_BPS, RATE_BOUND),
            _int(raw.get("out_bps"), "out_bps", MAX_BPS, RATE_BOUND),
        )
    return _Sample(
        index,
        circuit_id,
        port,
        ts,
        True,
        _int(raw.get("in_octets"), "in_octets", MAX_64, COUNTER_BOUND),
        _int(raw.get("out_octets"), "out_octets", MAX_64, COUNTER_BOUND),
    )


def ingest(
    *,
    samples: Any,
    actor: Actor | None,
    source: str = UsageSource.API,
    raw_payload: bytes = b"",
    now: datetime.datetime | None = None,
) -> IngestResult:
    """Store what is valid of ``samples`` (parsed, e.g. from a CSV file or the SNMP poller); say
    for each what became of it."""
    if not isinstance(samples, list):
        raise ValueError("samples must be a list")
    if len(samples) > MAX_SAMPLES:
        raise ValueError(f"at most {format_number(MAX_SAMPLES)} samples per request")
    now_ts = int((now or timezone.now()).timestamp())
    with gc_paused():
        return _ingest(
            samples=lambda: samples,
            size=len(samples),
            columns=rate_columns(samples, now_ts),
            actor=actor,
            source=source,
            raw_payload=raw_payload or _as_payload(samples),
            now_ts=now_ts,
        )


def _as_payload(samples: list[Any]) -> bytes:
    """Parsed samples written down for the archive: JSON, or Python's spelling where JSON has
    none (an integer beyond 64 bits, a key that is not text)."""
    try:
        return orjson.dumps(samples, default=repr)
    except TypeError:
        return repr(samples).encode()


def ingest_json(
    raw: bytes,
    *,
    actor: Actor | None,
    source: str = UsageSource.API,
    now: datetime.datetime | None = None,
) -> IngestResult:
    """Store what is valid of a JSON body ``{"samples": [...]}``, as the API receives it.

    ``MalformedBody`` if it is not JSON, ``ValueError`` if it is not that shape.
    """
    now_ts = int((now or timezone.now()).timestamp())
    with gc_paused():  # tens of thousands of short-lived objects, none of them in a cycle
        columns = decode_rate_batch(raw, now_ts)
        if columns is not None and columns.ts.size <= MAX_SAMPLES:
            return _ingest(
                # Decoded as columns, the body is a valid {"samples": [...]}.
                samples=lambda: orjson.loads(raw)["samples"],
                size=columns.ts.size,
                columns=columns,
                actor=actor,
                source=source,
                raw_payload=raw,
                now_ts=now_ts,
            )
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            raise MalformedBody(f"JSON parse error - {error}") from None
        if not isinstance(body, dict) or not isinstance(body.get("samples"), list):
            raise ValueError('Send {"samples": [...]}.')
        return ingest(samples=body["samples"], actor=actor, source=source, raw_payload=raw, now=now)


def ingest_series(
    raw: bytes,
    *,
    actor: Actor | None,
    source: str = UsageSource.API,
    now: datetime.datetime | None = None,
) -> tuple[IngestResult, SeriesBatch]:
    """Store what is valid of a JSON body ``{"series": [...]}`` (``usage_series``): the result,
    with the samples numbered series by series, and the decoded body to say where each was.

    ``MalformedBody`` if it is not JSON, ``SeriesShapeError`` if it is not that shape.
    """
    now_ts = int((now or timezone.now()).timestamp())
    with gc_paused():
        try:
            series = decode_series(raw, now_ts)
        except SeriesNotJSON as error:
            raise MalformedBody(str(error)) from None
        result = _ingest(
            samples=series.samples,
            size=series.size,
            columns=series.columns,
            actor=actor,
            source=source,
            raw_payload=raw,
            now_ts=now_ts,
        )
    return result, series


@transaction.atomic
def _ingest(
    *,
    samples: Callable[[], list[Any]],
    size: int,
    columns: RateColumns | None,
    actor: Actor | None,
    source: str,
    raw_payload: bytes,
    now_ts: int,
) -> IngestResult:
    """The column path if it takes the batch, else the per-sample path (on ``samples()``, the
    batch's ``size`` samples as dicts); then the batch record (with the payload as received) and
    the events."""
    batch = UsageBatch(
        source=source,
        organisation=getattr(actor, "organisation", None),
        submitted_by=describe_actor(actor),
    )
    events: list[UsageEvent] = []
    written: set[tuple[int, int]] = set()  # (port, day) rows given new buckets
    placed: list[tuple[int, int, int]] = []  # (index, port, bucket) of each sample stored
    notes = None if columns is None else store_columns(columns, actor, events, batch, written)
    by_columns = notes is not None
    if notes is None:
        notes = _ingest_each(samples(), actor, now_ts, events, batch, written, placed)
    result = IngestResult(batch=batch, size=size, notes=notes, by_columns=by_columns)
    batch.samples = size
    batch.accepted = result.count(SampleStatus.ACCEPTED)
    batch.duplicates = result.count(SampleStatus.DUPLICATE)
    batch.rejected = result.count(SampleStatus.REJECTED)
    store_payload(batch, raw_payload)
    try:
        batch.save()
        UsageEvent.objects.bulk_create(events)
    except BaseException:
        batch.payload.delete(save=False)  # the transaction rolls back: no file without its batch
        raise
    late = note_late_usage(written)
    if late:  # a late sample stays under accepted: the counts are those saved
        if by_columns and columns is not None:
            placed = _stored_by_columns(result, columns)
        _mark_late(result, late, placed)
    result.late = [(month.circuit_id, month.period) for month in late]
    return result


def _stored_by_columns(result: IngestResult, columns: RateColumns) -> list[tuple[int, int, int]]:
    """(index, port, bucket) of each sample the column path stored: every one but its
    duplicates and conflicts (``store_columns`` gave the columns their ``port_ids``)."""
    stored = np.ones(result.size, dtype=bool)
    stored[list(result.notes)] = False
    indices = np.flatnonzero(stored)
    return list(
        zip(
            indices.tolist(),
            columns.port_ids[indices].tolist(),
            columns.ts[indices].tolist(),
            strict=True,
        )
    )


def _mark_late(
    result: IngestResult, late: list[LateMonth], placed: list[tuple[int, int, int]]
) -> None:
    """Samples stored (``placed``: index, port, bucket) in a month already closed become
    ``late`` (a capped one keeps its stored rates)."""
    for index, port, bucket in placed:
        month = next((m for m in late if port in m.ports and m.first <= bucket < m.last), None)
        if month is None:
            continue
        note = result.notes.get(index)
        capped = note is not None and note.decision == SampleDecision.CAPPED
        reason = (
            f"stored in {month.period}, a month already closed: its billed figures stand, "
            "the difference goes to a late adjustment"
        )
        result.notes[index] = SampleResult(
            index,
            SampleDecision.LATE,
            f"{note.reason}; {reason}" if capped else reason,
            stored=note.stored if capped else None,
        )


def _ingest_each(
    samples: list[Any],
    actor: Actor | None,
    now_ts: int,
    events: list[UsageEvent],
    batch: UsageBatch,
    written: set[tuple[int, int]],
    placed: list[tuple[int, int, int]],
) -> dict[int, SampleResult]:
    """Any batch, sample by sample: counters, named ports, repeated buckets, refusals."""
    results: dict[int, SampleResult] = {}
    parsed: list[_Sample] = []
    for index, raw in enumerate(samples):
        try:
            parsed.append(parse_sample(index, raw, now_ts))
        except ValueError as error:
            results[index] = SampleResult(index, SampleDecision.REJECTED, str(error))

    ports = _resolve_ports(parsed, actor, results)
    rates = _counters_to_rates(parsed, ports, results, events, batch)
    rates += [
        (sample, ports[sample.index], sample.ts, sample.a, sample.b)
        for sample in parsed
        if not sample.counters and sample.index in ports
    ]
    _store(rates, results, events, batch, written, placed)
    return {i: r for i, r in results.items() if r.decision != SampleDecision.ACCEPTED}


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
    windows = {
        service.pk: bucket_window(service.activated_on, service.terminated_on)
        for service in services.values()
    }
    ports_of = {service.pk: active_ports(service) for service in services.values()}
    ports: dict[int, UsagePort] = {}
    for sample in parsed:
        service = services.get(sample.circuit_id)
        if service is None:
            results[sample.index] = SampleResult(
                sample.index, SampleDecision.REJECTED, f"unknown circuit {sample.circuit_id}"
            )
            continue
        start, end = windows[service.pk]
        if sample.ts < start or (end is not None and sample.ts >= end):
            results[sample.index] = SampleResult(
                sample.index, SampleDecision.REJECTED, "outside the service's active period"
            )
            continue
        candidates = ports_of[service.pk]
        if sample.port is not None:
            port = next((p for p in candidates if p.name == sample.port), None)
            reason = f"{service.circuit_id} has no port {sample.port}"
        else:
            port = candidates[0] if len(candidates) == 1 else None
            reason = f"{service.circuit_id} has {len(candidates)} ports: name the port"
        if port is None:
            results[sample.index] = SampleResult(sample.index, SampleDecision.REJECTED, reason)
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
    """Readings of each port, oldest first, against the port's last reading: the rates of each
    interval billed, as measured (``_store`` caps them at the port's speed)."""
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
        bound = 2**port.counter_bits
        for sample in sorted(readings, key=lambda s: s.ts):
            beyond = next(
                (name for name, value in (("in", sample.a), ("out", sample.b)) if value >= bound),
                None,
            )
            if beyond is not None:
                results[sample.index] = SampleResult(
                    sample.index,
                    SampleDecision.REJECTED,
                    f"{beyond}_octets is beyond the port's {port.counter_bits}-bit counter "
                    f"bound: at most {format_number(bound - 1)}",
                )
                continue
            current = Reading(sample.ts, sample.a, sample.b)
            if state is None:
                state = CounterState(
                    port=port, ts=sample.ts, in_octets=sample.a, out_octets=sample.b
                )
                results[sample.index] = SampleResult(
                    sample.index,
                    SampleDecision.BASELINE,
                    "baseline: the first reading of this port",
                )
                continue
            previous = Reading(state.ts, int(state.in_octets), int(state.out_octets))
            if current.ts == previous.ts and (current.in_octets, current.out_octets) == (
                previous.in_octets,
                previous.out_octets,
            ):
                results[sample.index] = SampleResult(sample.index, SampleDecision.DUPLICATE)
                continue
            interval = rate_between(
                previous, current, counter_bits=port.counter_bits, speed_bps=port.speed_bps
            )
            # A clamp is recorded by ``_store``, on the bucket, once the capped rate is stored.
            measured = {
                e.detail["direction"]: e.detail["measured_bps"]
                for e in interval.events
                if e.kind == UsageEventKind.CLAMP
            }
            events += [
                UsageEvent(
                    port=port, batch=batch, kind=event.kind, ts=sample.ts, detail=event.detail
                )
                for event in interval.events
                if event.kind != UsageEventKind.CLAMP
            ]
            kinds = {e.kind for e in interval.events}
            if UsageEventKind.OUT_OF_ORDER in kinds:
                results[sample.index] = SampleResult(
                    sample.index, SampleDecision.REJECTED, "older than the port's last reading"
                )
                continue
            state.ts, state.in_octets, state.out_octets = (
                current.ts,
                current.in_octets,
                current.out_octets,
            )
            if interval.bucket is None:
                if UsageEventKind.RESET in kinds:
                    results[sample.index] = SampleResult(
                        sample.index,
                        SampleDecision.RESET,
                        "reset: the counter went down (a reboot); the interval is not billed "
                        "and this reading is the new baseline",
                    )
                else:
                    results[sample.index] = SampleResult(
                        sample.index,
                        SampleDecision.BASELINE,
                        f"baseline: {current.ts - previous.ts} s after the port's last reading "
                        f"(more than {MAX_INTERVAL} s); the interval is not billed",
                    )
                continue
            rates.append(
                (
                    sample,
                    port,
                    interval.bucket,
                    measured.get("in", interval.in_bps),
                    measured.get("out", interval.out_bps),
                )
            )
        if state is not None:  # None: every reading of the port was refused
            state.save()
    return rates


def _store(
    rates: list[tuple[_Sample, UsagePort, int, int, int]],
    results: dict[int, SampleResult],
    events: list[UsageEvent],
    batch: UsageBatch,
    written: set[tuple[int, int]],
    placed: list[tuple[int, int, int]],
) -> None:
    """Write rates (as received) into their days, capped at the port's speed: new buckets set,
    the same rates again duplicates, others conflicts; the days given new buckets are added to
    ``written`` and the samples stored to ``placed`` (index, port, bucket)."""
    if not rates:
        return
    keys = {(port.pk, bucket // 86_400) for _, port, bucket, _, _ in rates}
    rows = claim_days(dict.fromkeys(keys, (EMPTY_DAY, EMPTY_DAY)))
    arrays = {key: (unpack(row.in_bps), unpack(row.out_bps)) for key, row in rows.items()}
    speeds: dict[int, int] = {}
    at_speed: dict[tuple[int, int], tuple[int, int]] = {}  # stored buckets maybe capped
    for _, port, bucket, _, _ in rates:
        speed = speeds.get(port.pk)
        if speed is None:
            speed = speeds[port.pk] = port.speed_bps
        ins, outs = arrays[(port.pk, bucket // 86_400)]
        slot = bucket % 86_400 // BUCKET_SECONDS
        stored = (int(ins[slot]), int(outs[slot]))
        if stored[0] != MISSING and speed in stored:
            at_speed[(port.pk, bucket)] = stored
    sent_before = received_before(at_speed)  # what capped buckets were stored from
    changed: set[tuple[int, int]] = set()
    for sample, port, bucket, in_bps, out_bps in rates:
        speed = speeds[port.pk]
        received = (in_bps, out_bps)
        capped = (min(in_bps, speed), min(out_bps, speed))
        key = (port.pk, bucket // 86_400)
        slot = bucket % 86_400 // BUCKET_SECONDS
        ins, outs = arrays[key]
        stored_in = int(ins[slot])
        if stored_in == MISSING:
            ins[slot], outs[slot] = capped
            changed.add(key)
            placed.append((sample.index, port.pk, bucket))
            if capped == received:
                results[sample.index] = SampleResult(sample.index, SampleDecision.ACCEPTED)
                continue
            sent_before[(port.pk, bucket)] = received
            events.append(
                UsageEvent(
                    port=port,
                    batch=batch,
                    kind=UsageEventKind.CLAMP,
                    ts=bucket,
                    detail={"in_bps": in_bps, "out_bps": out_bps, "speed_bps": speed},
                )
            )
            results[sample.index] = SampleResult(
                sample.index,
                SampleDecision.CAPPED,
                f"above the port's speed of {format_bitrate(speed)}: stored capped at "
                f"{rates_text(*capped)}",
                stored=capped,
            )
            continue
        stored = (stored_in, int(outs[slot]))
        sent = sent_before.get((port.pk, bucket), stored)
        if received == sent:
            results[sample.index] = SampleResult(sample.index, SampleDecision.DUPLICATE)
        else:
            results[sample.index] = conflict(
                sample.index,
                port_id=port.pk,
                bucket=bucket,
                stored=stored,
                received=received,
                events=events,
                batch=batch,
                sent_before=sent,
            )
    write_days([(rows[key].pk, *map(pack, arrays[key])) for key in sorted(changed)])
    written |= changed
