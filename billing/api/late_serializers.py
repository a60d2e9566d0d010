"""Serializers of closed months, late adjustments and debit notes over the API (domain.md 6a).

Money is ``{"amount", "currency"}``. As with credit notes, staff names (who issued a debit
note) are shown to operators' finance staff only, and the split of a debit note's lines between
the operators to those who see the split (``billing.selectors.sees_drafts_and_split``); a
customer gets an empty ``allocations`` list, as on its invoices. Late adjustments and closed
months are finance's business only, so their serializers show who decided or closed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tcfo_portal.api.fields import MoneyField
from tcfo_portal.money import Money

from ..choices import LateKind, LateStatus, LineKind
from ..models import DebitNote, DebitNoteLine, LateAdjustment, PeriodClose
from ..services.debit_notes import debit_note_totals
from .serializers import PeriodField, TotalField, _staff_may_see


class DebitAllocationSerializer(serializers.Serializer):
    """An operator's part of a debited line's net amount."""

    operator = serializers.CharField(source="operator.name")
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class DebitNoteLineSerializer(serializers.ModelSerializer):
    """A debited line; ``allocations`` is an empty list for customers."""

    kind = serializers.ChoiceField(choices=LineKind.choices, read_only=True)
    circuit_id = serializers.CharField(
        source="contract.service.circuit_id", default=None, allow_null=True
    )
    amount = serializers.SerializerMethodField()
    tax_amount = serializers.SerializerMethodField()
    allocations = serializers.SerializerMethodField(
        help_text="The split of the line's net amount between the operators; an empty list "
        "for customers (the split is the consortium's business)."
    )

    class Meta:
        model = DebitNoteLine
        fields = [
            "id",
            "kind",
            "description",
            "circuit_id",
            "amount",
            "tax_rate",
            "tax_amount",
            "tax_note",
            "allocations",
        ]
        read_only_fields = fields

    def _money(self, amount: Decimal) -> dict[str, str]:
        return Money(amount, self.context["currency"]).as_dict()

    @extend_schema_field(MoneyField())
    def get_amount(self, line: DebitNoteLine) -> dict[str, str]:
        """Net debited."""
        return self._money(line.amount)

    @extend_schema_field(MoneyField())
    def get_tax_amount(self, line: DebitNoteLine) -> dict[str, str]:
        """VAT on it."""
        return self._money(line.tax_amount)

    @extend_schema_field(DebitAllocationSerializer(many=True))
    def get_allocations(self, line: DebitNoteLine) -> list[dict]:
        if not _staff_may_see(self):
            return []
        return DebitAllocationSerializer(line.allocations.all(), many=True).data


class DebitNoteSerializer(serializers.ModelSerializer):
    """A debit note: what a closed month's late data added, billed against its issued invoice
    (which never changes), with its own number, due date and PDF."""

    invoice = serializers.IntegerField(source="invoice_id")
    invoice_number = serializers.CharField(source="invoice.number")
    billing_party = serializers.CharField(source="invoice.billing_party.name")
    customer = serializers.CharField(source="invoice.customer.name")
    period = serializers.CharField(source="invoice.period", help_text="The month it completes.")
    currency = serializers.CharField(source="invoice.currency")
    issued_by = serializers.SerializerMethodField()
    subtotal = TotalField(totals=debit_note_totals)
    tax = TotalField(totals=debit_note_totals)
    total = TotalField(totals=debit_note_totals)  # due by ``due_date``: net and VAT
    lines = serializers.SerializerMethodField()
    pdf_ready = serializers.SerializerMethodField()

    class Meta:
        model = DebitNote
        fields = [
            "id",
            "number",
            "invoice",
            "invoice_number",
            "billing_party",
            "customer",
            "period",
            "currency",
            "reason",
            "issued_at",
            "issued_by",
            "due_date",
            "subtotal",
            "tax",
            "total",
            "lines",
            "pdf_ready",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_issued_by(self, note: DebitNote) -> str | None:
        """Operators' finance staff only; null for customers."""
        return note.issued_by if _staff_may_see(self) else None

    @extend_schema_field(DebitNoteLineSerializer(many=True))
    def get_lines(self, note: DebitNote) -> list[dict]:
        context = {**self.context, "currency": note.invoice.currency}
        return DebitNoteLineSerializer(note.lines.all(), many=True, context=context).data

    def get_pdf_ready(self, note: DebitNote) -> bool:
        """Whether ``pdf/`` can be fetched (it is rendered once, just after issuing)."""
        return bool(note.pdf)


DOCUMENT_TYPES = [("debit_note", "Debit note"), ("credit_note", "Credit note")]


class DocumentSerializer(serializers.Serializer):
    """A debit or credit note, by id and number (``/api/v1/debit-notes/{id}/`` or
    ``/api/v1/credit-notes/{id}/``)."""

    type = serializers.ChoiceField(choices=DOCUMENT_TYPES)
    id = serializers.IntegerField()
    number = serializers.CharField()


class LateAdjustmentSerializer(serializers.ModelSerializer):
    """Data that arrived for a frozen month, and what billing it would change."""

    kind = serializers.ChoiceField(choices=LateKind.choices, read_only=True)
    status = serializers.ChoiceField(choices=LateStatus.choices, read_only=True)
    contract = serializers.IntegerField(source="contract_id")
    circuit_id = serializers.CharField(
        source="contract.service.circuit_id", default=None, allow_null=True
    )
    customer = serializers.CharField(source="contract.customer.name")
    billing_party = serializers.CharField(source="contract.billing_party.name")
    billed_value = serializers.DecimalField(
        max_digits=20,
        decimal_places=3,
        allow_null=True,
        read_only=True,
        help_text="The frozen figure billed: the billable bit/s (usage) or the availability "
        "in % (outage).",
    )
    current_value = serializers.DecimalField(
        max_digits=20,
        decimal_places=3,
        allow_null=True,
        read_only=True,
        help_text="The same figure from today's data.",
    )
    amount = MoneyField(
        help_text="Net: what billing today's figure would add (negative: give back)."
    )
    debit_note = serializers.SerializerMethodField()
    credit_note = serializers.SerializerMethodField()

    class Meta:
        model = LateAdjustment
        fields = [
            "id",
            "period",
            "kind",
            "status",
            "contract",
            "circuit_id",
            "customer",
            "billing_party",
            "billed_value",
            "current_value",
            "amount",
            "detected_at",
            "updated_at",
            "resolved_at",
            "resolved_by",
            "reason",
            "debit_note",
            "credit_note",
        ]
        read_only_fields = fields

    @extend_schema_field(DocumentSerializer(allow_null=True))
    def get_debit_note(self, adjustment: LateAdjustment) -> dict[str, Any] | None:
        """The debit note that billed an amount added."""
        note = adjustment.debit_note
        if note is None:
            return None
        return {"type": "debit_note", "id": note.pk, "number": note.number}

    @extend_schema_field(DocumentSerializer(allow_null=True))
    def get_credit_note(self, adjustment: LateAdjustment) -> dict[str, Any] | None:
        """The credit note that gave back an amount."""
        note = adjustment.credit_note
        if note is None:
            return None
        return {"type": "credit_note", "id": note.pk, "number": note.number}


class LateDecisionRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Why; kept with the adjustment.")


class LateBillResultSerializer(serializers.Serializer):
    """The document that billed the adjustment, and the adjustment as decided."""

    document = DocumentSerializer()
    adjustment = LateAdjustmentSerializer()


class SettlementStatementSerializer(serializers.Serializer):
    """What each operator of a pair owed the other for the month, as it stood when closed."""

    first = serializers.CharField()
    second = serializers.CharField()
    currency = serializers.CharField()
    first_owes = MoneyField()
    second_owes = MoneyField()

    def to_representation(self, statement: dict[str, str]) -> dict[str, Any]:
        currency = statement["currency"]
        return {
            "first": statement["first"],
            "second": statement["second"],
            "currency": currency,
            "first_owes": Money(Decimal(statement["first_owes"]), currency).as_dict(),
            "second_owes": Money(Decimal(statement["second_owes"]), currency).as_dict(),
        }


class PeriodCloseSerializer(serializers.ModelSerializer):
    """A billing party's closed month: its figures are frozen; later data becomes a late
    adjustment."""

    billing_party = serializers.CharField(source="billing_party.name")
    settlement = SettlementStatementSerializer(many=True, read_only=True)

    class Meta:
        model = PeriodClose
        fields = ["id", "period", "billing_party", "closed_at", "closed_by", "settlement"]
        read_only_fields = fields


class PeriodCloseRequestSerializer(serializers.Serializer):
    period = PeriodField(help_text="YYYY-MM: a month that has ended, billed, with no draft left.")
