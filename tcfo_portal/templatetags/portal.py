"""``{% load portal %}``: the filters of ``tcfo_portal.formatting`` for templates.

``{{ invoice.total|money:invoice.currency }}``, ``{{ line.unit_price|amount:currency }}``,
``{{ count|number }}``, ``{{ p95|bitrate }}``, ``{{ order.created_at|moment }}``,
``{{ outage.start|moment:"Asia/Baku" }}``, ``{{ contract.start_date|day }}``.
"""

from __future__ import annotations

import datetime

from django import template

from .. import formatting

register = template.Library()


@register.filter
def money(amount: object, currency: str) -> str:
    return formatting.format_money(amount, currency)


@register.filter
def amount(value: object, currency: str) -> str:
    return formatting.format_amount(value, currency)


@register.filter
def number(value: object, places: int | None = None) -> str:
    return formatting.format_number(value, None if places in (None, "") else int(places))


@register.filter
def bitrate(value: object) -> str:
    return formatting.format_bitrate(value)


@register.filter
def day(value: datetime.date | datetime.datetime | None) -> str:
    return formatting.format_date(value)


@register.filter
def moment(value: datetime.datetime | None, zone: str | None = None) -> str:
    return formatting.format_moment(value, zone or None)


@register.simple_tag(takes_context=True)
def reader_zone(context: template.Context) -> str:
    """``{% reader_zone %}``: the name of the zone times are shown in (the reader's)."""
    from django.utils import timezone

    return formatting.zone_name(timezone.get_current_timezone())


@register.filter
def month(value: str | datetime.date | None) -> str:
    """``{{ run.period|month }}``: ``November 2026``."""
    return formatting.format_month(value)
