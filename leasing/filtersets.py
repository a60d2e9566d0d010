"""Filters of the API's lists (django-filter), declared so the schema documents them."""

from __future__ import annotations

import django_filters

from .choices import TicketSeverity, TicketStatus
from .models import TroubleTicket


class TroubleTicketFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=TicketStatus.choices, help_text="One or more statuses (repeat the parameter)."
    )
    severity = django_filters.MultipleChoiceFilter(choices=TicketSeverity.choices)
    circuit_id = django_filters.CharFilter(
        field_name="service__circuit_id", max_length=64, help_text="The service's circuit ID."
    )
    external_id = django_filters.CharFilter(max_length=100)
    created_after = django_filters.DateFilter(
        field_name="creation_date", lookup_expr="date__gte", help_text="Opened on or after (UTC)."
    )
    created_before = django_filters.DateFilter(
        field_name="creation_date", lookup_expr="date__lte", help_text="Opened on or before (UTC)."
    )
    ordering = django_filters.OrderingFilter(
        fields=(("creation_date", "creation_date"), ("last_update", "last_update")),
        help_text="creation_date, last_update; a leading - for newest first (the default).",
    )

    class Meta:
        model = TroubleTicket
        fields: list[str] = []
