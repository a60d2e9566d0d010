"""Money: a Decimal amount with its ISO 4217 currency, rounded half-up to the minor unit.

The one home of rounding money: every amount billed, taxed or split is rounded (or checked to
be in minor units) by the functions here, never by a ``quantize`` written elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from fractions import Fraction

# Minor units of the currencies the consortium bills in; ISO 4217 says 2 for any other we meet.
MINOR_UNITS: dict[str, int] = {"USD": 2, "EUR": 2, "AZN": 2, "KZT": 2, "RUB": 2, "JPY": 0}


def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))


def round_money(amount: Decimal | Fraction, currency: str) -> Decimal:
    """``amount`` rounded half-up (halves away from zero) to the currency's minor unit: once
    per line, never on sums of rounded lines. A ``Fraction`` (an exact prorated amount) is
    rounded exactly, never through a float."""
    if isinstance(amount, Fraction):
        places = MINOR_UNITS.get(currency, 2)
        units = math.floor(abs(amount) * 10**places + Fraction(1, 2))
        return Decimal(units if amount >= 0 else -units).scaleb(-places)
    return amount.quantize(minor_unit(currency), ROUND_HALF_UP)


def floor_money(amount: Decimal, currency: str) -> Decimal:
    """``amount`` cut down (towards minus infinity) to the currency's minor unit: the first
    step of a largest-remainder split, whose leftover units are then handed out."""
    return amount.quantize(minor_unit(currency), ROUND_FLOOR)


def is_in_minor_units(amount: Decimal, currency: str) -> bool:
    """Whether ``amount`` is a whole number of the currency's minor units (12.50 USD is,
    12.505 USD is not). Raises ``decimal.InvalidOperation`` for an amount with more digits
    than the context holds."""
    return amount == amount.quantize(minor_unit(currency))


def in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """A sum of amounts already in minor units, scaled to them (SQLite's sums come back
    unscaled, e.g. ``0E-11`` or ``5439.51000000000``); nothing is rounded."""
    return amount.quantize(minor_unit(currency))


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money needs a Decimal amount, never a float")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"“{self.currency}” is not an ISO 4217 currency code")

    def rounded(self) -> Money:
        """Half-up to the currency's minor unit: once per line, never on sums of rounded lines."""
        return Money(round_money(self.amount, self.currency), self.currency)

    def as_dict(self) -> dict[str, str]:
        return {"amount": str(self.rounded().amount), "currency": self.currency}

    def __str__(self) -> str:
        """``12,500.00 USD``; a unit price finer than the minor unit keeps its decimals."""
        amount = self.amount
        if is_in_minor_units(amount, self.currency) or amount.as_tuple().exponent >= 0:
            amount = self.rounded().amount
        return f"{amount:,} {self.currency}"
