"""The portal's filters of the events page: the API's ``EventFilterSet`` with a person's
controls (one type from a list, or any; the kind of object from a list; dates, not ISO times).
The API's own filters and parameter names are untouched."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet

from tcfo_portal.widgets import DateInput

from .api.event_filters import EventFilterSet
from .choices import EventType
from .models import Event
from .subjects import SUBJECT_TYPES


def _grouped_types() -> list[tuple[str, list[tuple[str, str]]]]:
    """The event types grouped by what they are about (``order``, ``service``, ...)."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for value, label in EventType.choices:
        group = value.split(".")[0].replace("_", " ").capitalize()
        groups.setdefault(group, []).append((value, f"{label} ({value})"))
    return list(groups.items())


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


class PortalEventFilterSet(EventFilterSet):
    type = django_filters.ChoiceFilter(label="Type", choices=_grouped_types, empty_label="Any type")
    subject_type = django_filters.ChoiceFilter(
        label="About", choices=SUBJECT_TYPES, empty_label="Anything"
    )
    subject_id = django_filters.CharFilter(
        label="Its id",
        help_text="An order or ticket number, a circuit id...",
        widget=forms.TextInput(attrs={"size": 16}),
    )
    # Days in UTC, both included; the API's ``created_after``/``created_before`` are left out.
    created_after = None
    created_before = None
    since = django_filters.DateFilter(label="From (UTC)", method="filter_since", widget=DateInput())
    until = django_filters.DateFilter(
        label="Until (UTC)", method="filter_until", widget=DateInput()
    )
    organisation = django_filters.CharFilter(field_name="organisation__name", label="Organisation")

    class Meta:
        model = Event
        fields: list[str] = []

    def filter_since(self, queryset: QuerySet[Event], name: str, value: Any) -> QuerySet[Event]:
        return queryset.filter(occurred_at__gte=_day_start(value))

    def filter_until(self, queryset: QuerySet[Event], name: str, value: Any) -> QuerySet[Event]:
        if value >= datetime.date.max:  # the last day a date holds: nothing comes after it
            return queryset
        return queryset.filter(occurred_at__lt=_day_start(value + datetime.timedelta(days=1)))
