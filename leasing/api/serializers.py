from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from organisations.access import is_platform_admin
from organisations.models import Organisation
from organisations.selectors import consortium_operators
from tcfo_portal.api.fields import CodeField, LookupField, MoneyField, NestedCodeField
from tcfo_portal.exceptions import DomainError

from ..exceptions import NotSellable
from ..models import (
    FiberPair,
    LitCarrier,
    Outage,
    OutageChange,
    Path,
    Price,
    Product,
    Segment,
    Site,
)
from ..selectors import chain_of, ownership_on, weight_on
from ..services.inventory import validate_chain
from ..spectrum import slot_start_thz


class ModelCleanMixin:
    """Runs the model's own validation (``full_clean``) so the API refuses what the admin does."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = self.instance or model()
        concrete = {f.name for f in model._meta.concrete_fields}
        for name, value in attrs.items():
            if name in concrete:
                setattr(instance, name, value)
        try:
            instance.full_clean(validate_unique=False)
        except DjangoValidationError as error:
            raise serializers.ValidationError(serializers.as_serializer_error(error)) from None
        return attrs


def _actor(serializer: serializers.Serializer) -> Any:
    return serializer.context["request"].user


def _own_operator(serializer: serializers.Serializer, operator: Organisation) -> Organisation:
    """An operator may name only itself as owner; a platform admin any operator."""
    actor = _actor(serializer)
    if not is_platform_admin(actor) and operator != actor.organisation:
        raise serializers.ValidationError("You can only name your own organisation.")
    return operator


operators = consortium_operators()


class SiteRefSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = Site
        fields = ["code", "name", "kind", "country"]
        read_only_fields = fields


class SiteSerializer(ModelCleanMixin, serializers.ModelSerializer):
    operator = LookupField(slug_field="name", queryset=operators)

    class Meta:
        model = Site
        fields = ["code", "name", "kind", "country", "city", "operator", "is_active"]

    def validate_operator(self, operator: Organisation) -> Organisation:
        return _own_operator(self, operator)


class OwnershipShareSerializer(serializers.Serializer):
    operator = LookupField(slug_field="name", queryset=operators)
    percent = serializers.DecimalField(max_digits=6, decimal_places=3)


class OwnershipSerializer(serializers.Serializer):
    valid_from = serializers.DateField()
    shares = OwnershipShareSerializer(many=True, allow_empty=False)
    note = serializers.CharField(max_length=200, required=False, default="")

    def validate_shares(self, shares: list[dict]) -> list[dict]:
        names = [share["operator"].pk for share in shares]
        if len(set(names)) != len(names):
            raise serializers.ValidationError("Name each operator once.")
        return shares


class SegmentSerializer(ModelCleanMixin, serializers.ModelSerializer):
    a_site = CodeField(queryset=Site.objects.all())
    z_site = CodeField(queryset=Site.objects.all())
    weight = serializers.SerializerMethodField(
        help_text="The settlement weight on the date asked for (``?date=``, default today)."
    )
    ownership = serializers.SerializerMethodField(
        help_text="Each operator's share on the date asked for (``?date=``, default today)."
    )

    class Meta:
        model = Segment
        fields = [
            "code",
            "name",
            "a_site",
            "z_site",
            "medium",
            "length_km",
            "settlement_weight",
            "weight",
            "design_capacity_gbps",
            "ownership",
        ]

    @extend_schema_field(serializers.DecimalField(max_digits=12, decimal_places=3))
    def get_weight(self, segment: Segment) -> str:
        on = self.context.get("on") or timezone.localdate()
        return f"{weight_on(segment, on):.3f}"

    @extend_schema_field(OwnershipShareSerializer(many=True))
    def get_ownership(self, segment: Segment) -> list[dict[str, str]]:
        on = self.context.get("on") or timezone.localdate()
        return [
            {"operator": operator.name, "percent": str(percent)}
            for operator, percent in sorted(
                ownership_on(segment, on).items(), key=lambda item: (-item[1], item[0].name)
            )
        ]


class PathSerializer(ModelCleanMixin, serializers.ModelSerializer):
    a_site = NestedCodeField(queryset=Site.objects.all(), read_serializer=SiteRefSerializer)
    z_site = NestedCodeField(queryset=Site.objects.all(), read_serializer=SiteRefSerializer)
    segments = serializers.SerializerMethodField()
    segment_codes = serializers.ListField(
        child=serializers.CharField(max_length=32),
        write_only=True,
        allow_empty=False,
        help_text="The chain of segment codes from A to Z.",
    )
    length_km = serializers.SerializerMethodField()

    class Meta:
        model = Path
        fields = [
            "code",
            "name",
            "a_site",
            "z_site",
            "length_km",
            "segments",
            "segment_codes",
            "is_active",
        ]

    @extend_schema_field(SegmentSerializer(many=True))
    def get_segments(self, path: Path) -> list[dict]:
        return SegmentSerializer(chain_of(path), many=True, context=self.context).data

    @extend_schema_field(serializers.DecimalField(max_digits=10, decimal_places=3))
    def get_length_km(self, path: Path) -> str:
        return str(sum(segment.length_km for segment in chain_of(path)))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is not None and "segment_codes" not in attrs:
            # New ends with the old chain: the chain must still lead from A to Z.
            a_site = attrs.get("a_site", self.instance.a_site)
            z_site = attrs.get("z_site", self.instance.z_site)
            try:
                validate_chain(a_site.pk, z_site.pk, self.instance.ordered_segments())
            except DomainError as error:
                raise serializers.ValidationError(error.errors or error.detail) from None
        return attrs

    def validate_segment_codes(self, codes: list[str]) -> list[Segment]:
        found = Segment.objects.in_bulk(codes, field_name="code")
        missing = [code for code in codes if code not in found]
        if missing:
            raise serializers.ValidationError(f"No segment with code {', '.join(missing)}.")
        return [found[code] for code in codes]


PRICE_FIELDS = [
    "id",
    "product",
    "path",
    "site",
    "term_months",
    "valid_from",
    "valid_to",
    "currency",
    *Price.AMOUNT_FIELDS,
]


class PriceWriteSerializer(ModelCleanMixin, serializers.ModelSerializer):
    """A price book line as written: amounts are plain decimals in ``currency``."""

    product = CodeField(queryset=Product.objects.all())
    path = CodeField(queryset=Path.objects.all(), required=False, allow_null=True)
    site = CodeField(queryset=Site.objects.all(), required=False, allow_null=True)

    class Meta:
        model = Price
        fields = PRICE_FIELDS


# A product by its code and where it is sold (``Product.sold_at``): a path, or IP transit's
# PoP. A comment, not a docstring: the schema would show it as every subclass's description.
class ProductPlaceSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.code")
    path = serializers.CharField(
        source="path.code", default=None, allow_null=True, help_text="null for IP transit."
    )
    site = serializers.CharField(
        source="site.code", default=None, allow_null=True, help_text="IP transit: the PoP."
    )


class PriceTermsSerializer(ProductPlaceSerializer):
    """What is priced and the amounts as money: a price book line, a quote, a contract."""

    mrc = MoneyField(allow_null=True)
    nrc = MoneyField(allow_null=True)
    commit_price_per_mbps = MoneyField(unit_price=True, allow_null=True)
    burst_price_per_mbps = MoneyField(unit_price=True, allow_null=True)
    iru_price = MoneyField(allow_null=True)


class PriceSerializer(PriceTermsSerializer, serializers.ModelSerializer):
    """A price book line as read: every amount is money, ``{"amount", "currency"}``."""

    class Meta:
        model = Price
        fields = PRICE_FIELDS
        read_only_fields = fields


class ProductSerializer(ModelCleanMixin, serializers.ModelSerializer):
    prices = serializers.SerializerMethodField(
        help_text="The price book lines valid today (``?date=`` for another day)."
    )

    class Meta:
        model = Product
        fields = [
            "code",
            "name",
            "kind",
            "commercial_form",
            "bandwidth_mbps",
            "spectrum_ghz",
            "tributary_slots",
            "description",
            "is_active",
            "prices",
        ]

    @extend_schema_field(PriceSerializer(many=True))
    def get_prices(self, product: Product) -> list[dict]:
        prices = getattr(product, "current_prices", None)
        if prices is None:
            return []
        return PriceSerializer(prices, many=True, context=self.context).data


class FiberPairSerializer(ModelCleanMixin, serializers.ModelSerializer):
    segment = CodeField(queryset=Segment.objects.all())
    band_start_thz = serializers.SerializerMethodField()
    band_end_thz = serializers.SerializerMethodField()
    channels = serializers.IntegerField(source="channel_count", read_only=True)

    class Meta:
        model = FiberPair
        fields = [
            "id",
            "segment",
            "name",
            "grid",
            "band_start_slot",
            "band_end_slot",
            "band_start_thz",
            "band_end_thz",
            "channels",
            "is_active",
        ]

    def get_band_start_thz(self, fiber_pair: FiberPair) -> str:
        return str(slot_start_thz(fiber_pair.band_start_slot))

    def get_band_end_thz(self, fiber_pair: FiberPair) -> str:
        return str(slot_start_thz(fiber_pair.band_end_slot))


class LitCarrierSerializer(ModelCleanMixin, serializers.ModelSerializer):
    path = CodeField(queryset=Path.objects.all())
    operator = LookupField(slug_field="name", queryset=operators)
    tributary_slots = serializers.IntegerField(read_only=True)
    start_date = serializers.DateField(
        write_only=True, required=False, help_text="When it is lit; default today."
    )

    class Meta:
        model = LitCarrier
        fields = [
            "id",
            "path",
            "name",
            "operator",
            "capacity_gbps",
            "spectrum_ghz",
            "tributary_slots",
            "is_active",
            "start_date",
        ]

    def validate_operator(self, operator: Organisation) -> Organisation:
        return _own_operator(self, operator)


class AvailabilityQuerySerializer(serializers.Serializer):
    product = CodeField(queryset=Product.objects.filter(is_active=True))
    path = CodeField(queryset=Path.objects.filter(is_active=True), required=False)
    site = CodeField(queryset=Site.objects.filter(is_active=True), required=False)
    start_date = serializers.DateField(required=False, help_text="Default: today.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        product: Product = attrs["product"]
        try:
            attrs["path"], attrs["site"] = product.sold_at(
                path=attrs.get("path"), site=attrs.get("site")
            )
        except NotSellable as error:
            raise serializers.ValidationError(error.errors) from None
        attrs.setdefault("start_date", timezone.localdate())
        if attrs["start_date"] < datetime.date(2000, 1, 1):
            raise serializers.ValidationError({"start_date": ["Give a date from 2000 on."]})
        return attrs


class PlacementSerializer(serializers.Serializer):
    resource = serializers.CharField()
    start = serializers.IntegerField()
    end = serializers.IntegerField()


class AvailabilitySerializer(serializers.Serializer):
    available = serializers.BooleanField()
    free_units = serializers.IntegerField(
        help_text="How many more of this product fit at once from the start date on."
    )
    product = serializers.CharField()
    path = serializers.CharField(allow_null=True)
    site = serializers.CharField(allow_null=True)
    start_date = serializers.DateField()
    proposed = PlacementSerializer(
        many=True,
        required=False,
        help_text="Operators only: where the next one would go (slots, tributary slots, ports).",
    )


class OutageChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutageChange
        fields = ["action", "changes", "reason", "by", "at"]
        read_only_fields = fields


class OutageSerializer(serializers.ModelSerializer):
    """Customers read the outages that hit their services, with only their own circuits and
    neither the author nor the history (the consortium's staff and their reasons)."""

    segment = serializers.CharField(source="segment.code", read_only=True)
    circuit_ids = serializers.SerializerMethodField(
        help_text="The services it hit: for a customer, only its own."
    )
    recorded_by = serializers.SerializerMethodField(help_text="Staff only; null for customers.")
    history = serializers.SerializerMethodField(help_text="Staff only; empty for customers.")

    class Meta:
        model = Outage
        fields = [
            "id",
            "segment",
            "started_at",
            "ended_at",
            "description",
            "circuit_ids",
            "recorded_by",
            "created_at",
            "history",
        ]
        read_only_fields = fields

    def get_circuit_ids(self, outage: Outage) -> list[str]:
        return self.context.get("circuits", {}).get(outage.pk, [])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_recorded_by(self, outage: Outage) -> str | None:
        return outage.recorded_by if self.context.get("staff") else None

    @extend_schema_field(OutageChangeSerializer(many=True))
    def get_history(self, outage: Outage) -> list[dict[str, Any]]:
        if not self.context.get("staff"):
            return []
        return OutageChangeSerializer(outage.changes.all(), many=True).data


class OutageRecordSerializer(serializers.Serializer):
    segment = CodeField(queryset=Segment.objects.all())
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    description = serializers.CharField(max_length=300)


class OutageEndSerializer(serializers.Serializer):
    ended_at = serializers.DateTimeField()


class OutageCorrectionSerializer(serializers.Serializer):
    """Only the fields sent change; ``ended_at: null`` reopens the outage."""

    started_at = serializers.DateTimeField(required=False)
    ended_at = serializers.DateTimeField(required=False, allow_null=True)
    description = serializers.CharField(max_length=300, required=False)
    reason = serializers.CharField(max_length=300, help_text="Why the outage is corrected.")
