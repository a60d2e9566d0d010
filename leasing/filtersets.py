"""Filters of leasing's lists (NetBox style: one FilterSet per list, shared by the API and,
later, the portal). Names are the API's fields: ``product``, ``path``, ``site`` and ``segment``
are codes, ``customer``, ``billing_party`` and ``operator`` names, days ``YYYY-MM-DD``;
``*_after`` and ``*_before`` include the day they name. Which rows an actor may see at all is
decided before (``organisations.access.visible_to``): a filter only narrows it."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from organisations.access import visible_to
from tcfo_portal.api.filters import YesNoFilter, after, before, text

from .choices import (
    OPEN_ORDER_STATES,
    OPEN_TICKET_STATUSES,
    CommercialForm,
    MaintenanceStatus,
    OrderState,
    ProductKind,
    SegmentMedium,
    ServiceStatus,
    SiteKind,
    TicketSeverity,
    TicketStatus,
)
from .models import (
    Contract,
    FiberPair,
    LitCarrier,
    Maintenance,
    Order,
    Outage,
    Path,
    Price,
    Product,
    Quote,
    Segment,
    Service,
    Site,
    TroubleTicket,
)
from .selectors import runs_during

PRODUCT, PATH, SITE = (
    "Only this product's (its code).",
    "Only on this path (its code).",
    ("Only at this site (its code)."),
)
CUSTOMER, BILLING_PARTY = "Only this customer's (its name).", "Only this operator's (its name)."


class QuoteFilterSet(django_filters.FilterSet):
    product = text("product__code", PRODUCT)
    path = text("path__code", PATH)
    site = text("site__code", SITE)
    currency = text("currency", "Only in this currency (ISO 4217).")
    created_after = after("created_at", "made", moment=True)
    created_before = before("created_at", "made", moment=True)
    valid_after = after("valid_until", "valid")
    ordered = YesNoFilter(field_name="order__isnull", negate=True, label="Whether ordered.")

    class Meta:
        model = Quote
        fields: list[str] = []


class OrderFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=OrderState.choices, label="Only in this state.")
    product = text("quote__product__code", PRODUCT)
    path = text("quote__path__code", PATH)
    site = text("quote__site__code", SITE)
    customer = text("customer__name", CUSTOMER)
    billing_party = text("billing_party__name", BILLING_PARTY)
    created_after = after("created_at", "placed", moment=True)
    created_before = before("created_at", "placed", moment=True)
    updated_after = after("updated_at", "last changed", moment=True)
    updated_before = before("updated_at", "last changed", moment=True)

    class Meta:
        model = Order
        fields: list[str] = []


class ServiceFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=ServiceStatus.choices, label="Only in this status."
    )
    circuit_id = text("circuit_id", "The service with this circuit ID.")
    product = text("product__code", PRODUCT)
    path = text("path__code", PATH)
    site = text("site__code", SITE)
    customer = text("customer__name", CUSTOMER)
    billing_party = text("contract__billing_party__name", BILLING_PARTY)
    activated_after = after("activated_on", "activated")
    activated_before = before("activated_on", "activated")
    terminated_after = after("terminated_on", "terminated")
    terminated_before = before("terminated_on", "terminated")

    class Meta:
        model = Service
        fields: list[str] = []


class ContractFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=CommercialForm.choices, label="Only of this kind.")
    circuit_id = text("service__circuit_id", "The contract of this circuit.")
    product = text("service__product__code", PRODUCT)
    path = text("service__path__code", PATH)
    site = text("service__site__code", SITE)
    customer = text("customer__name", CUSTOMER)
    billing_party = text("billing_party__name", BILLING_PARTY)
    currency = text("currency", "Only in this currency (ISO 4217).")
    start_after = after("start_date", "starting")
    start_before = before("start_date", "starting")
    end_after = after("end_date", "ending")
    end_before = before("end_date", "ending")

    class Meta:
        model = Contract
        fields: list[str] = []


class OutageFilterSet(django_filters.FilterSet):
    segment = text("segment__code", "Only on this segment (its code).")
    path = django_filters.CharFilter(
        method="filter_path", label="Only on the segments of this path (its code)."
    )
    open = YesNoFilter(field_name="ended_at__isnull", label="Whether still open (not ended).")
    started_after = after("started_at", "started", moment=True)
    started_before = before("started_at", "started", moment=True)

    class Meta:
        model = Outage
        fields: list[str] = []

    def filter_path(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(segment__in=Segment.objects.filter(paths__code=value))


# --- the network and the catalog ------------------------------------------------------------------


class ProductFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ProductKind.choices, label="Only of this kind.")
    commercial_form = django_filters.ChoiceFilter(
        choices=CommercialForm.choices, label="Only sold this way."
    )

    class Meta:
        model = Product
        fields: list[str] = []


class PriceFilterSet(django_filters.FilterSet):
    product = text("product__code", PRODUCT)
    path = text("path__code", PATH)
    site = text("site__code", SITE)
    currency = text("currency", "Only in this currency (ISO 4217).")
    valid_on = django_filters.DateFilter(
        method="filter_valid_on", label="Only those valid on this day (YYYY-MM-DD)."
    )

    class Meta:
        model = Price
        fields: list[str] = []

    def filter_valid_on(self, queryset: QuerySet, name: str, value: object) -> QuerySet:
        return queryset.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=value), valid_from__lte=value
        )


def _ends() -> django_filters.CharFilter:
    return django_filters.CharFilter(
        method="filter_site", label="Only those with an end at this site (its code)."
    )


class _EndsFilterSet(django_filters.FilterSet):
    site = _ends()

    def filter_site(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(a_site__code=value) | Q(z_site__code=value))


class PathFilterSet(_EndsFilterSet):
    active = YesNoFilter(field_name="is_active", label="Whether still sold on.")

    class Meta:
        model = Path
        fields: list[str] = []


class SegmentFilterSet(_EndsFilterSet):
    medium = django_filters.ChoiceFilter(
        choices=SegmentMedium.choices, label="Only of this medium."
    )
    path = text("paths__code", "Only the segments of this path (its code).")

    class Meta:
        model = Segment
        fields: list[str] = []


class SiteFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=SiteKind.choices, label="Only of this kind.")
    country = text("country", "Only in this country (ISO 3166 alpha-2, e.g. AZ).")
    operator = text("operator__name", "Only this operator's (its name).")

    class Meta:
        model = Site
        fields: list[str] = []


class FiberPairFilterSet(django_filters.FilterSet):
    segment = text("segment__code", "Only on this segment (its code).")
    active = YesNoFilter(field_name="is_active", label="Whether in use.")

    class Meta:
        model = FiberPair
        fields: list[str] = []


class LitCarrierFilterSet(django_filters.FilterSet):
    path = text("path__code", PATH)
    operator = text("operator__name", "Only this operator's (its name).")
    active = YesNoFilter(field_name="is_active", label="Whether in use.")

    class Meta:
        model = LitCarrier
        fields: list[str] = []


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

    class Meta:
        model = TroubleTicket
        fields: list[str] = []


# --- i15-b begin ---
class PortalOrderFilterSet(OrderFilterSet):
    """The portal's orders: the API's filters, ``state`` also taking ``open`` (any state not
    finished: what the operators' queue works on)."""

    state = django_filters.ChoiceFilter(
        choices=[("open", "Open (not finished)"), *OrderState.choices],
        method="filter_state",
        label="State",
    )

    class Meta:
        model = Order
        fields: list[str] = []

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "open":
            return queryset.filter(state__in=OPEN_ORDER_STATES)
        return queryset.filter(state=value)


class PortalTicketFilterSet(TroubleTicketFilterSet):
    """The portal's tickets: the API's filters, ``status`` also taking ``open`` (any open
    status)."""

    status = django_filters.MultipleChoiceFilter(
        choices=[("open", "Open (any open status)"), *TicketStatus.choices],
        method="filter_status",
        label="Status",
    )

    class Meta:
        model = TroubleTicket
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        if not value:
            return queryset
        wanted = {s for s in value if s != "open"}
        if "open" in value:
            wanted |= set(OPEN_TICKET_STATUSES)
        return queryset.filter(status__in=wanted)


# --- i15-b end ---
