"""The filters of ``GET /api/v1/events/``, declared with django-filter so the schema documents
them. The cursor (``after``) is the pagination's (``event_views.EventCursorPagination``)."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django import forms

from ..choices import EventType
from ..models import Event


class _CommaMultipleChoiceField(forms.MultipleChoiceField):
    """Values given repeated (``?type=a&type=b``) or as a comma list (``?type=a,b``), or both."""

    def to_python(self, value: Any) -> list[str]:
        values = super().to_python(value)
        return [part.strip() for item in values for part in item.split(",") if part.strip()]


class _TypeFilter(django_filters.MultipleChoiceFilter):
    field_class = _CommaMultipleChoiceField


class _UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time, converted to UTC here: a time whose offset the database cannot take
    (``-23:59``) or that lies outside the years a date can hold in UTC is a 400, not a 500."""

    def to_python(self, value: Any) -> datetime.datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("A time between year 1 and 9999 in UTC.") from None


class _TimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _UtcDateTimeField


class EventFilterSet(django_filters.FilterSet):
    type = _TypeFilter(
        choices=EventType.choices,
        help_text="Only events of these types: repeat it (type=a&type=b) or give a comma list.",
    )
    subject_type = django_filters.CharFilter(
        help_text="Only events about this kind of object: order, service, invoice, credit_note, "
        "debit_note, payment, outage, ..."
    )
    subject_id = django_filters.CharFilter(
        help_text="Only events about this object (its id, or a service's circuit_id)."
    )
    created_after = _TimeFilter(
        field_name="occurred_at",
        lookup_expr="gt",
        help_text="Only events that happened strictly after this time (ISO 8601).",
    )
    created_before = _TimeFilter(
        field_name="occurred_at",
        lookup_expr="lt",
        help_text="Only events that happened strictly before this time (ISO 8601).",
    )
    organisation = django_filters.CharFilter(
        field_name="organisation__name",
        help_text="Platform admins: only this organisation's events (by name). Others see "
        "their own organisation's only, whatever is given.",
    )

    class Meta:
        model = Event
        fields = ["type", "subject_type", "subject_id", "created_after", "created_before"]
