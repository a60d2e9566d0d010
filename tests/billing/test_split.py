"""The revenue split to the cent (largest remainder)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.split import largest_remainder

CENT = Decimal("0.01")


def test_a_third_each_adds_up():
    parts = largest_remainder(
        Decimal("100.00"), {"AZT": Decimal(1), "TTC": Decimal(1), "KTC": Decimal(1)}, "USD"
    )
    assert sorted(parts.values()) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert sum(parts.values()) == Decimal("100.00")
    assert parts["AZT"] == Decimal("33.34")  # tie: the key that sorts first


def test_the_leftover_cent_goes_to_the_largest_remainder():
    parts = largest_remainder(
        Decimal("10.00"), {"a": Decimal("0.335"), "b": Decimal("0.665")}, "USD"
    )
    assert parts == {"a": Decimal("3.35"), "b": Decimal("6.65")}
    parts = largest_remainder(Decimal("0.01"), {"a": Decimal("0.4"), "b": Decimal("0.6")}, "USD")
    assert parts == {"a": Decimal("0.00"), "b": Decimal("0.01")}


def test_credits_split_the_same_way_with_the_sign_kept():
    parts = largest_remainder(Decimal("-100.00"), {"a": Decimal(1), "b": Decimal(2)}, "USD")
    assert parts == {"a": Decimal("-33.33"), "b": Decimal("-66.67")}


def test_a_currency_without_minor_unit():
    parts = largest_remainder(Decimal("100"), {"a": Decimal(1), "b": Decimal(2)}, "JPY")
    assert parts == {"a": Decimal("33"), "b": Decimal("67")}


@pytest.mark.parametrize(
    ("amount", "shares"),
    [(Decimal("1.001"), {"a": Decimal(1)}), (Decimal(1), {}), (Decimal(1), {"a": Decimal(-1)})],
)
def test_bad_input_is_refused(amount, shares):
    with pytest.raises(ValueError):
        largest_remainder(amount, shares, "USD")


amounts = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=2)
shares = st.dictionaries(
    st.sampled_from(["AZT", "TTC", "KTC", "X", "Y"]),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal("100"), places=3),
    min_size=1,
)


@given(amounts, shares)
def test_the_parts_add_up_to_the_cent_and_each_is_within_a_cent(amount, weights):
    parts = largest_remainder(amount, weights, "USD")
    assert sum(parts.values()) == amount
    total = sum(weights.values())
    for key, part in parts.items():
        exact = amount * weights[key] / total
        assert abs(part - exact) < CENT
        assert part == part.quantize(CENT)
