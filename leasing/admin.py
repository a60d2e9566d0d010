"""Back office for the inventory and catalog. Capacity changes only through the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from tcfo_portal.exceptions import DomainError
from tcfo_portal.forms import as_validation_error, domain_error_text

from .models import (
    CapacityAllocation,
    FiberPair,
    LitCapacityReservation,
    LitCarrier,
    LitCarrierOperator,
    Maintenance,
    MaintenanceChange,
    Outage,
    OutageChange,
    OwnershipShare,
    Path,
    PathSegment,
    Price,
    Product,
    Segment,
    SegmentOwnership,
    SegmentWeight,
    Site,
    SiteOwnership,
    SpectrumReservation,
    TicketChange,
    TransitPortPool,
    TransitPortReservation,
    TroubleTicket,
)
from .services.capacity import light_carrier, release_allocation
from .services.inventory import (
    refuse_chain_change,
    set_carrier_operator,
    set_segment_weight,
    set_site_owner,
    validate_chain,
    validate_shares,
)


def _as_formset_error(check: Any, *args: Any, **kwargs: Any) -> None:
    """Run a service's check; a formset shows its refusal above the rows."""
    try:
        check(*args, **kwargs)
    except DomainError as error:
        raise as_validation_error(error) from None


def _kept_forms(formset: forms.BaseInlineFormSet) -> list[forms.Form]:
    return [
        form
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE", False)
    ]


class OwnershipShareFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        shares: dict[Any, Decimal] = {}
        for form in _kept_forms(self):
            operator = form.cleaned_data["operator"]
            if operator in shares:
                raise ValidationError(f"{operator} is named twice.")
            shares[operator] = form.cleaned_data["percent"]
        _as_formset_error(validate_shares, shares)


class OwnershipShareInline(admin.TabularInline):
    model = OwnershipShare
    formset = OwnershipShareFormSet
    extra = 3


@admin.register(SegmentOwnership)
class SegmentOwnershipAdmin(admin.ModelAdmin):
    list_display = ["segment", "valid_from", "note"]
    list_filter = ["segment"]
    inlines = [OwnershipShareInline]


class PathSegmentFormSet(forms.BaseInlineFormSet):
    actor: Any = None  # set by PathAdmin: who changes the chain

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = sorted(_kept_forms(self), key=lambda form: form.cleaned_data["position"])
        path = self.instance
        if path.a_site_id and path.z_site_id:
            segments = [form.cleaned_data["segment"] for form in kept]
            _as_formset_error(validate_chain, path.a_site_id, path.z_site_id, segments)
            if path.pk is not None:
                _as_formset_error(
                    refuse_chain_change, path=path, segments=segments, actor=self.actor
                )


class PathSegmentInline(admin.TabularInline):
    model = PathSegment
    formset = PathSegmentFormSet
    ordering = ["position"]
    extra = 2


@admin.register(Path)
class PathAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "a_site", "z_site", "is_active"]
    list_select_related = ["a_site", "z_site"]
    search_fields = ["code", "name"]
    inlines = [PathSegmentInline]

    def _create_formsets(self, request: HttpRequest, obj: Any, change: bool) -> tuple:
        formsets, inlines = super()._create_formsets(request, obj, change)
        for formset in formsets:
            formset.actor = request.user  # the chain check needs who asks
        return formsets, inlines


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "country", "operator", "is_active"]
    list_filter = ["kind", "country", "operator"]
    list_select_related = ["operator"]
    search_fields = ["code", "name", "city"]


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "medium",
        "length_km",
        "settlement_weight",
        "design_capacity_gbps",
    ]
    list_filter = ["medium"]
    search_fields = ["code", "name"]


@admin.register(FiberPair)
class FiberPairAdmin(admin.ModelAdmin):
    list_display = ["__str__", "grid", "band_start_slot", "band_end_slot", "is_active"]
    list_filter = ["grid", "segment"]
    list_select_related = ["segment"]


class LitCarrierForm(forms.ModelForm):
    lit_from = forms.DateField(
        required=False, help_text="When the carrier is lit (its spectrum taken); default today."
    )

    class Meta:
        model = LitCarrier
        fields = ["path", "name", "operator", "capacity_gbps", "spectrum_ghz", "is_active"]


@admin.register(LitCarrier)
class LitCarrierAdmin(admin.ModelAdmin):
    form = LitCarrierForm
    list_display = ["__str__", "operator", "capacity_gbps", "spectrum", "is_active"]
    list_select_related = ["path", "operator", "spectrum"]

    def save_model(self, request: HttpRequest, obj: LitCarrier, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.spectrum_id is None:
            try:
                light_carrier(
                    carrier=obj,
                    start_date=form.cleaned_data.get("lit_from") or timezone.localdate(),
                )
            except DomainError as error:
                messages.error(request, f"{obj} is saved but not lit: {domain_error_text(error)}")


@admin.register(TransitPortPool)
class TransitPortPoolAdmin(admin.ModelAdmin):
    list_display = ["site", "port_speed_mbps", "ports"]
    list_select_related = ["site"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "commercial_form", "bandwidth_mbps", "is_active"]
    list_filter = ["kind", "commercial_form", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Price)
class PriceAdmin(admin.ModelAdmin):
    list_display = [
        "product",
        "path",
        "site",
        "term_months",
        "valid_from",
        "valid_to",
        "currency",
        "mrc",
        "nrc",
    ]
    list_filter = ["product", "term_months", "currency"]
    list_select_related = ["product", "path", "site"]
    date_hierarchy = "valid_from"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Capacity is taken and freed by the services only; the admin shows it."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReservationInline(admin.TabularInline):
    extra = 0
    can_delete = False
    readonly_fields = ["start", "end", "valid_from", "valid_to"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SpectrumInline(ReservationInline):
    model = SpectrumReservation


class LitCapacityInline(ReservationInline):
    model = LitCapacityReservation


class TransitPortInline(ReservationInline):
    model = TransitPortReservation


@admin.register(CapacityAllocation)
class CapacityAllocationAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "holder",
        "product",
        "path",
        "site",
        "status",
        "valid_from",
        "valid_to",
        "expires_at",
    ]
    list_filter = ["status", "product", "path"]
    list_select_related = ["holder", "product", "path", "site"]
    search_fields = ["reference", "holder__name"]
    inlines = [SpectrumInline, LitCapacityInline, TransitPortInline]
    actions = ["release_selected"]

    @admin.action(description="Release the selected allocations (free their capacity now)")
    def release_selected(
        self, request: HttpRequest, queryset: QuerySet[CapacityAllocation]
    ) -> None:
        for allocation in queryset:
            release_allocation(allocation=allocation)
        self.message_user(request, f"{queryset.count()} allocation(s) released.")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Needed for the release action; the form itself shows every field read-only.
        return request.user.is_superuser

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in CapacityAllocation._meta.fields]


for model in (SpectrumReservation, LitCapacityReservation, TransitPortReservation):
    admin.site.register(model, ReadOnlyAdmin)


class OutageChangeInline(admin.TabularInline):
    model = OutageChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "action", "by", "changes", "reason"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Outage)
class OutageAdmin(ReadOnlyAdmin):
    """Outages are recorded, ended and corrected in the portal or the API (with history)."""

    list_display = ["segment", "started_at", "ended_at", "description", "recorded_by"]
    list_filter = ["segment"]
    list_select_related = ["segment"]
    date_hierarchy = "started_at"
    inlines = [OutageChangeInline]


class MaintenanceChangeInline(admin.TabularInline):
    model = MaintenanceChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "action", "by", "changes", "note"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Maintenance)
class MaintenanceAdmin(ReadOnlyAdmin):
    """Maintenance is scheduled and stepped in the portal or the API: customers are told of
    every change, which an edit here would skip."""

    list_display = ["pk", "window_start", "window_end", "status", "impact", "created_by"]
    list_filter = ["status", "impact"]
    date_hierarchy = "window_start"
    inlines = [MaintenanceChangeInline]


class DatedAdmin(admin.ModelAdmin):
    """Dated owners and weights: added (or replaced for a date) through the inventory service,
    which keeps the object's own field as the value in force today; history is not edited."""

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        row = self.record(obj)
        obj.pk = row.pk

    def record(self, obj: Any) -> Any:
        """Record ``obj`` through its inventory service: each dated admin names its own."""
        raise NotImplementedError  # abstract: every subclass below defines it


@admin.register(SiteOwnership)
class SiteOwnershipAdmin(DatedAdmin):
    list_display = ["site", "operator", "valid_from"]
    list_filter = ["site", "operator"]
    list_select_related = ["site", "operator"]

    def record(self, obj: SiteOwnership) -> SiteOwnership:
        return set_site_owner(site=obj.site, operator=obj.operator, valid_from=obj.valid_from)


@admin.register(SegmentWeight)
class SegmentWeightAdmin(DatedAdmin):
    list_display = ["segment", "weight", "valid_from", "note"]
    list_filter = ["segment"]
    list_select_related = ["segment"]

    def record(self, obj: SegmentWeight) -> SegmentWeight:
        return set_segment_weight(
            segment=obj.segment, weight=obj.weight, valid_from=obj.valid_from, note=obj.note
        )


@admin.register(LitCarrierOperator)
class LitCarrierOperatorAdmin(DatedAdmin):
    list_display = ["carrier", "operator", "valid_from"]
    list_filter = ["operator"]
    list_select_related = ["carrier__path", "operator"]

    def record(self, obj: LitCarrierOperator) -> LitCarrierOperator:
        return set_carrier_operator(
            carrier=obj.carrier, operator=obj.operator, valid_from=obj.valid_from
        )


class TicketChangeInline(admin.TabularInline):
    model = TicketChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "from_status", "to_status", "by", "note", "note_visibility"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TroubleTicket)
class TroubleTicketAdmin(ReadOnlyAdmin):
    """Trouble tickets are opened and worked in the portal or the API (with history)."""

    list_display = ["__str__", "service", "customer", "severity", "status", "creation_date"]
    list_filter = ["status", "severity"]
    list_select_related = ["service", "customer"]
    search_fields = ["service__circuit_id", "customer__name", "external_id"]
    date_hierarchy = "creation_date"
    inlines = [TicketChangeInline]
