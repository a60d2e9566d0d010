"""Filters of the API's lists (django-filter), declared so the schema documents them."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet

from organisations.access import visible_to

from .choices import MaintenanceStatus, TicketSeverity, TicketStatus
from .models import Maintenance, Service, TroubleTicket
from .selectors import runs_during


class MaintenanceFilter(django_filters.FilterSet):
    """``GET /api/v1/maintenance/``: by status, segment, path, circuit and window dates (UTC)."""

    status = django_filters.ChoiceFilter(choices=MaintenanceStatus.choices)
    segment = django_filters.CharFilter(
        method="by_segment", help_text="A segment's code: maintenance on it."
    )
    path = django_filters.CharFilter(
        method="by_path", help_text="A path's code: maintenance on one of its segments."
    )
    circuit_id = django_filters.CharFilter(
        method="by_circuit",
        help_text="A circuit ID the caller sees: maintenance that affects that service.",
    )
    window_start_after = django_filters.DateFilter(
        field_name="window_start",
        lookup_expr="date__gte",
        help_text="Windows starting on or after this day (UTC).",
    )
    window_start_before = django_filters.DateFilter(
        field_name="window_start",
        lookup_expr="date__lte",
        help_text="Windows starting on or before this day (UTC).",
    )

    class Meta:
        model = Maintenance
        fields = ["status"]

    def by_segment(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(pk__in=Maintenance.objects.filter(segments__code=value))

    def by_path(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(pk__in=Maintenance.objects.filter(segments__paths__code=value))

    def by_circuit(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Only a circuit the caller sees: another customer's answers nothing, as a missing one.
        actor = getattr(self.request, "user", None)
        service = visible_to(Service.objects.all(), actor).filter(circuit_id=value).first()
        if service is None or service.path_id is None:
            return queryset.none()
        on_path = Maintenance.objects.filter(segments__paths=service.path_id).distinct()
        affecting = [
            m.pk
            for m in on_path.only("pk", "window_start", "window_end")
            if runs_during(service, m.window_start, m.window_end)
        ]
        return queryset.filter(pk__in=affecting)


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
