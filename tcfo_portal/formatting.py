"""The one formatting of money, numbers, bit rates, dates and times for people to read.

Pages, e-mails and PDFs all format through these functions (templates through the filters of
``{% load portal %}``), so an amount, a rate or a moment reads the same wherever it is shown.
The API never formats: it gives plain decimals, integers and ISO 8601 times.

- Money: ``12,500.00 USD``; a unit price finer than the currency's minor unit keeps its
  decimals (``150.005 USD``), a coarser one gets them (``0.40 USD``, ``10,500.00 USD``).
- Numbers: thousands grouped, ``1,959,787,040``; decimals as given, trailing zeros dropped.
- Bit rates: three significant digits in the largest SI unit that keeps one whole,
  ``1.96 Gbit/s``, ``950 Mbit/s``, ``0 bit/s``.
- Dates ``28 Nov 2026``; moments in the reader's time zone with the zone named,
  ``28 Nov 2026, 14:05 Asia/Baku``.
"""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from .money import Money

NO_VALUE = "—"

_RATE_UNITS = ((10**12, "Tbit/s"), (10**9, "Gbit/s"), (10**6, "Mbit/s"), (10**3, "kbit/s"))


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def format_amount(amount: object, currency: str) -> str:
    """``12,500.00``: an amount in ``currency`` without the code (for money columns)."""
    value = _decimal(amount)
    if value is None:
        return NO_VALUE
    return str(Money(value, currency)).rsplit(" ", 1)[0]


def format_money(amount: object, currency: str) -> str:
    """``12,500.00 USD``."""
    value = _decimal(amount)
    if value is None:
        return NO_VALUE
    return str(Money(value, currency))


def format_number(value: object, places: int | None = None) -> str:
    """``1,959,787,040``; ``places`` fixes the decimals (rounded half-even as Decimal does),
    otherwise a decimal keeps its digits without trailing zeros (``0.45``, ``18``)."""
    number = _decimal(value)
    if number is None:
        return NO_VALUE
    if places is not None:
        return f"{number.quantize(Decimal(1).scaleb(-places)):,}"
    if number == number.to_integral_value():
        return f"{number.to_integral_value():,f}"
    return f"{number.normalize():,f}"


def format_bitrate(bits_per_second: object) -> str:
    """``1.96 Gbit/s``: three significant digits in the largest unit keeping one whole."""
    number = _decimal(bits_per_second)
    if number is None:
        return NO_VALUE
    # Rounded to three significant digits first, so 999,999 bit/s is 1 Mbit/s, not 1000 kbit/s.
    number = _significant(number, 3)
    for scale, unit in _RATE_UNITS:
        if abs(number) >= scale:
            return f"{_three_digits(number / scale)} {unit}"
    return f"{_three_digits(number)} bit/s"


def _significant(number: Decimal, digits: int) -> Decimal:
    """``number`` rounded (half-even) to ``digits`` significant digits; 0 stays 0."""
    if number == 0:
        return number
    return number.quantize(Decimal(1).scaleb(number.adjusted() - digits + 1))


def _three_digits(number: Decimal) -> str:
    if number == 0:
        return "0"
    whole_digits = len(str(abs(int(number)))) if abs(number) >= 1 else 1
    places = max(0, 3 - whole_digits)
    rounded = number.quantize(Decimal(1).scaleb(-places))
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_date(value: datetime.date | datetime.datetime | None) -> str:
    """``28 Nov 2026``; a moment is first put in the reader's zone."""
    if value is None:
        return NO_VALUE
    if isinstance(value, datetime.datetime):
        value = _in_zone(value, None).date()
    return f"{value.day} {value:%b %Y}"


def format_moment(
    value: datetime.datetime | None, zone: str | zoneinfo.ZoneInfo | None = None
) -> str:
    """``28 Nov 2026, 14:05 Asia/Baku``: in ``zone`` (default the reader's, the active one)
    with the zone named."""
    if value is None:
        return NO_VALUE
    local = _in_zone(value, zone)
    return f"{local.day} {local:%b %Y, %H:%M} {zone_name(local.tzinfo)}"


def zone_name(zone: datetime.tzinfo | None) -> str:
    """``Asia/Baku``: an IANA zone's key; ``UTC`` for UTC however it is spelt."""
    if zone is None:
        return "UTC"
    key = getattr(zone, "key", None)
    if key:
        return key
    return "UTC" if zone.utcoffset(None) == datetime.timedelta(0) else str(zone)


def _in_zone(value: datetime.datetime, zone: str | zoneinfo.ZoneInfo | None) -> datetime.datetime:
    if isinstance(zone, str):
        zone = zoneinfo.ZoneInfo(zone)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return timezone.localtime(value, zone)


_MONTHS = (  # by the month's number: index 0 is no month
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_month(value: str | datetime.date | None) -> str:
    """``November 2026``: a billing period (``2026-11``, as URLs, forms, CSV and the API keep it)
    or the month of a date, for people to read; text that is no month is shown as given."""
    if value is None or value == "":
        return NO_VALUE
    if isinstance(value, datetime.date):
        return f"{_MONTHS[value.month]} {value.year}"
    text = str(value)
    year, dash, month = text.partition("-")
    if not (dash and len(year) == 4 and year.isdigit() and month.isdigit() and len(month) == 2):
        return text
    if not 1 <= int(month) <= 12:
        return text
    return f"{_MONTHS[int(month)]} {year}"
