"""The one formatting of money, numbers, bit rates and moments (``tcfo_portal.formatting``)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone

from tcfo_portal import formatting


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (Decimal("12500"), "USD", "12,500.00 USD"),
        (Decimal("12500.00"), "USD", "12,500.00 USD"),
        (Decimal("10500"), "USD", "10,500.00 USD"),
        (Decimal("0.4"), "USD", "0.40 USD"),
        (Decimal("150.005"), "USD", "150.005 USD"),
        (Decimal("-2625.00"), "EUR", "-2,625.00 EUR"),
        (Decimal("1234567"), "JPY", "1,234,567 JPY"),
        (None, "USD", "—"),
    ],
)
def test_money(amount: Decimal | None, currency: str, text: str) -> None:
    assert formatting.format_money(amount, currency) == text
    assert formatting.format_amount(amount, currency) == text.removesuffix(f" {currency}")


@pytest.mark.parametrize(
    ("bps", "text"),
    [
        (1959787040, "1.96 Gbit/s"),
        (2_400_000_000, "2.4 Gbit/s"),
        (950_000_000, "950 Mbit/s"),
        (12_345_678, "12.3 Mbit/s"),
        (999, "999 bit/s"),
        (0, "0 bit/s"),
        (10**13 - 1, "10 Tbit/s"),
        (Decimal("1500"), "1.5 kbit/s"),
        (999_999, "1 Mbit/s"),  # rounded to three digits first, then the unit chosen
        (Decimal("999600000"), "1 Gbit/s"),  # 999.6 Mbit/s
        (999_499, "999 kbit/s"),
        (Decimal("2E+3"), "2 kbit/s"),
    ],
)
def test_bitrate(bps: int | Decimal, text: str) -> None:
    assert formatting.format_bitrate(bps) == text


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (1959787040, None, "1,959,787,040"),
        (Decimal("0.45"), None, "0.45"),
        (Decimal("18.00"), None, "18"),
        (Decimal("99.5"), 2, "99.50"),
        ("x", None, "—"),
        (Decimal("2E+3"), None, "2,000"),  # an exponent is written out, grouped
        (Decimal("1.5E+6"), None, "1,500,000"),
        (Decimal("5.00"), None, "5"),
    ],
)
def test_number(value: object, places: int | None, text: str) -> None:
    assert formatting.format_number(value, places) == text


def test_moment_is_in_the_readers_zone_with_the_zone_named() -> None:
    moment = datetime.datetime(2026, 11, 28, 10, 5, tzinfo=datetime.UTC)
    with timezone.override("Asia/Baku"):
        assert formatting.format_moment(moment) == "28 Nov 2026, 14:05 Asia/Baku"
        assert formatting.format_date(moment) == "28 Nov 2026"
    assert formatting.format_moment(moment, "Asia/Almaty").endswith(" Asia/Almaty")
    with timezone.override("UTC"):
        assert formatting.format_moment(moment) == "28 Nov 2026, 10:05 UTC"
        # Late in the evening in Baku is already the next day.
        late = datetime.datetime(2026, 11, 28, 22, 0, tzinfo=datetime.UTC)
        assert formatting.format_date(late) == "28 Nov 2026"
    with timezone.override("Asia/Baku"):
        assert formatting.format_date(late) == "29 Nov 2026"


def test_template_filters() -> None:
    template = Template(
        "{% load portal %}{{ a|money:'USD' }}|{{ a|amount:'USD' }}|{{ r|bitrate }}|"
        "{{ n|number }}|{{ d|day }}|{{ m|moment }}"
    )
    with timezone.override("Asia/Baku"):
        text = template.render(
            Context(
                {
                    "a": Decimal("10200"),
                    "r": 1959787040,
                    "n": 1000,
                    "d": datetime.date(2026, 1, 31),
                    "m": datetime.datetime(2026, 1, 31, 20, 0, tzinfo=datetime.UTC),
                }
            )
        )
    assert text == (
        "10,200.00 USD|10,200.00|1.96 Gbit/s|1,000|31 Jan 2026|1 Feb 2026, 00:00 Asia/Baku"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2026-11", "November 2026"),
        ("2027-01", "January 2027"),
        (datetime.date(2026, 10, 31), "October 2026"),
        (datetime.datetime(2026, 12, 1, 0, 0, tzinfo=datetime.UTC), "December 2026"),
        (None, "—"),
        ("", "—"),
        ("2026-13", "2026-13"),
        ("november", "november"),
    ],
)
def test_format_month(value, text) -> None:
    assert formatting.format_month(value) == text


def test_month_filter() -> None:
    template = Template("{% load portal %}Run billing for {{ p|month }}?")
    assert template.render(Context({"p": "2026-10"})) == "Run billing for October 2026?"
