"""Serializers of payments and credit notes over the API (money as ``{"amount", "currency"}``).

Staff names (who recorded, reversed or issued) are shown to operators' finance staff only: a
customer sees what happened and when, not who in the billing party's back office did it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers

from tcfo_portal.api.fields import MoneyField
from tcfo_portal.money import Money

from ..documents import DocumentTotals
from ..models import CreditNote, CreditNoteLine, Payment, PaymentReversal
from ..periods import PERIOD_PATTERN, PeriodError, parse_period
from ..selectors import sees_drafts_and_split
from ..services.credit_notes import credit_note_totals


@extend_schema_field({"type": "string", "pattern": PERIOD_PATTERN, "example": "2026-10"})
class PeriodField(serializers.CharField):
    """A billing period, ``YYYY-MM`` (a calendar month in the billing party's time zone)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 7)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        period = super().to_internal_value(data)
        try:
            parse_period(period)
        except PeriodError as error:
            raise serializers.ValidationError(str(error)) from None
        return period


def period_parameter(*, required: bool, description: str) -> OpenApiParameter:
    """The ``?period=YYYY-MM`` query parameter."""
    return OpenApiParameter(
        "period", str, required=required, pattern=PERIOD_PATTERN, description=description
    )


class TotalField(MoneyField):
    """One of a document's totals, named by the field (``subtotal``, ``tax`` or ``total``), as
    the API's Money; ``totals`` (e.g. ``invoice_totals``) sums the document once, and the
    document's three total fields share those sums."""

    def __init__(self, *, totals: Callable[[Any], DocumentTotals], **kwargs: Any) -> None:
        self.totals = totals
        super().__init__(source="*", **kwargs)

    def get_attribute(self, instance: Any) -> Money:
        if getattr(instance, "_totals", None) is None:
            instance._totals = self.totals(instance)
        return getattr(instance._totals, self.field_name)


def _staff_may_see(serializer: serializers.Serializer) -> bool:
    request = serializer.context.get("request")
    return request is not None and sees_drafts_and_split(request.user)


class PaymentReversalSerializer(serializers.ModelSerializer):
    reversed_by = serializers.SerializerMethodField()

    class Meta:
        model = PaymentReversal
        fields = ["reason", "reversed_at", "reversed_by"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reversed_by(self, reversal: PaymentReversal) -> str | None:
        """Operators' finance staff only; null for customers."""
        return reversal.reversed_by if _staff_may_see(self) else None


class PaymentSerializer(serializers.ModelSerializer):
    """A payment received against an invoice; a reversed one stays listed and no longer
    counts (``reversed`` true, with who, when and why)."""

    invoice = serializers.IntegerField(source="invoice_id")
    invoice_number = serializers.CharField(source="invoice.number")
    amount = serializers.SerializerMethodField()
    recorded_at = serializers.DateTimeField(source="created_at")
    recorded_by = serializers.SerializerMethodField()
    reversed = serializers.BooleanField(source="is_reversed")
    reversal = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "invoice",
            "invoice_number",
            "amount",
            "received_on",
            "reference",
            "recorded_at",
            "recorded_by",
            "reversed",
            "reversal",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneyField())
    def get_amount(self, payment: Payment) -> dict[str, str]:
        return Money(payment.amount, payment.invoice.currency).as_dict()

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_recorded_by(self, payment: Payment) -> str | None:
        """Operators' finance staff only; null for customers."""
        return payment.recorded_by if _staff_may_see(self) else None

    @extend_schema_field(PaymentReversalSerializer(allow_null=True))
    def get_reversal(self, payment: Payment) -> dict | None:
        if not payment.is_reversed:
            return None
        return PaymentReversalSerializer(payment.reversal, context=self.context).data


class PaymentRequestSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(help_text="The invoice's id.")
    amount = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        help_text='Received, e.g. "1000.00"; at most the balance due.',
    )
    currency = serializers.CharField(
        max_length=3, help_text="ISO 4217; the invoice's currency (a payment is in it)."
    )
    received_on = serializers.DateField(
        help_text="YYYY-MM-DD: not in the future in the billing party's time zone, not before"
        " the invoice's issue date."
    )
    reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text="e.g. the wire's."
    )


class PaymentReversalRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why; kept with the record.")


class CreditNoteLineSerializer(serializers.ModelSerializer):
    invoice_line = serializers.IntegerField(source="invoice_line_id")
    description = serializers.CharField(source="invoice_line.description")
    amount = serializers.SerializerMethodField()
    tax_rate = serializers.DecimalField(
        source="invoice_line.tax_rate", max_digits=5, decimal_places=2
    )
    tax_amount = serializers.SerializerMethodField()

    class Meta:
        model = CreditNoteLine
        fields = ["invoice_line", "description", "amount", "tax_rate", "tax_amount"]
        read_only_fields = fields

    def _money(self, amount: Any) -> dict[str, str]:
        return Money(amount, self.context["currency"]).as_dict()

    @extend_schema_field(MoneyField())
    def get_amount(self, line: CreditNoteLine) -> dict[str, str]:
        """Net given back."""
        return self._money(line.amount)

    @extend_schema_field(MoneyField())
    def get_tax_amount(self, line: CreditNoteLine) -> dict[str, str]:
        """VAT given back with it."""
        return self._money(line.tax_amount)


class CreditNoteSerializer(serializers.ModelSerializer):
    """A credit note: amounts of an issued invoice's lines given back, with their VAT."""

    invoice = serializers.IntegerField(source="invoice_id")
    invoice_number = serializers.CharField(source="invoice.number")
    currency = serializers.CharField(source="invoice.currency")
    issued_by = serializers.SerializerMethodField()
    subtotal = TotalField(totals=credit_note_totals)
    tax = TotalField(totals=credit_note_totals)
    total = TotalField(totals=credit_note_totals)
    lines = serializers.SerializerMethodField()
    pdf_ready = serializers.SerializerMethodField()

    class Meta:
        model = CreditNote
        fields = [
            "id",
            "number",
            "invoice",
            "invoice_number",
            "currency",
            "reason",
            "issued_at",
            "issued_by",
            "subtotal",
            "tax",
            "total",
            "lines",
            "pdf_ready",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_issued_by(self, note: CreditNote) -> str | None:
        """Operators' finance staff only; null for customers."""
        return note.issued_by if _staff_may_see(self) else None

    @extend_schema_field(CreditNoteLineSerializer(many=True))
    def get_lines(self, note: CreditNote) -> list[dict]:
        context = {**self.context, "currency": note.invoice.currency}
        return CreditNoteLineSerializer(note.lines.all(), many=True, context=context).data

    def get_pdf_ready(self, note: CreditNote) -> bool:
        """Whether ``pdf/`` can be fetched (it is rendered once, just after issuing)."""
        return bool(note.pdf)


class CreditNoteLineRequestSerializer(serializers.Serializer):
    invoice_line = serializers.IntegerField(help_text="The id of a line of the invoice.")
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Net to give back; its VAT follows."
    )


class CreditNoteRequestSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(help_text="The issued invoice corrected.")
    reason = serializers.CharField(max_length=300)
    lines = CreditNoteLineRequestSerializer(many=True, allow_empty=False)

    def validate_lines(self, lines: list[dict]) -> list[dict]:
        seen = [line["invoice_line"] for line in lines]
        if len(seen) != len(set(seen)):
            raise serializers.ValidationError("Name each invoice line once.")
        return lines
