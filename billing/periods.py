"""Billing periods: calendar months (``YYYY-MM``) in a billing party's time zone.

Pure functions, no ORM: what a period is, where it starts and ends, and whether it has ended
(a month is billed only once it has ended where the billing party is, domain.md 6a); and the
month arithmetic on days (a contract's term, an IRU's anniversaries). No other module adds
months by hand.
"""

from __future__ import annotations

import calendar
import datetime
import zoneinfo

# What a period looks like (the schema declares it); ``parse_period`` also bounds the year.
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class PeriodError(ValueError):
    pass


def parse_period(period: str) -> tuple[int, int]:
    """``YYYY-MM`` as (year, month); ``PeriodError`` otherwise."""
    if not isinstance(period, str) or len(period) != 7 or period[4] != "-":
        raise PeriodError("Give the period as YYYY-MM, e.g. 2026-10.")
    digits = period[:4] + period[5:]
    if not (digits.isascii() and digits.isdigit()):
        raise PeriodError("Give the period as YYYY-MM, e.g. 2026-10.")
    year, month = int(period[:4]), int(period[5:])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise PeriodError("Give a month from 2000-01 to 2100-12.")
    return year, month


def _period(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def _index(year: int, month: int) -> int:
    return year * 12 + month - 1


def _month_at(index: int) -> tuple[int, int]:
    """The (year, month) of a month index (``month_index``)."""
    return index // 12, index % 12 + 1


def period_of(day: datetime.date) -> str:
    """The period a day falls in."""
    return _period(day.year, day.month)


def month_index(period: str) -> int:
    """Months since year 0: consecutive periods differ by one."""
    return _index(*parse_period(period))


def add_months(period: str, months: int) -> str:
    """The period ``months`` after (or before, if negative) ``period``."""
    return _period(*_month_at(month_index(period) + months))


def periods_of_year(year: int) -> list[str]:
    """The twelve periods of ``year``, January first."""
    return [_period(year, month) for month in range(1, 13)]


def add_months_to_date(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (or earlier, if negative); the month's last day when it is
    shorter (31 January + 1 month = 28 or 29 February)."""
    year, month = _month_at(_index(day.year, day.month) + months)
    return day.replace(year=year, month=month, day=min(day.day, month_length(year, month)))


def month_length(year: int, month: int) -> int:
    """The days of a calendar month."""
    return calendar.monthrange(year, month)[1]


def period_days(period: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a period."""
    year, month = parse_period(period)
    return datetime.date(year, month, 1), datetime.date(year, month, month_length(year, month))


def period_span(period: str, time_zone: str) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants where the month starts and ends in ``time_zone``."""
    year, month = parse_period(period)
    zone = zoneinfo.ZoneInfo(time_zone)
    following = _month_at(_index(year, month) + 1)
    return datetime.datetime(year, month, 1, tzinfo=zone), datetime.datetime(
        *following, 1, tzinfo=zone
    )


def period_bounds(period: str, time_zone: str) -> tuple[int, int]:
    """The UNIX seconds where the month starts and ends in ``time_zone``."""
    start, end = period_span(period, time_zone)
    return int(start.timestamp()), int(end.timestamp())


def has_ended(period: str, time_zone: str, now: datetime.datetime) -> bool:
    """Whether the month is over in ``time_zone`` at the instant ``now``."""
    return now >= period_span(period, time_zone)[1]


def current_period(time_zone: str, now: datetime.datetime) -> str:
    """The month ``now`` falls in, in ``time_zone``."""
    return period_of(local_date(now, time_zone))


def last_ended(time_zone: str, now: datetime.datetime) -> str:
    """The latest month that has ended in ``time_zone`` at ``now``."""
    return add_months(current_period(time_zone, now), -1)


def local_date(moment: datetime.datetime, time_zone: str) -> datetime.date:
    """The calendar day an instant falls on in ``time_zone``."""
    return moment.astimezone(zoneinfo.ZoneInfo(time_zone)).date()
