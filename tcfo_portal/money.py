"""Money: a Decimal amount with its ISO 4217 currency, rounded half-up to the minor unit."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# Minor units of the currencies the consortium bills in; ISO 4217 says 2 for any other we meet.
MINOR_UNITS: dict[str, int] = {"USD": 2, "EUR": 2, "AZN": 2, "KZT": 2, "RUB": 2, "JPY": 0}


def minor_unit(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_UNITS.get(currency, 2))


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
        return Money(self.amount.quantize(minor_unit(self.currency), ROUND_HALF_UP), self.currency)

    def as_dict(self) -> dict[str, str]:
        return {"amount": str(self.rounded().amount), "currency": self.currency}

    def __str__(self) -> str:
        """``12,500.00 USD``; a unit price finer than the minor unit keeps its decimals."""
        amount = self.amount
        if amount == amount.quantize(minor_unit(self.currency)) or amount.as_tuple().exponent >= 0:
            amount = self.rounded().amount
        return f"{amount:,} {self.currency}"
