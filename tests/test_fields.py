"""``GroupedDecimalField``: amounts typed as the portal shows them (``12,000.00``)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django import forms

from tcfo_portal.fields import GroupedDecimalField


class _Form(forms.Form):
    amount = GroupedDecimalField(
        max_digits=16,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("10500.00"),
        currency="USD",
    )
    quantity = GroupedDecimalField(max_digits=14, decimal_places=4, required=False)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("12", Decimal("12")),
        ("1,000", Decimal("1000")),
        ("10,500.00", Decimal("10500.00")),
        (" 9,999.5 ", Decimal("9999.5")),
    ],
)
def test_grouped_thousands_are_read(typed, read):
    form = _Form({"amount": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == read


@pytest.mark.parametrize("typed", ["12,00", "1,2345", "1,,000", ",100", "1,000,00", "10.500,00"])
def test_commas_that_do_not_group_thousands_are_refused(typed):
    form = _Form({"amount": typed})
    assert not form.is_valid()
    assert form.errors["amount"] == [
        "Enter a number such as 12,000.00: commas only between groups of three digits."
    ]


def test_bounds_are_said_as_money_with_the_currency():
    assert _Form({"amount": "12,000"}).errors["amount"] == ["Enter at most 10,500.00 USD."]
    assert _Form({"amount": "0"}).errors["amount"] == ["Enter at least 0.01 USD."]
    assert _Form({"amount": "abc"}).errors["amount"] == ["Enter a number."]


def test_the_field_is_a_text_input_for_decimals():
    html = str(_Form()["amount"])
    assert 'type="text"' in html and 'inputmode="decimal"' in html
