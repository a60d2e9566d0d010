"""Splitting an amount between operators to the cent: the largest remainder method. Pure.

Each operator's exact part is amount x share. Every part is first cut down to the currency's
minor unit; the units left over (the sum of the cuts) go one each to the parts that lost the most
in the cut, ties going to the larger share, then to the key that sorts first. So the parts always
add up to the amount exactly, and no part is more than one minor unit off its exact value.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import ROUND_FLOOR, Decimal

from tcfo_portal.money import minor_unit


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
    if amount != amount.quantize(unit):
        raise ValueError(f"{amount} is not rounded to {unit}")
    sign = -1 if amount < 0 else 1
    magnitude = abs(amount)
    exact = {key: magnitude * share / total for key, share in shares.items()}
    floors = {key: value.quantize(unit, ROUND_FLOOR) for key, value in exact.items()}
    left = int((magnitude - sum(floors.values(), Decimal(0))) / unit)
    order = sorted(exact, key=lambda key: (-(exact[key] - floors[key]), -shares[key], str(key)))
    for key in order[:left]:
        floors[key] += unit
    return {key: sign * value for key, value in floors.items()}
