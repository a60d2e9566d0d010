"""Filters of billing's lists (NetBox style: one FilterSet per list, shared by the API and,
later, the portal). Names are the API's fields: ``customer`` and ``billing_party`` are names,
``product`` and ``path`` codes, days ``YYYY-MM-DD`` and periods ``YYYY-MM``; ``*_after`` and
``*_before`` include the day they name. Which rows an actor may see at all is decided before
(``billing.selectors``): a filter only narrows it."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_field

from tcfo_portal.api.filters import WholeNumberFilter, YesNoFilter, after, before, text

from .choices import BillingRunStatus, InvoiceStatus, LateKind, LateStatus, UsageEventKind
from .models import (
    BillingRun,
    CreditNote,
    DebitNote,
    DeletedDraft,
    Invoice,
    LateAdjustment,
    Payment,
    PeriodClose,
    UsageEvent,
)
from .periods import PERIOD_PATTERN, PeriodError, parse_period, period_bounds


class PeriodField(forms.CharField):
    """``YYYY-MM`` (``billing.periods.parse_period``)."""

    def to_python(self, value: Any) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            parse_period(value)
        except PeriodError as error:
            raise forms.ValidationError(str(error), code="invalid") from None
        return value


@extend_schema_field({"type": "string", "pattern": PERIOD_PATTERN, "example": "2026-10"})
class PeriodFilter(django_filters.CharFilter):
    field_class = PeriodField


def periods(field_name: str = "period") -> dict[str, django_filters.Filter]:
    return {
        "period": PeriodFilter(field_name=field_name, label="Only this month's (YYYY-MM)."),
        "period_after": PeriodFilter(
            field_name=field_name, lookup_expr="gte", label="Only months from this (YYYY-MM)."
        ),
        "period_before": PeriodFilter(
            field_name=field_name, lookup_expr="lte", label="Only months up to this (YYYY-MM)."
        ),
    }


def _parties(prefix: str = "") -> dict[str, django_filters.Filter]:
    return {
        "customer": text(f"{prefix}customer__name", "Only this customer's (its name)."),
        "billing_party": text(f"{prefix}billing_party__name", "Only this operator's (its name)."),
        "currency": text(f"{prefix}currency", "Only in this currency (ISO 4217, e.g. USD)."),
    }


class InvoiceFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=[(s, s) for s in ("draft", "issued", "paid", "void")],
        method="filter_status",
        label="The invoice's status: issued includes partially paid.",
    )
    state = django_filters.ChoiceFilter(
        field_name="status", choices=InvoiceStatus.choices, label="Only in this state."
    )
    locals().update(periods())
    locals().update(_parties())
    number = text("number", "The invoice with this number.")
    issued_after = after("issued_at", "issued", moment=True)
    issued_before = before("issued_at", "issued", moment=True)
    due_after = after("due_date", "due")
    due_before = before("due_date", "due")
    circuit_id = django_filters.CharFilter(
        field_name="lines__contract__service__circuit_id",
        distinct=True,
        label="Only those billing this circuit.",
    )
    product = django_filters.CharFilter(
        field_name="lines__contract__service__product__code",
        distinct=True,
        label="Only those billing this product (its code).",
    )
    has_pdf = YesNoFilter(method="filter_has_pdf", label="Whether its PDF is rendered.")

    class Meta:
        model = Invoice
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == InvoiceStatus.ISSUED:
            return queryset.filter(status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID])
        return queryset.filter(status=value)

    def filter_has_pdf(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.exclude(pdf="") if value == "true" else queryset.filter(pdf="")


def _of_invoice() -> dict[str, django_filters.Filter]:
    return {
        "invoice": WholeNumberFilter(field_name="invoice_id", label="Only this invoice's."),
        **periods("invoice__period"),
        **_parties("invoice__"),
    }


class PaymentFilterSet(django_filters.FilterSet):
    locals().update(_of_invoice())
    received_after = after("received_on", "received")
    received_before = before("received_on", "received")
    reversed = YesNoFilter(field_name="reversal__isnull", negate=True, label="Whether reversed.")

    class Meta:
        model = Payment
        fields: list[str] = []


class CreditNoteFilterSet(django_filters.FilterSet):
    locals().update(_of_invoice())
    number = text("number", "The note with this number.")
    issued_after = after("issued_at", "issued", moment=True)
    issued_before = before("issued_at", "issued", moment=True)

    class Meta:
        model = CreditNote
        fields: list[str] = []


class DebitNoteFilterSet(CreditNoteFilterSet):
    due_after = after("due_date", "due")
    due_before = before("due_date", "due")

    class Meta:
        model = DebitNote
        fields: list[str] = []


class LateAdjustmentFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=LateStatus.choices, label="Only in this status.")
    kind = django_filters.ChoiceFilter(choices=LateKind.choices, label="Only of this kind.")
    locals().update(periods())
    currency = text("currency", "Only in this currency (ISO 4217).")
    customer = text("contract__customer__name", "Only this customer's (its name).")
    circuit_id = text("contract__service__circuit_id", "Only this circuit's.")
    detected_after = after("detected_at", "detected", moment=True)
    detected_before = before("detected_at", "detected", moment=True)

    class Meta:
        model = LateAdjustment
        fields: list[str] = []


class PeriodCloseFilterSet(django_filters.FilterSet):
    locals().update(periods())
    billing_party = text("billing_party__name", "Only this operator's (its name).")

    class Meta:
        model = PeriodClose
        fields: list[str] = []


class BillingRunFilterSet(django_filters.FilterSet):
    locals().update(periods())
    status = django_filters.ChoiceFilter(
        choices=BillingRunStatus.choices, label="Only in this status."
    )

    class Meta:
        model = BillingRun
        fields: list[str] = []


class DeletedDraftFilterSet(django_filters.FilterSet):
    locals().update(periods())
    customer = text("customer__name", "Only this customer's (its name).")
    deleted_after = after("deleted_at", "deleted", moment=True)
    deleted_before = before("deleted_at", "deleted", moment=True)

    class Meta:
        model = DeletedDraft
        fields: list[str] = []


# --- i15-c begin ---
class UsageDecisionFilterSet(django_filters.FilterSet):
    """Usage decisions (``selectors.usage_decisions_for``). ``period`` is the billing month,
    in each service's billing party's time zone (UTC without a contract), as the list's
    "Billing month" column and ``services.usage_decisions.resolve_conflict`` read it: the same
    rows for every reader, whatever their own zone."""

    period = PeriodFilter(method="filter_period", label="Only this month's (YYYY-MM).")
    kind = django_filters.ChoiceFilter(choices=UsageEventKind.choices, label="Only of this kind.")
    circuit_id = text("port__service__circuit_id", "Only this circuit's.")
    resolved = YesNoFilter(
        method="filter_resolved",
        label="true: conflicts resolved; false: conflicts nobody has resolved yet.",
    )

    class Meta:
        model = UsageEvent
        fields: list[str] = []

    def filter_period(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # One range per billing party's zone (a fixed query for the zones, whatever the rows).
        from leasing.models import Contract
        from organisations.models import Organisation

        zones = (
            Organisation.objects.filter(pk__in=Contract.objects.values("billing_party"))
            .order_by()
            .values_list("time_zone", flat=True)
            .distinct()
        )
        start, end = period_bounds(value, "UTC")
        month = Q(port__service__contract__isnull=True, ts__gte=start, ts__lt=end)
        for zone in sorted(set(zones)):
            start, end = period_bounds(value, zone)
            month |= Q(
                port__service__contract__billing_party__time_zone=zone, ts__gte=start, ts__lt=end
            )
        return queryset.filter(month)

    def filter_resolved(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        conflicts = queryset.filter(kind=UsageEventKind.CONFLICT)
        return conflicts.filter(resolution__isnull=value != "true")


# --- i15-c end ---
