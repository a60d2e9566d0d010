"""Money is rounded in one place (tcfo_portal/money.py): half-up to the currency's minor unit,
the same for an exact fraction as for a Decimal; no other module quantizes money."""

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tcfo_portal.money import Money, floor_money, is_in_minor_units, round_money

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("1.845", "USD", "1.85"),  # half a cent goes up
        ("1.844999", "USD", "1.84"),
        ("-1.845", "USD", "-1.85"),  # and away from zero for a credit
        ("5.005", "EUR", "5.01"),
        ("0", "USD", "0.00"),
        ("12.5", "JPY", "13"),  # no minor unit
        ("12.4", "JPY", "12"),
    ],
)
def test_money_rounds_half_up_to_the_minor_unit(amount, currency, rounded):
    assert round_money(Decimal(amount), currency) == Decimal(rounded)
    assert str(round_money(Decimal(amount), currency)) == rounded  # with the unit's places
    assert Money(Decimal(amount), currency).rounded() == Money(Decimal(rounded), currency)


def test_an_exact_fraction_rounds_like_its_decimal():
    # 16/31 of a month of 10500: 5419.354838... -> 5419.35; a third of a cent stays down
    assert round_money(Fraction(10500) * Fraction(16, 31), "USD") == Decimal("5419.35")
    assert round_money(Fraction(1, 200), "USD") == Decimal("0.01")  # half a cent, exactly
    assert round_money(Fraction(-1, 200), "USD") == Decimal("-0.01")
    assert str(round_money(Fraction(25, 2), "JPY")) == "13"
    assert str(round_money(Fraction(0), "USD")) == "0.00"


@given(
    amount=st.decimals(
        min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=6, allow_nan=False
    ),
    currency=st.sampled_from(["USD", "EUR", "JPY", "XXX"]),
)
def test_a_fraction_and_a_decimal_of_the_same_value_round_alike(amount, currency):
    exact = round_money(Fraction(amount), currency)
    assert exact == round_money(amount, currency)
    assert exact.as_tuple().exponent == round_money(amount, currency).as_tuple().exponent
    unit = Decimal(1) if currency == "JPY" else Decimal("0.01")
    assert abs(exact - amount) <= unit / 2


@given(
    amount=st.decimals(min_value=Decimal(0), max_value=Decimal("1e9"), places=6),
    currency=st.sampled_from(["USD", "JPY"]),
)
def test_floor_is_never_above_and_less_than_a_unit_below(amount, currency):
    floor = floor_money(amount, currency)
    unit = Decimal(1) if currency == "JPY" else Decimal("0.01")
    assert floor <= amount < floor + unit
    assert is_in_minor_units(floor, currency)


def test_minor_units_are_recognised():
    assert is_in_minor_units(Decimal("12.50"), "USD")
    assert is_in_minor_units(Decimal("12.5"), "USD")
    assert not is_in_minor_units(Decimal("12.505"), "USD")
    assert not is_in_minor_units(Decimal("0.5"), "JPY")
    with pytest.raises(InvalidOperation):
        is_in_minor_units(Decimal("1e40"), "USD")


# The quantizations that are not money, per module: the quantity printed or billed on a line
# (a fraction of a month, Mbit/s), a percentage of uptime or of a band, an ownership share.
NOT_MONEY = {
    "billing/documents.py": 1,  # the monthly quantity a prorated line came from
    "billing/services/rating.py": 3,  # a line's quantity: a month's fraction, Mbit/s
    "billing/services/uptime.py": 1,  # uptime %, rounded down
    "leasing/services/inventory.py": 1,  # an ownership share %
    "leasing/selectors.py": 1,  # % of a band in use
    "tcfo_portal/formatting.py": 3,  # a number's places, a bit rate's significant digits
}


def test_no_module_but_money_rounds_money():
    """A ``quantize`` anywhere else is a second home for rounding: route it through
    ``tcfo_portal.money`` (``round_money``, ``floor_money``, ``is_in_minor_units``)."""
    found = {}
    for app in ("billing", "leasing", "organisations", "tcfo_portal", "audit", "bench"):
        for path in sorted((ROOT / app).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if "/migrations/" in name or name == "tcfo_portal/money.py":
                continue
            text = path.read_text()
            count = len(re.findall(r"\.quantize\(", text))
            if count or "ROUND_HALF_UP" in text:
                found[name] = count
    assert found == NOT_MONEY
