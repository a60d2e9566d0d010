"""Billing periods and month arithmetic (billing/periods.py): the one home of adding months,
to a period (``YYYY-MM``) or to a day (a contract's term, an IRU's anniversaries). Pure, so
checked with properties against what a calendar says."""

import calendar
import datetime
import itertools
import re

from hypothesis import given
from hypothesis import strategies as st

from billing.periods import (
    add_months,
    add_months_to_date,
    current_period,
    last_ended,
    month_index,
    month_length,
    period_days,
    period_of,
    period_span,
    periods_of_year,
)

days = st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2090, 12, 31))
months = st.integers(min_value=-120, max_value=120)
# months at most 60 away stay within the periods billed (2000-01 to 2100-12)
periods = st.builds(
    period_of, st.dates(min_value=datetime.date(2006, 1, 1), max_value=datetime.date(2094, 12, 1))
)


def test_a_day_months_later_is_the_last_of_a_shorter_month():
    assert add_months_to_date(datetime.date(2026, 1, 31), 1) == datetime.date(2026, 2, 28)
    assert add_months_to_date(datetime.date(2028, 1, 31), 1) == datetime.date(2028, 2, 29)
    assert add_months_to_date(datetime.date(2024, 2, 29), 12) == datetime.date(2025, 2, 28)
    assert add_months_to_date(datetime.date(2026, 12, 10), 36) == datetime.date(2029, 12, 10)
    assert add_months_to_date(datetime.date(2026, 3, 31), -1) == datetime.date(2026, 2, 28)
    assert add_months_to_date(datetime.date(2026, 1, 15), -1) == datetime.date(2025, 12, 15)


@given(day=days, months=months)
def test_a_day_moves_by_whole_calendar_months_keeping_its_day_where_it_can(day, months):
    later = add_months_to_date(day, months)
    assert (later.year - day.year) * 12 + later.month - day.month == months
    last = calendar.monthrange(later.year, later.month)[1]
    assert later.day == min(day.day, last)
    assert period_of(later) == add_months(period_of(day), months)


@given(day=days, months=months)
def test_a_day_that_every_month_has_comes_back(day, months):
    day = day.replace(day=min(day.day, 28))
    assert add_months_to_date(add_months_to_date(day, months), -months) == day


@given(day=days, first=months, second=months)
def test_more_months_is_never_an_earlier_day(day, first, second):
    if first < second:
        assert add_months_to_date(day, first) < add_months_to_date(day, second)


@given(period=periods, first=st.integers(-60, 60), second=st.integers(-60, 60))
def test_period_months_add_up(period, first, second):
    assert add_months(add_months(period, first), second) == add_months(period, first + second)
    assert month_index(add_months(period, first)) - month_index(period) == first


@given(period=periods)
def test_consecutive_periods_meet_without_a_gap(period):
    first, last = period_days(period)
    following_first, _ = period_days(add_months(period, 1))
    assert first.day == 1 and period_of(first) == period_of(last) == period
    assert last.day == month_length(first.year, first.month)
    assert following_first == last + datetime.timedelta(days=1)
    assert period_span(period, "Asia/Baku")[1] == period_span(add_months(period, 1), "Asia/Baku")[0]


def test_the_last_period_of_the_range_still_ends():
    start, end = period_span("2100-12", "UTC")
    assert (start.year, end.year, end.month) == (2100, 2101, 1)


def test_a_year_has_its_twelve_periods_in_order():
    assert periods_of_year(2026) == [f"2026-{month:02d}" for month in range(1, 13)]
    assert all(add_months(a, 1) == b for a, b in itertools.pairwise(periods_of_year(2026)))


def test_the_month_is_the_billing_partys_not_utcs():
    # 20:30 UTC on 31 October is half past midnight on 1 November in Baku (UTC+4).
    now = datetime.datetime(2026, 10, 31, 20, 30, tzinfo=datetime.UTC)
    assert current_period("Asia/Baku", now) == "2026-11"
    assert last_ended("Asia/Baku", now) == "2026-10"
    assert current_period("UTC", now) == "2026-10"
    assert last_ended("UTC", now) == "2026-09"
    assert last_ended("UTC", datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC)) == "2026-12"


def test_no_module_but_periods_adds_months():
    """Month arithmetic written again (``% 12``, ``calendar.monthrange``, a month's number
    shifted by one) is a second home for periods: call ``billing.periods`` instead."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    pattern = re.compile(r"%\s*12\b|//\s*12\b|monthrange|\.month\s*[-+]\s*1\b|month\s*==\s*12")
    found = {
        str(path.relative_to(root))
        for app in ("billing", "leasing", "organisations", "tcfo_portal", "bench")
        for path in (root / app).rglob("*.py")
        if "/migrations/" not in str(path) and pattern.search(path.read_text())
    }
    assert found == {"billing/periods.py"}
