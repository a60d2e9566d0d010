"""Back office for usage: ports are configured here; stored usage and decisions are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from .models import (
    SNMP_KEY_MAX_LENGTH,
    SNMP_KEY_MIN_LENGTH,
    BillingRun,
    CounterState,
    CreditAllocation,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    LineAllocation,
    Payment,
    PaymentReversal,
    RemovedLine,
    TaxRate,
    UsageBatch,
    UsageDay,
    UsageEvent,
    UsagePercentile,
    UsagePort,
)
from .services.usage_archive import payload_filename, read_payload


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ["country", "rate_percent", "valid_from", "valid_to"]
    list_filter = ["country"]


class UsagePortForm(forms.ModelForm):
    """A port's SNMP settings; its secrets are write-only: never shown again once saved.

    A secret left blank keeps the stored one; the model clears those of the version not chosen.
    """

    SECRETS = ("snmp_community", "snmp_v3_auth_key", "snmp_v3_priv_key")
    KEY_HELP = (
        f"{SNMP_KEY_MIN_LENGTH} to {SNMP_KEY_MAX_LENGTH} printable ASCII characters, no spaces."
    )

    snmp_community = forms.CharField(
        label="SNMP community",
        required=False,
        strip=False,
        max_length=100,
        widget=forms.PasswordInput(render_value=False),
        help_text="SNMPv2c only.",
    )
    snmp_v3_auth_key = forms.CharField(
        label="SNMPv3 auth key",
        required=False,
        strip=False,
        max_length=SNMP_KEY_MAX_LENGTH,
        widget=forms.PasswordInput(render_value=False),
        help_text=KEY_HELP,
    )
    snmp_v3_priv_key = forms.CharField(
        label="SNMPv3 privacy key",
        required=False,
        strip=False,
        max_length=SNMP_KEY_MAX_LENGTH,
        widget=forms.PasswordInput(render_value=False),
        help_text=f"authPriv only. {KEY_HELP}",
    )

    class Meta:
        model = UsagePort
        fields = [
            "service",
            "name",
            "speed_mbps",
            "is_active",
            "snmp_host",
            "snmp_port",
            "if_index",
            "counter_bits",
            "snmp_version",
            "snmp_community",
            "snmp_v3_user",
            "snmp_v3_security_level",
            "snmp_v3_auth_protocol",
            "snmp_v3_auth_key",
            "snmp_v3_priv_protocol",
            "snmp_v3_priv_key",
            "snmp_v3_context",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.SECRETS:
            if getattr(self.instance, name):
                field = self.fields[name]
                field.widget.attrs["placeholder"] = "stored, not shown"
                field.help_text = f"{field.help_text} Stored; leave blank to keep it.".strip()

    def _secret(self, name: str) -> str:
        return self.cleaned_data.get(name) or getattr(self.instance, name)

    def clean_snmp_community(self) -> str:
        return self._secret("snmp_community")

    def clean_snmp_v3_auth_key(self) -> str:
        return self._secret("snmp_v3_auth_key")

    def clean_snmp_v3_priv_key(self) -> str:
        return self._secret("snmp_v3_priv_key")


@admin.register(UsagePort)
class UsagePortAdmin(admin.ModelAdmin):
    form = UsagePortForm
    list_display = [
        "name",
        "service",
        "snmp_host",
        "snmp_version",
        "if_index",
        "counter_bits",
        "speed_mbps",
        "is_active",
    ]
    list_filter = ["is_active", "snmp_version", "counter_bits"]
    list_select_related = ["service"]
    search_fields = ["name", "service__circuit_id", "snmp_host"]
    fieldsets = [
        (None, {"fields": ["service", "name", "speed_mbps", "is_active"]}),
        (
            "SNMP polling",
            {
                "fields": ["snmp_host", "snmp_port", "if_index", "counter_bits", "snmp_version"],
                "description": "A port with an SNMP host is polled every 5 minutes.",
            },
        ),
        ("SNMPv2c", {"fields": ["snmp_community"]}),
        (
            "SNMPv3",
            {
                "fields": [
                    "snmp_v3_user",
                    "snmp_v3_security_level",
                    "snmp_v3_auth_protocol",
                    "snmp_v3_auth_key",
                    "snmp_v3_priv_protocol",
                    "snmp_v3_priv_key",
                    "snmp_v3_context",
                ],
                "description": "Keys and the community are write-only: never shown once saved.",
            },
        ),
    ]


class ReadOnly(admin.ModelAdmin):
    """Written by the ingest only: what was received and decided stays as it was."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(UsageBatch)
class UsageBatchAdmin(ReadOnly):
    list_display = [
        "pk",
        "source",
        "organisation",
        "submitted_by",
        "received_at",
        "samples",
        "accepted",
        "duplicates",
        "rejected",
    ]
    list_filter = ["source"]
    exclude = ["payload"]
    readonly_fields = ["download"]

    @admin.display(description="Payload as received")
    def download(self, batch: UsageBatch) -> str:
        if not batch.payload:
            return "-"
        url = reverse("admin:billing_usagebatch_payload", args=[batch.pk])
        return format_html(
            '<a href="{}">{}</a> ({} bytes, SHA-256 {})',
            url,
            payload_filename(batch),
            batch.payload_bytes,
            batch.payload_sha256,
        )

    def get_urls(self) -> list[URLPattern]:
        payload = self.admin_site.admin_view(self.payload_view)
        return [
            path("<int:pk>/payload/", payload, name="billing_usagebatch_payload"),
            *super().get_urls(),
        ]

    def payload_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = get_object_or_404(UsageBatch, pk=pk)
        if not self.has_view_permission(request, batch) or not batch.payload:
            raise Http404
        response = HttpResponse(read_payload(batch), content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{payload_filename(batch)}"'
        return response


@admin.register(UsageEvent)
class UsageEventAdmin(ReadOnly):
    list_display = ["port", "kind", "ts", "batch", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["port__service"]


@admin.register(UsagePercentile)
class UsagePercentileAdmin(ReadOnly):
    list_display = [
        "service",
        "period",
        "samples",
        "missing",
        "p95_in_bps",
        "p95_out_bps",
        "billable_bps",
        "rule",
        "frozen_at",
    ]
    list_filter = ["period", "rule"]
    list_select_related = ["service"]


@admin.register(UsageDay)
class UsageDayAdmin(ReadOnly):
    list_display = ["port", "day"]
    exclude = ["in_bps", "out_bps"]
    list_select_related = ["port__service"]


@admin.register(CounterState)
class CounterStateAdmin(ReadOnly):
    list_display = ["port", "ts", "in_octets", "out_octets"]
    list_select_related = ["port__service"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["kind", "description", "quantity", "unit_price", "amount", "tax_rate", "tax_amount"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly):
    """Invoices change through billing runs and issuing only; issued ones never."""

    list_display = [
        "__str__",
        "status",
        "billing_party",
        "customer",
        "period",
        "currency",
        "due_date",
    ]
    list_filter = ["status", "period", "billing_party"]
    list_select_related = ["billing_party", "customer"]
    search_fields = ["number", "customer__name"]
    inlines = [InvoiceLineInline]
    exclude = ["pdf"]


@admin.register(BillingRun)
class BillingRunAdmin(ReadOnly):
    list_display = [
        "period",
        "status",
        "contracts_total",
        "contracts_rated",
        "lines_created",
        "started_at",
    ]


@admin.register(InvoiceSequence)
class InvoiceSequenceAdmin(ReadOnly):
    list_display = ["billing_party", "year", "last_number"]


@admin.register(Payment)
class PaymentAdmin(ReadOnly):
    """Read only: payments are recorded and reversed by finance in the portal or the API
    (``billing.services.payments``), which check who may."""

    list_display = ["invoice", "amount", "received_on", "reference", "recorded_by", "is_reversed"]
    list_select_related = ["invoice", "reversal"]

    @admin.display(boolean=True, description="Reversed")
    def is_reversed(self, payment: Payment) -> bool:
        return payment.is_reversed


@admin.register(PaymentReversal)
class PaymentReversalAdmin(ReadOnly):
    list_display = ["payment", "reason", "reversed_by", "reversed_at"]
    list_select_related = ["payment__invoice"]


@admin.register(LineAllocation)
class LineAllocationAdmin(ReadOnly):
    list_display = ["line", "operator", "amount"]
    list_select_related = ["line", "operator"]


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ReadOnly):
    list_display = ["invoice", "kind", "description", "amount", "tax_amount"]
    list_select_related = ["invoice"]


@admin.register(RemovedLine)
class RemovedLineAdmin(ReadOnly):
    list_display = ["invoice", "description", "amount", "reason", "removed_by", "removed_at"]
    list_select_related = ["invoice"]


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnly):
    list_display = ["number", "invoice", "reason", "issued_at", "issued_by"]
    list_select_related = ["invoice"]
    search_fields = ["number", "invoice__number"]


@admin.register(CreditNoteLine)
class CreditNoteLineAdmin(ReadOnly):
    list_display = ["credit_note", "invoice_line", "amount", "tax_amount"]
    list_select_related = ["credit_note", "invoice_line"]


@admin.register(CreditAllocation)
class CreditAllocationAdmin(ReadOnly):
    list_display = ["line", "operator", "amount"]
    list_select_related = ["line__invoice_line", "line__credit_note", "operator"]
