"""Interface octet counters to rates. Pure: every decision is returned, so it can be recorded.

Two readings of ifHCInOctets / ifHCOutOctets give, over the seconds between them, the rate in
bit/s of that interval, attributed to the 300-second bucket that holds the interval's middle.

- A counter lower than before is a wrap when adding 2^32 (2^64 for a 64-bit counter) gives a rate
  the port can carry; otherwise it is a reset (a reboot): the interval is discarded, never billed
  as a spike.
- A rate above the port speed is clamped to it.
- Readings more than ``MAX_INTERVAL`` seconds apart leave the buckets between them missing: the
  interval is not billed (a gap), the later reading is the new baseline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BUCKET_SECONDS = 300
MAX_INTERVAL = 2 * BUCKET_SECONDS
MAX_64 = 2**64


@dataclass(frozen=True)
class Reading:
    ts: int  # UNIX seconds
    in_octets: int
    out_octets: int


@dataclass(frozen=True)
class Event:
    kind: str  # "wrap", "reset", "clamp", "gap", "out_of_order"
    detail: dict


@dataclass(frozen=True)
class Interval:
    """What two readings give: a bucket and its rates, or nothing (with the reasons)."""

    bucket: int | None
    in_bps: int | None
    out_bps: int | None
    events: list[Event] = field(default_factory=list)


def bucket_of(ts: int) -> int:
    """The start (UNIX seconds) of the 300-second bucket holding ``ts``."""
    return ts - ts % BUCKET_SECONDS


def _delta(
    before: int, after: int, *, bits: int, elapsed: int, speed_bps: int
) -> tuple[int | None, str | None]:
    if after >= before:
        return after - before, None
    wrapped = after + 2**bits - before
    if wrapped * 8 <= speed_bps * elapsed:
        return wrapped, "wrap"
    return None, "reset"


def rate_between(before: Reading, after: Reading, *, counter_bits: int, speed_bps: int) -> Interval:
    """The bucket and rates of the interval between two readings of one port."""
    elapsed = after.ts - before.ts
    if elapsed <= 0:
        return Interval(None, None, None, [Event("out_of_order", {"previous_ts": before.ts})])
    if elapsed > MAX_INTERVAL:
        return Interval(
            None, None, None, [Event("gap", {"from_ts": before.ts, "seconds": elapsed})]
        )
    events: list[Event] = []
    rates: list[int] = []
    for direction, old, new in (
        ("in", before.in_octets, after.in_octets),
        ("out", before.out_octets, after.out_octets),
    ):
        delta, decision = _delta(old, new, bits=counter_bits, elapsed=elapsed, speed_bps=speed_bps)
        if decision == "reset":
            events.append(Event("reset", {"direction": direction, "before": old, "after": new}))
            return Interval(None, None, None, events)
        if decision == "wrap":
            events.append(Event("wrap", {"direction": direction, "before": old, "after": new}))
        rate = (delta * 8 + elapsed // 2) // elapsed  # half-up to whole bit/s
        if rate > speed_bps:
            events.append(
                Event(
                    "clamp", {"direction": direction, "measured_bps": rate, "speed_bps": speed_bps}
                )
            )
            rate = speed_bps
        rates.append(rate)
    middle = before.ts + elapsed // 2
    return Interval(bucket_of(middle), rates[0], rates[1], events)
