"""Splitting an amount between operators to the cent: the largest remainder method. Pure.

Each operator's exact part is amount x share. Every part is first cut down to the currency's
minor unit; the units left over (the sum of the cuts) go one each to the parts that lost the most
in the cut; ties (equal remainders) go to the larger share, then to the key whose ``str`` sorts
first (an operator's name), so the answer never depends on the order of ``shares``. So the parts
always add up to the amount exactly, and no part is more than one minor unit off its exact value.

``blend_by_days`` turns shares that change over a line's days into one set of shares, so a line
billing a month in which a partner was replaced is split once, to the cent.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from decimal import Decimal

from tcfo_portal.money import floor_money, is_in_minor_units, minor_unit


def largest_remainder(
    amount: Decimal, shares: Mapping[Hashable, Decimal], currency: str
) -> dict[Hashable, Decimal]:
    """``amount`` (already rounded to the minor unit) split by ``shares`` (summing to 1)."""
    if not shares:
        raise ValueError("nobody to split between")
    total = sum(shares.values(), Decimal(0))
    if total <= 0 or any(share < 0 for share in shares.values()):
        raise ValueError("shares must be positive")
    unit = minor_unit(currency)
    if not is_in_minor_units(amount, currency):
        raise ValueError(f"{amount} is not rounded to {unit}")
    sign = -1 if amount < 0 else 1
    magnitude = abs(amount)
    exact = {key: magnitude * share / total for key, share in shares.items()}
    floors = {key: floor_money(value, currency) for key, value in exact.items()}
    left = int((magnitude - sum(floors.values(), Decimal(0))) / unit)
    order = sorted(exact, key=lambda key: (-(exact[key] - floors[key]), -shares[key], str(key)))
    for key in order[:left]:
        floors[key] += unit
    return {key: sign * value for key, value in floors.items()}


def blend_by_days(
    runs: Iterable[tuple[int, Mapping[Hashable, Decimal]]],
) -> dict[Hashable, Decimal]:
    """One set of shares for a line over consecutive runs of days, each run ``(days, shares)``
    with shares summing to 1: each key gets sum(days_k / total_days x share_k). Runs of no days
    are ignored; a key that appears in no run with days is left out."""
    runs = [(days, shares) for days, shares in runs if days > 0]
    total = sum(days for days, _ in runs)
    if not total:
        raise ValueError("no days to split over")
    blended: dict[Hashable, Decimal] = {}
    for days, shares in runs:
        for key, share in shares.items():
            blended[key] = blended.get(key, Decimal(0)) + Decimal(days) * share
    return {key: value / total for key, value in blended.items()}
