"""Capacity as ranges of units: pure functions, no ORM.

Every kind of capacity the consortium sells is a range of integer units on a resource:

- spectrum: 12.5 GHz slots of a fiber pair's DWDM band on the ITU-T G.694.1 grid, slot ``n``
  spanning ``193.1 THz + n x 12.5 GHz`` to the next slot; a fixed 50 GHz grid places channels on
  every 4th slot, a fixed 100 GHz grid on every 8th, a flexible grid anywhere;
- lit capacity: 1.25 Gbit/s tributary slots of an operator-lit carrier (ODU0 = 1, ODU2 = 8,
  ODU4 = 80);
- IP transit: the ports of a PoP's port pool.

A sale on a path needs the *same* range on one resource of every hop (a wavelength occupies the
same spectrum on one fiber pair of each segment). ``first_fit`` finds the lowest such range;
``count_free_units`` how many more fit by placing them one after the other (exact for a single
resource; for several hops and resources it is what first-fit assignment achieves).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

SLOT_GHZ = Decimal("12.5")
ANCHOR_THZ = Decimal("193.1")


@dataclass(frozen=True, order=True)
class UnitRange:
    """Units ``start`` (inclusive) to ``end`` (exclusive)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"empty range {self.start}..{self.end}")

    @property
    def width(self) -> int:
        return self.end - self.start

    def overlaps(self, other: UnitRange) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: UnitRange) -> bool:
        return self.start <= other.start and other.end <= self.end


def slot_start_thz(slot: int) -> Decimal:
    """The lower edge of 12.5 GHz slot ``slot`` in THz."""
    return ANCHOR_THZ + slot * SLOT_GHZ / 1000


def channel_offset(step: int) -> int:
    """Where fixed-grid channels start: G.694.1 centres them on 193.1 THz + n x spacing, so
    their edges lie half a channel off the anchor (a 50 GHz channel spans slots -2..2)."""
    return -(step // 2)


def slots_for_ghz(ghz: Decimal | int) -> int:
    """How many 12.5 GHz slots a signal of ``ghz`` needs (rounded up)."""
    ghz = Decimal(ghz)
    if ghz <= 0:
        raise ValueError("bandwidth must be positive")
    whole, rest = divmod(ghz, SLOT_GHZ)
    return int(whole) + (1 if rest else 0)


@dataclass(frozen=True)
class Resource:
    """One thing that holds units: a fiber pair, a lit carrier, a port pool.

    ``step`` above 1 is a fixed grid: channels of ``step`` units starting where
    ``(unit - grid_offset) % step == 0``, each carrying one signal no wider than the channel.
    ``step`` 1 places anything anywhere (a flexible grid, tributary slots, ports).
    ``occupied``: the ranges already held, in any order; kept merged.
    """

    key: object
    band: UnitRange
    step: int = 1
    occupied: tuple[UnitRange, ...] = field(default=())
    grid_offset: int = 0

    def __post_init__(self) -> None:
        if self.step < 1:
            raise ValueError("step must be at least 1")
        object.__setattr__(self, "occupied", tuple(merge(self.occupied)))

    def footprint(self, start: int, width: int) -> UnitRange | None:
        """The units a signal of ``width`` starting at ``start`` takes here, or None if it can't."""
        if (start - self.grid_offset) % self.step:
            return None
        if self.step > 1 and width > self.step:
            return None  # a fixed-grid channel's filter passes nothing wider than the channel
        placed = UnitRange(start, start + max(width, self.step))
        return placed if self.band.contains(placed) else None

    def is_free(self, units: UnitRange) -> bool:
        # occupied is sorted and disjoint: of the ranges starting before units.end, only the last
        # one can reach into units.
        before = bisect.bisect_left(self.occupied, UnitRange(units.end, units.end + 1))
        return before == 0 or not self.occupied[before - 1].overlaps(units)

    def with_occupied(self, units: UnitRange) -> Resource:
        return replace(self, occupied=(*self.occupied, units))

    def occupied_units(self) -> int:
        """How many units of the band are held (overlapping holds counted once)."""
        return sum(
            min(r.end, self.band.end) - max(r.start, self.band.start)
            for r in self.occupied
            if r.overlaps(self.band)
        )


@dataclass(frozen=True)
class Placement:
    """Where a sale fits: the range on each hop's chosen resource."""

    start: int
    hops: tuple[tuple[object, UnitRange], ...]


def merge(ranges: Iterable[UnitRange]) -> list[UnitRange]:
    """Overlapping or touching ranges joined."""
    merged: list[UnitRange] = []
    for current in sorted(ranges):
        if merged and current.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = UnitRange(last.start, max(last.end, current.end))
        else:
            merged.append(current)
    return merged


def first_fit(
    hops: Sequence[Sequence[Resource]], width: int, *, from_start: int | None = None
) -> Placement | None:
    """The lowest start (from ``from_start`` on) at which ``width`` units fit on every hop."""
    if width < 1:
        raise ValueError("width must be at least 1")
    if not hops or any(not resources for resources in hops):
        return None
    lowest = min(r.band.start for resources in hops for r in resources)
    highest = max(r.band.end for resources in hops for r in resources)
    if from_start is not None:
        lowest = max(lowest, from_start)
    for start in range(lowest, highest - width + 1):
        chosen = []
        for resources in hops:
            for resource in resources:
                units = resource.footprint(start, width)
                if units is not None and resource.is_free(units):
                    chosen.append((resource.key, units))
                    break
            else:
                break
        else:
            return Placement(start, tuple(chosen))
    return None


def count_free_units(
    hops: Sequence[Sequence[Resource]], width: int, *, limit: int = 100_000
) -> int:
    """How many sales of ``width`` units fit at once, placed first-fit one after the other."""
    hops = [list(resources) for resources in hops]
    count = 0
    start = None
    while count < limit:
        # Holding more units never frees a lower start, so the search goes on from the last one.
        placement = first_fit(hops, width, from_start=start)
        if placement is None:
            break
        for hop, (key, units) in zip(hops, placement.hops, strict=True):
            index = next(i for i, r in enumerate(hop) if r.key == key)
            hop[index] = hop[index].with_occupied(units)
        count += 1
        start = placement.start
    return count


def possible_starts(hops: Sequence[Sequence[Resource]], width: int) -> list[int]:
    """Every start at which ``width`` units could be placed on every hop if nothing were taken:
    inside a band and on the grid of some resource of each hop, ascending."""
    starts: set[int] | None = None
    for resources in hops:
        here = {
            start
            for resource in resources
            for start in range(resource.band.start, resource.band.end - width + 1)
            if resource.footprint(start, width) is not None
        }
        starts = here if starts is None else starts & here
    return sorted(starts or ())


def free_starts(hops: Sequence[Sequence[Resource]], width: int) -> list[int]:
    """The ``possible_starts`` at which ``width`` units are free on every hop now."""
    return [
        start
        for start in possible_starts(hops, width)
        if all(
            any(
                (units := resource.footprint(start, width)) is not None and resource.is_free(units)
                for resource in resources
            )
            for resources in hops
        )
    ]


def describe_starts(starts: Sequence[int], *, most: int = 8) -> str:
    """Starts in words: "none", "-2, 2 or 6", "from 0 to 79", "from -2 to 10, every 4th"."""
    if not starts:
        return "none"
    if len(starts) == 1:
        return str(starts[0])
    steps = {b - a for a, b in itertools.pairwise(starts)}
    if len(starts) <= most:
        return f"{', '.join(str(s) for s in starts[:-1])} or {starts[-1]}"
    if steps == {1}:
        return f"from {starts[0]} to {starts[-1]}"
    if len(steps) == 1:
        return f"from {starts[0]} to {starts[-1]}, every {steps.pop()}"
    shown = ", ".join(str(s) for s in starts[:most])
    return f"{shown}... (up to {starts[-1]})"
