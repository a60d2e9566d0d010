from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from organisations.access import has_capability
from organisations.choices import Capability
from organisations.selectors import consortium_operators
from tcfo_portal.api.fields import CodeField, LookupField, MoneyField, UnsetAsNullChoiceField

from .. import service_lifecycle
from ..choices import NoteVisibility, OrderState, P95Rule, ServiceStatus
from ..constants import NOTE_MAX_LENGTH, UNIT_BOUND
from ..models import (
    Contract,
    Order,
    OrderTransition,
    Path,
    Product,
    Quote,
    Service,
    ServiceTransition,
    Site,
)
from ..selectors import allocation_assignment
from .serializers import PriceTermsSerializer, ProductPlaceSerializer


class QuoteRequestSerializer(serializers.Serializer):
    product = CodeField(queryset=Product.objects.all())
    path = CodeField(queryset=Path.objects.filter(is_active=True), required=False)
    site = CodeField(
        queryset=Site.objects.filter(is_active=True),
        required=False,
        help_text="IP transit: the PoP, instead of a path.",
    )
    term_months = serializers.IntegerField(min_value=1, max_value=600)
    start_date = serializers.DateField()
    commit_mbps = serializers.IntegerField(
        min_value=1, max_value=10_000_000, required=False, help_text="IP transit: the CDR."
    )


class QuoteSerializer(PriceTermsSerializer, serializers.ModelSerializer):
    order = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = [
            "id",
            "product",
            "path",
            "site",
            "term_months",
            "start_date",
            "commit_mbps",
            "currency",
            *Quote.AMOUNT_FIELDS,
            "valid_until",
            "created_at",
            "order",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_order(self, quote: Quote) -> int | None:
        order = getattr(quote, "order", None)
        return order.pk if order else None


class OrderRequestSerializer(serializers.Serializer):
    quote = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class TransitionSerializer(serializers.ModelSerializer):
    """One step of an order's history: who moved it from which state to which, when, and the
    note (a customer reads an internal note as "")."""

    note = serializers.CharField(
        source="shown_note",
        read_only=True,
        help_text='The note; "" for a customer when it is internal.',
    )
    note_visibility = serializers.ChoiceField(
        choices=NoteVisibility.choices,
        read_only=True,
        help_text="internal: operators only; customer: the customer reads it too.",
    )
    from_state = UnsetAsNullChoiceField(
        choices=OrderState.choices, help_text="null on the first step (the order was placed)."
    )

    class Meta:
        model = OrderTransition
        fields = ["from_state", "to_state", "by", "note", "note_visibility", "at"]
        read_only_fields = fields


class AssignmentSerializer(serializers.Serializer):
    resource = serializers.CharField()
    unit = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    detail = serializers.CharField()


class OrderSerializer(serializers.ModelSerializer):
    quote = QuoteSerializer(read_only=True)
    customer = serializers.CharField(source="customer.name")
    billing_party = serializers.CharField(source="billing_party.name")
    circuit_id = serializers.SerializerMethodField()
    history = TransitionSerializer(source="transitions", many=True, read_only=True)
    capacity = serializers.SerializerMethodField(
        help_text="Operators only: the spectrum, tributary slots or ports the order holds."
    )

    class Meta:
        model = Order
        fields = [
            "id",
            "state",
            "customer",
            "quote",
            "billing_party",
            "ready_for_service_date",
            "reason",
            "circuit_id",
            "created_at",
            "updated_at",
            "history",
            "capacity",
        ]
        read_only_fields = fields

    @extend_schema_field(AssignmentSerializer(many=True, allow_null=True))
    def get_capacity(self, order: Order) -> list[dict] | None:
        request = self.context.get("request")
        if request is None or not has_capability(request.user, Capability.VIEW_INVENTORY):
            return None
        if order.allocation is None or not order.allocation.is_live():
            return []
        return allocation_assignment(order.allocation)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_circuit_id(self, order: Order) -> str | None:
        service = getattr(order, "service", None)
        return service.circuit_id if service else None


operators = consortium_operators()


# An operator's note on an order's step, internal unless given to the customer. (Comments, not
# docstrings, on these bases: the schema would show a docstring as every subclass's description.)
class OperatorNoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=NOTE_MAX_LENGTH
    )
    note_visibility = serializers.ChoiceField(
        choices=NoteVisibility.choices,
        default=NoteVisibility.INTERNAL,
        help_text="Who reads the note: internal (operators only, the default) or customer.",
    )


class AcknowledgeSerializer(OperatorNoteSerializer):
    billing_party = LookupField(
        slug_field="name",
        queryset=operators,
        required=False,
        help_text="Default: the A end's owner.",
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, help_text="Why; the customer reads it (the order's reason)."
    )


# What ``start_provisioning`` takes. It parses within the bounds of ``leasing.constants``, so a
# unit out of range is a 400 whatever the order's state; the service checks the same bound.
class ProvisionSerializer(OperatorNoteSerializer):
    start = serializers.IntegerField(
        required=False,
        min_value=-UNIT_BOUND,
        max_value=UNIT_BOUND,
        help_text="Move the capacity to start at this unit (spectrum slot, tributary slot, "
        f"port), from {-UNIT_BOUND} to {UNIT_BOUND}.",
    )
    ready_for_service_date = serializers.DateField(required=False)


class CompleteSerializer(serializers.Serializer):
    ready_for_service_date = serializers.DateField()


class ServiceSerializer(ProductPlaceSerializer, serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.name")
    contract = serializers.IntegerField(source="contract.pk", default=None, allow_null=True)

    class Meta:
        model = Service
        fields = [
            "circuit_id",
            "product",
            "path",
            "site",
            "customer",
            "status",
            "activated_on",
            "terminated_on",
            "contract",
        ]
        read_only_fields = fields


class _NoneForBlankChoiceField(serializers.ChoiceField):
    """A choice stored blank where there is none, answered as ``null`` (the schema declares no
    empty-string enum: generated clients cannot name one)."""

    def to_representation(self, value: str) -> str | None:
        return super().to_representation(value) if value else None


class ServiceTransitionSerializer(serializers.ModelSerializer):
    """One step of a service's life: the action, who took it, when, from which status to which,
    and (a termination) the first day without service."""

    from_status = _NoneForBlankChoiceField(
        choices=ServiceStatus.choices,
        allow_null=True,
        read_only=True,
        help_text="null for the first step, the activation.",
    )

    class Meta:
        model = ServiceTransition
        fields = ["action", "from_status", "to_status", "by", "effective_on", "at"]
        read_only_fields = fields


class ServiceDetailSerializer(ServiceSerializer):
    """A service with its history (the list leaves the history out) and what the caller may
    do to it now."""

    history = ServiceTransitionSerializer(source="transitions", many=True, read_only=True)
    actions = serializers.SerializerMethodField(
        help_text="The steps the caller may take now (`POST .../{action}/`), as the portal "
        "offers them (leasing.service_lifecycle.allowed_actions): empty for customers."
    )

    class Meta(ServiceSerializer.Meta):
        fields = [*ServiceSerializer.Meta.fields, "history", "actions"]
        read_only_fields = fields

    @extend_schema_field(
        serializers.ListField(
            child=serializers.ChoiceField(choices=[str(a) for a in service_lifecycle.OFFERED])
        )
    )
    def get_actions(self, service: Service) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return [str(a) for a in service_lifecycle.allowed_actions(service, request.user)]


class TerminateSerializer(serializers.Serializer):
    on = serializers.DateField(
        help_text="The first day the service no longer runs: today or later, after the "
        "activation, by the contract's end at the latest (or the sales horizon for a renewing "
        "contract)."
    )


class ChangeEndSerializer(serializers.Serializer):
    on = serializers.DateField(
        allow_null=True,
        help_text="The first day without service instead of the end set (the same bounds as "
        "terminate); null withdraws the end: the service runs on.",
    )


class SlaTierSerializer(serializers.Serializer):
    availability_below = serializers.DecimalField(max_digits=6, decimal_places=3)
    credit_percent = serializers.DecimalField(max_digits=5, decimal_places=2)


class InstallmentSerializer(serializers.Serializer):
    due = serializers.CharField()
    due_on = serializers.DateField()
    percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    amount = serializers.DecimalField(max_digits=16, decimal_places=2)


class ContractSerializer(serializers.ModelSerializer):
    circuit_id = serializers.CharField(source="service.circuit_id")
    customer = serializers.CharField(source="customer.name")
    billing_party = serializers.CharField(source="billing_party.name")
    mrc = MoneyField(allow_null=True)
    nrc = MoneyField(allow_null=True)
    commit_price_per_mbps = MoneyField(unit_price=True, allow_null=True)
    burst_price_per_mbps = MoneyField(unit_price=True, allow_null=True)
    iru_price = MoneyField(allow_null=True)
    sla = SlaTierSerializer(source="sla_tiers", many=True, read_only=True)
    installments = InstallmentSerializer(many=True, read_only=True)
    p95_rule = UnsetAsNullChoiceField(
        choices=P95Rule.choices, help_text="How the 95th is taken; null unless usage is billed."
    )
    order_form_ready = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = [
            "id",
            "circuit_id",
            "customer",
            "billing_party",
            "kind",
            "term_months",
            "start_date",
            "end_date",
            "currency",
            "mrc",
            "nrc",
            "commit_mbps",
            "commit_price_per_mbps",
            "burst_price_per_mbps",
            "p95_rule",
            "iru_price",
            "om_percent",
            "installments",
            "sla",
            "auto_renew",
            "renewal_term_months",
            "order_form_ready",
            "order_form_sha256",
        ]
        read_only_fields = fields

    def get_order_form_ready(self, contract: Contract) -> bool:
        return bool(contract.order_form)
