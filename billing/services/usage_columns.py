"""The column path of ingest: the usual batch checked and stored a column at a time.

Most batches are an operator's collector sending rates, every sample exactly
``{"circuit_id", "ts", "in_bps", "out_bps"}``. Such a batch is decoded straight into typed samples
(msgspec checks every key and type while it parses), turned into columns, checked with NumPy and
written a day row at a time. Anything else (counters, named ports, a malformed sample, an unknown
service or one with several ports, a rate above the port speed, a bucket twice in the batch) is
left to the per-sample path of ``usage.ingest``, which decides the same way and says why for each
sample. Nothing but a service's first (``default``) port is written before the column path
has taken the whole batch.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np

from leasing.models import Service
from organisations.access import Actor, visible_to

from ..buckets import DAY_BUCKETS, DTYPE, MISSING, pack, unpack
from ..choices import SampleDecision
from ..counters import BUCKET_SECONDS
from ..models import UsageBatch, UsageEvent, UsagePort
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
    received_before,
    write_days,
)

RATE_FIELDS = ("circuit_id", "ts", "in_bps", "out_bps")
_RATE_KEYS = frozenset(RATE_FIELDS)
_NO_END = 2**62


class _RateSample(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    circuit_id: str
    ts: str
    in_bps: int  # msgspec takes neither a bool nor a float for an int
    out_bps: int


class _RateBatch(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    samples: list[_RateSample]


_DECODER = msgspec.json.Decoder(_RateBatch)


@dataclass
class RateColumns:
    """A batch of rate samples as columns: each sample's circuit (``circuit_of``, an index into
    ``circuits``, the distinct circuit ids), bucket start (UNIX seconds) and rates; once stored
    by ``store_columns``, each sample's port (``port_ids``)."""

    circuits: list[str]
    circuit_of: np.ndarray
    ts: np.ndarray
    in_bps: np.ndarray
    out_bps: np.ndarray
    port_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))


def plain_columns(
    circuit_ids: Sequence[str],
    ts: np.ndarray,
    in_bps: np.ndarray,
    out_bps: np.ndarray,
    *,
    now_ts: int,
    group: np.ndarray | None = None,
) -> RateColumns | None:
    """Rate samples as columns when each circuit id, bucket and rate is one the per-sample path
    (``usage.parse_sample``) would take; None otherwise.

    ``circuit_ids`` holds each sample's circuit id, or with ``group`` each group's (``group``
    giving each sample's group, e.g. its series).
    """
    circuits = list(dict.fromkeys(circuit_ids))
    if not (
        ts.size
        and all(map(circuit_id_ok, circuits))
        and ts.min() >= EARLIEST
        and ts.max() <= now_ts + BUCKET_SECONDS
        and min(in_bps.min(), out_bps.min()) >= 0
        and max(in_bps.max(), out_bps.max()) < MAX_BPS
    ):
        return None
    position = {circuit: i for i, circuit in enumerate(circuits)}
    circuit_of = np.fromiter(map(position.__getitem__, circuit_ids), np.int64, len(circuit_ids))
    if group is not None:
        circuit_of = circuit_of[group]
    return RateColumns(circuits, circuit_of, ts, in_bps, out_bps)


def decode_rate_batch(raw: bytes, now_ts: int) -> RateColumns | None:
    """Columns of a JSON body ``{"samples": [...]}`` of plain rate samples; None for any
    other body (the per-sample path then parses it and explains)."""
    try:
        samples = _DECODER.decode(raw).samples
    except (msgspec.DecodeError, UnicodeDecodeError):  # not JSON, another shape or type
        return None
    if not samples:
        return None
    circuit_ids, stamps, ins, outs = (
        list(map(operator.attrgetter(name), samples)) for name in RATE_FIELDS
    )
    return _checked(circuit_ids, stamps, ins, outs, now_ts)


def rate_columns(samples: list[Any], now_ts: int) -> RateColumns | None:
    """Columns of parsed samples (dicts, e.g. from a CSV file) when every one is a plain rate
    sample with well-formed values; None otherwise."""
    if not samples:
        return None
    try:
        if not all(map(operator.eq, map(dict.keys, samples), itertools.repeat(_RATE_KEYS))):
            return None
    except TypeError:  # a sample that is not an object
        return None
    circuit_ids, stamps, ins, outs = (
        list(map(operator.itemgetter(name), samples)) for name in RATE_FIELDS
    )
    if (
        set(map(type, circuit_ids)) != {str}
        or set(map(type, stamps)) != {str}
        or set(map(type, ins)) | set(map(type, outs)) != {int}  # not bool, not float
    ):
        return None
    return _checked(circuit_ids, stamps, ins, outs, now_ts)


def _checked(
    circuit_ids: list[str], stamps: list[str], ins: list[int], outs: list[int], now_ts: int
) -> RateColumns | None:
    """``plain_columns`` of samples' values; each distinct time is parsed once."""
    times = {}
    for stamp in set(stamps):
        try:
            ts = parse_timestamp(stamp)
        except ValueError:
            return None
        if ts % BUCKET_SECONDS:
            return None
        times[stamp] = int(ts)
    try:
        in_bps = np.array(ins, dtype=np.int64)
        out_bps = np.array(outs, dtype=np.int64)
    except OverflowError:
        return None
    ts = np.fromiter(map(times.__getitem__, stamps), dtype=np.int64, count=len(stamps))
    return plain_columns(circuit_ids, ts, in_bps, out_bps, now_ts=now_ts)


def store_columns(
    columns: RateColumns,
    actor: Actor | None,
    events: list[UsageEvent],
    batch: UsageBatch,
    written: set[tuple[int, int]],
) -> dict[int, SampleResult] | None:
    """Store rate columns a day row at a time; the notes of the samples not plainly accepted.
    The days given new buckets are added to ``written``.

    It takes only known, running services with one port, no rate above the port speed and no
    bucket twice: exactly where the per-sample path would accept each sample or find it a
    duplicate or a conflict. For anything else it returns None before writing anything.
    """
    ts, in_bps, out_bps = columns.ts, columns.in_bps, columns.out_bps
    count = ts.size
    targets = _port_of_each(columns.circuits, actor)
    if targets is None:
        return None
    ports, speeds, starts, ends = np.array(targets, dtype=np.int64).T
    which = columns.circuit_of
    speed = speeds[which]
    if not (
        (ts >= starts[which]).all()
        and (ts < ends[which]).all()
        and (in_bps <= speed).all()
        and (out_bps <= speed).all()
    ):
        return None
    port_ids = columns.port_ids = ports[which]
    days, slots = ts // 86_400, ts % 86_400 // BUCKET_SECONDS
    unique, row_of = np.unique(port_ids * 1_000_000 + days, return_inverse=True)
    sample_at = np.full((unique.size, DAY_BUCKETS), -1, dtype=np.int64)
    order = np.arange(count)
    sample_at[row_of, slots] = order
    if (sample_at[row_of, slots] != order).any():
        return None  # a bucket twice in one batch: the per-sample path takes them in order

    # The days as sent: a day not stored yet is inserted as it is, a stored one is merged.
    keys = [(key // 1_000_000, key % 1_000_000) for key in unique.tolist()]
    sent_in = np.full((len(keys), DAY_BUCKETS), MISSING, dtype=DTYPE)
    sent_out = np.full((len(keys), DAY_BUCKETS), MISSING, dtype=DTYPE)
    sent_in[row_of, slots] = in_bps
    sent_out[row_of, slots] = out_bps
    claimed = claim_days({key: (pack(sent_in[i]), pack(sent_out[i])) for i, key in enumerate(keys)})
    stored = [i for i, key in enumerate(keys) if not claimed[key].inserted]
    written.update(key for key in keys if claimed[key].inserted)
    if not stored:
        return {}
    held_in = np.full_like(sent_in, MISSING)
    held_out = np.full_like(sent_out, MISSING)
    for i in stored:
        held_in[i], held_out[i] = unpack(claimed[keys[i]].in_bps), unpack(claimed[keys[i]].out_bps)
    was_in, was_out = held_in[row_of, slots], held_out[row_of, slots]
    empty = was_in == MISSING
    same = ~empty & (was_in == in_bps) & (was_out == out_bps)
    held_in[row_of[empty], slots[empty]] = in_bps[empty]
    held_out[row_of[empty], slots[empty]] = out_bps[empty]
    changed = sorted(set(row_of[empty].tolist()) & set(stored))
    write_days([(claimed[keys[i]].pk, pack(held_in[i]), pack(held_out[i])) for i in changed])
    written.update(keys[i] for i in changed)

    # A bucket at the port's speed may have been capped from what was received for it, which a
    # duplicate must repeat (as on the per-sample path).
    at_speed = np.flatnonzero(~empty & ((was_in == speed) | (was_out == speed))).tolist()
    sent_before = received_before(
        {(int(port_ids[i]), int(ts[i])): (int(was_in[i]), int(was_out[i])) for i in at_speed}
    )
    for i in at_speed:
        sent = sent_before.get((int(port_ids[i]), int(ts[i])))
        if sent is not None:
            same[i] = sent == (int(in_bps[i]), int(out_bps[i]))

    notes = {i: SampleResult(i, SampleDecision.DUPLICATE) for i in np.nonzero(same)[0].tolist()}
    for i in np.nonzero(~empty & ~same)[0].tolist():
        notes[i] = conflict(
            i,
            port_id=int(port_ids[i]),
            bucket=int(ts[i]),
            stored=(int(was_in[i]), int(was_out[i])),
            received=(int(in_bps[i]), int(out_bps[i])),
            events=events,
            batch=batch,
            sent_before=sent_before.get((int(port_ids[i]), int(ts[i]))),
        )
    return notes


def _port_of_each(
    circuits: list[str], actor: Actor | None
) -> list[tuple[int, int, int, int]] | None:
    """For each circuit, its service's one active port: (port id, speed in bit/s, first bucket,
    end of its buckets); None if one is not a running service of the actor's with one port.
    One query of values, no model instances: it runs for every batch. A service with no port
    yet gets its ``default`` one first, as in the per-sample path (a few more queries, once)."""

    def rows() -> dict[str, list[tuple[Any, ...]]]:
        found: dict[str, list[tuple[Any, ...]]] = {}
        visible = visible_to(Service.objects.filter(circuit_id__in=circuits), actor)
        for circuit, *row in UsagePort.objects.filter(
            service__in=visible, is_active=True
        ).values_list(
            "service__circuit_id",
            "pk",
            "speed_mbps",
            "service__product__bandwidth_mbps",
            "service__activated_on",
            "service__terminated_on",
        ):
            found.setdefault(circuit, []).append(row)
        return found

    found = rows()
    if len(found) < len(circuits):  # unknown, another's, or without a port yet
        missing = visible_to(
            Service.objects.filter(circuit_id__in=set(circuits) - found.keys()), actor
        ).prefetch_related("usage_ports")
        for service in missing:
            active_ports(service)
        found = rows()
    targets = []
    for circuit in circuits:
        ports = found.get(circuit, ())
        if len(ports) != 1:
            return None  # unknown, or several ports: each sample must name its own
        pk, speed_mbps, bandwidth_mbps, activated_on, terminated_on = ports[0]
        start, end = bucket_window(activated_on, terminated_on)
        speed = (speed_mbps or bandwidth_mbps) * 1_000_000
        targets.append((pk, speed, start, _NO_END if end is None else end))
    return targets
