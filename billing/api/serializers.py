"""Serializers of billing runs, invoices, payments and credit notes over the API (money as
``{"amount", "currency"}``).

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

from ..choices import CONTRACT_INVOICE_STATUSES, InvoiceStatus
from ..documents import DocumentTotals
from ..models import (
    BillingRun,
    CreditNote,
    CreditNoteLine,
    DeletedDraft,
    Invoice,
    InvoiceLine,
    InvoiceTransition,
    Payment,
    PaymentReversal,
)
from ..periods import PERIOD_PATTERN, PeriodError, parse_period
from ..selectors import sees_drafts_and_split
from ..services.balances import Balance, balance_of
from ..services.credit_notes import credit_note_totals
from ..services.invoices import MAX_BULK_ISSUE
from ..services.runs import invoice_totals


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


# --- billing runs and invoices --------------------------------------------------------------


class BillingRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillingRun
        fields = [
            "id",
            "period",
            "status",
            "requested_by",
            "started_at",
            "finished_at",
            "contracts_total",
            "contracts_rated",
            "lines_created",
            "error",
        ]
        read_only_fields = fields


class BillingRunRequestSerializer(serializers.Serializer):
    period = PeriodField(help_text="YYYY-MM")


class AllocationSerializer(serializers.Serializer):
    operator = serializers.CharField(source="operator.name")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class InvoiceLineSerializer(serializers.ModelSerializer):
    """A line; ``allocations`` (the operators' split) is an empty list unless the serializer's
    context says the reader sees the split (``billing.selectors.sees_drafts_and_split``)."""

    unit_price = MoneyField(currency_attr="currency", unit_price=True)
    amount = MoneyField(currency_attr="currency")
    tax_amount = MoneyField(currency_attr="currency")
    circuit_id = serializers.CharField(
        source="contract.service.circuit_id", default=None, allow_null=True
    )
    allocations = serializers.SerializerMethodField(
        help_text="The split of the line's net amount between the operators; an empty list "
        "for customers (the split is the consortium's business)."
    )

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "kind",
            "description",
            "quantity",
            "unit_price",
            "amount",
            "tax_rate",
            "tax_amount",
            "tax_note",
            "circuit_id",
            "allocations",
        ]
        read_only_fields = fields

    @extend_schema_field(AllocationSerializer(many=True))
    def get_allocations(self, line: InvoiceLine) -> list[dict]:
        if not self.context.get("show_split"):
            return []
        return AllocationSerializer(line.allocations.all(), many=True).data


class InvoiceTransitionSerializer(serializers.ModelSerializer):
    """One step of the invoice's lifecycle: from which state to which, by whom, when, why."""

    from_state = serializers.ChoiceField(choices=InvoiceStatus.choices, read_only=True)
    to_state = serializers.ChoiceField(choices=InvoiceStatus.choices, read_only=True)

    class Meta:
        model = InvoiceTransition
        fields = ["from_state", "to_state", "by", "at", "note"]
        read_only_fields = fields

    def to_representation(self, transition: InvoiceTransition) -> dict:
        data = super().to_representation(transition)
        data["from_state"] = data["from_state"] or InvoiceStatus.DRAFT  # every invoice began so
        return data


class InvoiceSerializer(serializers.ModelSerializer):
    billing_party = serializers.CharField(source="billing_party.name")
    customer = serializers.CharField(source="customer.name")
    status = serializers.SerializerMethodField(
        help_text="The contract's four values: a partially paid invoice is issued here (see state)."
    )
    state = serializers.ChoiceField(
        source="status",
        choices=InvoiceStatus.choices,
        read_only=True,
        help_text="Where the invoice is in its lifecycle, partially paid included.",
    )
    subtotal = TotalField(totals=invoice_totals)
    tax = TotalField(totals=invoice_totals)
    total = TotalField(totals=invoice_totals)
    credited = serializers.SerializerMethodField()
    paid = serializers.SerializerMethodField()
    balance_due = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField()
    history = InvoiceTransitionSerializer(
        source="transitions", many=True, read_only=True, help_text="Each step, oldest first."
    )

    class Meta:
        model = Invoice
        fields = [
            "id",
            "number",
            "status",
            "state",
            "billing_party",
            "customer",
            "period",
            "currency",
            "subtotal",
            "tax",
            "total",
            "credited",
            "paid",
            "balance_due",
            "issued_at",
            "due_date",
            "lines",
            "history",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=CONTRACT_INVOICE_STATUSES))
    def get_status(self, invoice: Invoice) -> str:
        if invoice.status == InvoiceStatus.PARTIALLY_PAID:
            return InvoiceStatus.ISSUED
        return invoice.status

    def _balance(self, invoice: Invoice) -> Balance:
        if not hasattr(invoice, "_balance"):
            invoice._balance = balance_of(invoice)
        return invoice._balance

    @extend_schema_field(MoneyField())
    def get_credited(self, invoice: Invoice) -> dict:
        """Given back by credit notes, VAT included."""
        return Money(self._balance(invoice).credited, invoice.currency).as_dict()

    @extend_schema_field(MoneyField())
    def get_paid(self, invoice: Invoice) -> dict:
        """Received: payments not reversed (``/api/v1/payments/?invoice=`` lists them)."""
        return Money(self._balance(invoice).paid, invoice.currency).as_dict()

    @extend_schema_field(MoneyField())
    def get_balance_due(self, invoice: Invoice) -> dict:
        """total - credited - paid."""
        return Money(self._balance(invoice).due, invoice.currency).as_dict()

    @extend_schema_field(InvoiceLineSerializer(many=True))
    def get_lines(self, invoice: Invoice) -> list[dict]:
        for line in invoice.lines.all():
            line.currency = invoice.currency
        return InvoiceLineSerializer(
            invoice.lines.all(), many=True, context={"show_split": self.context.get("show_split")}
        ).data


class IssueManyRequestSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=MAX_BULK_ISSUE,
        help_text=f"The drafts to issue, at most {MAX_BULK_ISSUE}; each is issued in its own "
        "transaction, in this order.",
    )


class IssueOutcomeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=["issued", "refused"])
    number = serializers.CharField(required=False, help_text="When issued.")
    type = serializers.CharField(
        required=False, help_text="When refused: the error type the invoice alone would get."
    )
    reason = serializers.CharField(required=False, help_text="When refused: why.")


class IssueManyResultSerializer(serializers.Serializer):
    issued = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = IssueOutcomeSerializer(many=True)


class DeletedDraftSerializer(serializers.ModelSerializer):
    """The record kept of a deleted draft."""

    id = serializers.IntegerField(source="invoice_id", help_text="The id the draft had.")
    billing_party = serializers.CharField(source="billing_party.name")
    customer = serializers.CharField(source="customer.name")
    total = serializers.SerializerMethodField()
    lines = serializers.SerializerMethodField(help_text="How many lines it had.")

    class Meta:
        model = DeletedDraft
        fields = [
            "id",
            "billing_party",
            "customer",
            "period",
            "currency",
            "total",
            "lines",
            "reason",
            "deleted_by",
            "deleted_at",
        ]
        read_only_fields = fields

    @extend_schema_field(MoneyField())
    def get_total(self, record: DeletedDraft) -> dict:
        return Money(record.total, record.currency).as_dict()

    def get_lines(self, record: DeletedDraft) -> int:
        return len(record.lines)
