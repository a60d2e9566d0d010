"""Operators' finance reports over the API: settlement statements, revenue, aging."""

from __future__ import annotations

from rest_framework import serializers

from leasing.models import Path, Site
from tcfo_portal.api.fields import LookupField, MoneyField


class OperatorRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SettlementSerializer(serializers.Serializer):
    """A pair of operators in one currency for a period: what each owes the other, netted.
    ``first`` and ``second`` are the pair in name order; ``id`` names it in the URLs."""

    id = serializers.SerializerMethodField(
        help_text="`{period}/{first}-{second}-{currency}`: the statement's path under "
        "`/api/v1/settlement-statements/`."
    )
    period = serializers.CharField()
    first = OperatorRefSerializer()
    second = OperatorRefSerializer()
    currency = serializers.CharField()
    first_owes = MoneyField(help_text="What `first` collected that is `second`'s revenue.")
    second_owes = MoneyField(help_text="What `second` collected that is `first`'s revenue.")
    net = MoneyField(help_text="What the payer owes the payee, netted.")
    payer = serializers.CharField(source="payer.name", allow_null=True, default=None)
    payee = serializers.CharField(source="payee.name", allow_null=True, default=None)

    def get_id(self, statement: object) -> str:
        s = statement
        return f"{s.period}/{s.first.pk}-{s.second.pk}-{s.currency}"


class StatementDocumentSerializer(serializers.Serializer):
    number = serializers.CharField(help_text="The invoice's or credit note's number.")
    collected_by = serializers.CharField()
    owed_to = serializers.CharField()
    amount = MoneyField(help_text="Negative for a credit note: given back.")


class SettlementDetailSerializer(SettlementSerializer):
    documents = StatementDocumentSerializer(
        many=True, help_text="The invoices and credit notes behind it, the part owed each way."
    )


class RevenueRowSerializer(serializers.Serializer):
    period = serializers.CharField()
    operator = serializers.CharField()
    product = serializers.CharField(help_text="The product's code, or the line's kind.")
    amount = MoneyField(help_text="Net of tax, less credit notes.")


class AgingRowSerializer(serializers.Serializer):
    invoice = serializers.IntegerField(source="invoice.pk")
    number = serializers.CharField(source="invoice.number")
    customer = serializers.CharField(source="invoice.customer.name")
    billing_party = serializers.CharField(source="invoice.billing_party.name")
    due_date = serializers.DateField(source="invoice.due_date")
    days_overdue = serializers.IntegerField(help_text="0 when not yet due.")
    bucket = serializers.CharField(
        help_text='The aging bucket, by days overdue: "current" (not yet due), "1-30", "31-60",'
        ' "61-90" or "90+".'
    )
    bucket_label = serializers.CharField(
        help_text='It in words: "Not yet due", "1-30 days overdue", …'
    )
    not_yet_due = serializers.BooleanField(help_text="Due today or later (bucket current).")
    owed = MoneyField(help_text="The balance due.")


class ManualLineRequestSerializer(serializers.Serializer):
    description = serializers.CharField(max_length=300)
    quantity = serializers.DecimalField(max_digits=14, decimal_places=4, default=1)
    unit_price = serializers.DecimalField(max_digits=16, decimal_places=4)
    service_date = serializers.DateField()
    path = LookupField(
        slug_field="code",
        queryset=Path.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The route sold (its code), or",
    )
    site = LookupField(
        slug_field="code",
        queryset=Site.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="the site (its code), for a line without a route.",
    )


class QueuedPdfSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


class RenderMissingResultSerializer(serializers.Serializer):
    queued = QueuedPdfSerializer(many=True, help_text="Being rendered, then mailed.")
