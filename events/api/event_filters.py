"""The filters of ``GET /api/v1/events/``, declared with django-filter so the schema documents
them. The cursor (``after``) is the pagination's (``event_views.EventCursorPagination``)."""

from __future__ import annotations

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
    created_after = django_filters.IsoDateTimeFilter(
        field_name="occurred_at",
        lookup_expr="gt",
        help_text="Only events that happened strictly after this time (ISO 8601).",
    )
    created_before = django_filters.IsoDateTimeFilter(
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
