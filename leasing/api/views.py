from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from organisations.access import editable_by, has_capability, is_platform_admin
from organisations.choices import Capability
from tcfo_portal.api.filters import LIST_FILTERS
from tcfo_portal.api.idempotency import IdempotentCreateMixin, idempotent_post

from ..choices import ProductKind
from ..constants import CODE_PATTERN
from ..filtersets import (
    FiberPairFilterSet,
    LitCarrierFilterSet,
    OutageFilterSet,
    PathFilterSet,
    PriceFilterSet,
    ProductFilterSet,
    SegmentFilterSet,
    SiteFilterSet,
)
from ..models import FiberPair, LitCarrier, Outage, Price, Product, Site, TransitPortPool
from ..selectors import (
    outage_circuits,
    outages_for,
    paths_with_segments,
    prices_valid_on,
    segments_with_ownership,
)
from ..services.capacity import check_availability, light_carrier
from ..services.inventory import (
    refuse_chain_change,
    set_path_segments,
    set_segment_ownership,
)
from ..services.outages import correct_outage, end_outage, record_outage
from . import serializers as s

DATE_PARAMETER = OpenApiParameter(
    "date", datetime.date, description="The day to describe (ownership, prices); default today."
)
_WRITE_ACTIONS = ("create", "update", "partial_update", "destroy")


def requested_date(request: Request) -> datetime.date:
    raw = request.query_params.get("date")
    if raw is None:
        return timezone.localdate()
    try:
        parsed = parse_date(raw)
    except ValueError:
        parsed = None
    if parsed is None:
        raise serializers.ValidationError({"date": ["Give a date as YYYY-MM-DD."]})
    return parsed


class InventoryViewSet(IdempotentCreateMixin, viewsets.ModelViewSet):
    """Shared consortium data: readable with ``read_capability``, changed with
    ``write_capability`` and only where ``organisations.access.editable_by`` allows."""

    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN
    read_capability = Capability.VIEW_CATALOG
    write_capability = Capability.MANAGE_INVENTORY
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    filter_backends = LIST_FILTERS
    ordering_fields = {"code": "code", "name": "name"}

    @property
    def required_capability(self) -> dict[str, Capability]:
        return {
            "list": self.read_capability,
            "retrieve": self.read_capability,
            "metadata": self.read_capability,
            **dict.fromkeys(_WRITE_ACTIONS, self.write_capability),
            **self.extra_capabilities(),
        }

    def extra_capabilities(self) -> dict[str, Capability]:
        return {}

    def base_queryset(self) -> QuerySet:
        return self.queryset.all()

    def get_queryset(self) -> QuerySet:
        queryset = self.base_queryset()
        if self.action in _WRITE_ACTIONS or self.action in self.extra_capabilities():
            return editable_by(queryset, self.request.user)
        return queryset

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "on": requested_date(self.request)}


@extend_schema(parameters=[DATE_PARAMETER])
class SiteViewSet(InventoryViewSet):
    """Points of presence and cable landing stations."""

    serializer_class = s.SiteSerializer
    filterset_class = SiteFilterSet
    queryset = Site.objects.select_related("operator")


@extend_schema(parameters=[DATE_PARAMETER])
class SegmentViewSet(InventoryViewSet):
    """Stretches of cable and who owns them.

    Geometry, settlement weight and ownership are consortium agreements that move every
    operator's revenue share: platform admins change them (``POST .../ownership/`` records a
    dated change of owners); operators read them.
    """

    serializer_class = s.SegmentSerializer
    filterset_class = SegmentFilterSet
    ordering_fields = {"code": "code", "name": "name", "length_km": "length_km"}
    queryset = segments_with_ownership()
    write_capability = Capability.ADMINISTER_PLATFORM

    def extra_capabilities(self) -> dict[str, Capability]:
        return {"ownership": Capability.ADMINISTER_PLATFORM}

    @extend_schema(request=s.OwnershipSerializer, responses=s.SegmentSerializer)
    @action(detail=True, methods=["post"])
    def ownership(self, request: Request, code: str | None = None) -> Response:
        segment = self.get_object()
        body = s.OwnershipSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        set_segment_ownership(
            segment=segment,
            valid_from=body.validated_data["valid_from"],
            shares={share["operator"]: share["percent"] for share in body.validated_data["shares"]},
            note=body.validated_data["note"],
        )
        segment = self.base_queryset().get(pk=segment.pk)
        context = {**self.get_serializer_context(), "on": body.validated_data["valid_from"]}
        return Response(s.SegmentSerializer(segment, context=context).data)


@extend_schema(parameters=[DATE_PARAMETER])
class PathViewSet(InventoryViewSet):
    """Paths products are sold on, with their segments and ownership shares."""

    serializer_class = s.PathSerializer
    filterset_class = PathFilterSet

    queryset = paths_with_segments()

    @transaction.atomic
    def perform_create(self, serializer: s.PathSerializer) -> None:
        segments = serializer.validated_data.pop("segment_codes")
        path = serializer.save()
        set_path_segments(path=path, segments=segments, actor=self.request.user)

    @transaction.atomic
    def perform_update(self, serializer: s.PathSerializer) -> None:
        """A new chain only from platform admins, and never on a path that carried a service
        (``leasing.services.inventory.refuse_chain_change``)."""
        segments = serializer.validated_data.pop("segment_codes", None)
        if segments is not None:
            refuse_chain_change(
                path=serializer.instance, segments=segments, actor=self.request.user
            )
        path = serializer.save()
        if segments is not None:
            set_path_segments(path=path, segments=segments, actor=self.request.user)

    def get_serializer(self, *args: Any, **kwargs: Any) -> s.PathSerializer:
        serializer = super().get_serializer(*args, **kwargs)
        if self.action in ("update", "partial_update"):
            serializer.fields["segment_codes"].required = False
        return serializer


@extend_schema(parameters=[DATE_PARAMETER])
class ProductViewSet(InventoryViewSet):
    """The catalog, each product with the prices valid on the day."""

    serializer_class = s.ProductSerializer
    filterset_class = ProductFilterSet
    ordering_fields = {"code": "code", "name": "name", "bandwidth_mbps": "bandwidth_mbps"}
    write_capability = Capability.MANAGE_CATALOG

    def base_queryset(self) -> QuerySet[Product]:
        prices = prices_valid_on(requested_date(self.request)).select_related("path", "site")
        return Product.objects.prefetch_related(
            Prefetch(
                "prices",
                queryset=prices.order_by("path", "site", "term_months"),
                to_attr="current_prices",
            )
        )

    def get_queryset(self) -> QuerySet[Product]:
        queryset = super().get_queryset()
        if self.action == "list" and not has_capability(
            self.request.user, Capability.VIEW_INVENTORY
        ):
            queryset = queryset.filter(is_active=True)
        return queryset


@extend_schema_view(
    create=extend_schema(request=s.PriceWriteSerializer, responses={201: s.PriceSerializer}),
    update=extend_schema(request=s.PriceWriteSerializer, responses=s.PriceSerializer),
    partial_update=extend_schema(request=s.PriceWriteSerializer, responses=s.PriceSerializer),
)
class PriceViewSet(InventoryViewSet):
    """The dated price book (operators' finance staff change it)."""

    serializer_class = s.PriceSerializer
    filterset_class = PriceFilterSet
    ordering_fields = {
        "product": "product__code",
        "term_months": "term_months",
        "valid_from": "valid_from",
        "mrc": "mrc",
    }

    def get_serializer_class(self) -> type:
        return s.PriceWriteSerializer if self.action in _WRITE_ACTIONS else s.PriceSerializer

    @idempotent_post  # the answer kept for a retry is the one below, not DRF's
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().create(request, *args, **kwargs)
        response.data = s.PriceSerializer(self._written).data
        return response

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().update(request, *args, **kwargs)
        response.data = s.PriceSerializer(self._written).data
        return response

    def perform_create(self, serializer: s.PriceWriteSerializer) -> None:
        self._written = serializer.save()

    def perform_update(self, serializer: s.PriceWriteSerializer) -> None:
        self._written = serializer.save()

    lookup_field = "pk"
    lookup_value_regex = r"[0-9]+"
    write_capability = Capability.MANAGE_CATALOG
    queryset = Price.objects.select_related("product", "path", "site").order_by(
        "product__code", "path__code", "site__code", "term_months", "valid_from"
    )


class FiberPairViewSet(InventoryViewSet):
    """Fiber pairs and their DWDM plans (operators only)."""

    serializer_class = s.FiberPairSerializer
    filterset_class = FiberPairFilterSet
    ordering_fields = {"segment": "segment__code", "name": "name"}
    lookup_field = "pk"
    lookup_value_regex = r"[0-9]+"
    read_capability = Capability.VIEW_INVENTORY
    queryset = FiberPair.objects.select_related("segment").order_by("segment__code", "name")


class LitCarrierViewSet(InventoryViewSet):
    """Wavelengths the operators light themselves; creating one takes its spectrum."""

    serializer_class = s.LitCarrierSerializer
    filterset_class = LitCarrierFilterSet
    ordering_fields = {"path": "path__code", "name": "name", "capacity_gbps": "capacity_gbps"}
    lookup_field = "pk"
    lookup_value_regex = r"[0-9]+"
    read_capability = Capability.VIEW_INVENTORY
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = LitCarrier.objects.select_related("path", "operator").order_by("path__code", "name")

    @transaction.atomic
    def perform_create(self, serializer: s.LitCarrierSerializer) -> None:
        start_date = serializer.validated_data.pop("start_date", None) or timezone.localdate()
        carrier = serializer.save()
        light_carrier(carrier=carrier, start_date=start_date)


class AvailabilityView(APIView):
    """Is a product free on a path (IP transit: at a site) from a date, and how many times?"""

    required_capability = Capability.VIEW_CATALOG

    @extend_schema(parameters=[s.AvailabilityQuerySerializer], responses=s.AvailabilitySerializer)
    def get(self, request: Request) -> Response:
        query = s.AvailabilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        product: Product = query.validated_data["product"]
        path, site = query.validated_data["path"], query.validated_data["site"]
        start_date = query.validated_data["start_date"]
        availability = check_availability(
            product=product, path=path, site=site, start_date=start_date
        )
        body: dict[str, Any] = {
            "available": availability.available,
            "free_units": availability.free_units,
            "product": product.code,
            "path": path.code if path else None,
            "site": site.code if site else None,
            "start_date": start_date,
        }
        if availability.placement and has_capability(request.user, Capability.VIEW_INVENTORY):
            body["proposed"] = describe_placement(product, availability.placement.hops)
        return Response(s.AvailabilitySerializer(body).data)


_RESOURCE_MODELS = {
    ProductKind.WAVELENGTH: FiberPair,
    ProductKind.ETHERNET: LitCarrier,
    ProductKind.TRANSIT: TransitPortPool,
}


def describe_placement(product: Product, hops: tuple) -> list[dict[str, Any]]:
    """Name the resources of a placement: fiber pairs, carriers or port pools."""
    model = _RESOURCE_MODELS[product.kind]
    names = {obj.pk: str(obj) for obj in model.objects.filter(pk__in=[key for key, _ in hops])}
    return [{"resource": names[key], "start": units.start, "end": units.end} for key, units in hops]


class OutageViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Outages on segments. Network staff see those of the segments their operator holds or
    held a share of, with the history (another operator's outage is a 404), record new ones,
    end open ones (``POST .../end/``) and correct them with a reason (``POST .../correct/``);
    the service decides on the exact date: a share of the segment on the outage's start.
    Customers read the outages that hit their services while they ran, with only their own
    circuits (``leasing.selectors.outages_for``); any other is a 404."""

    serializer_class = s.OutageSerializer
    filter_backends = LIST_FILTERS
    filterset_class = OutageFilterSet
    ordering_fields = {"started_at": "started_at", "ended_at": "ended_at"}
    required_capability = {
        "list": Capability.VIEW_OWN_SERVICES,
        "retrieve": Capability.VIEW_OWN_SERVICES,
        "create": Capability.MANAGE_INVENTORY,
        "end": Capability.MANAGE_INVENTORY,
        "correct": Capability.MANAGE_INVENTORY,
    }
    lookup_value_regex = r"[0-9]+"

    def _staff(self) -> bool:
        actor = self.request.user
        return is_platform_admin(actor) or (
            actor.organisation is not None and actor.organisation.is_operator
        )

    def get_queryset(self) -> QuerySet[Outage]:
        if getattr(self, "swagger_fake_view", False):  # the schema, without a caller
            return Outage.objects.none()
        queryset = outages_for(self.request.user)
        if self._staff():
            queryset = queryset.prefetch_related("changes")
        return queryset

    def _data(self, outages: Iterable[Outage], *, many: bool) -> object:
        outages = list(outages)
        staff = self._staff()
        organisation = None if staff else self.request.user.organisation
        context = {
            **self.get_serializer_context(),
            "staff": staff,
            "circuits": outage_circuits(outages, organisation),
        }
        return s.OutageSerializer(outages if many else outages[0], many=many, context=context).data

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._data(page, many=True))

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._data([self.get_object()], many=False))

    def _answer(self, outage: Outage, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            self._data([self.get_queryset().get(pk=outage.pk)], many=False), status=code
        )

    @extend_schema(
        request=s.OutageRecordSerializer,
        responses={201: s.OutageSerializer},
    )
    @idempotent_post
    def create(self, request: Request) -> Response:
        body = s.OutageRecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outage = record_outage(actor=request.user, **body.validated_data)
        return self._answer(outage, status.HTTP_201_CREATED)

    @extend_schema(request=s.OutageEndSerializer, responses=s.OutageSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        outage = self.get_object()
        body = s.OutageEndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(end_outage(outage=outage, actor=request.user, **body.validated_data))

    @extend_schema(request=s.OutageCorrectionSerializer, responses=s.OutageSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request: Request, pk: str | None = None) -> Response:
        outage = self.get_object()
        body = s.OutageCorrectionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            correct_outage(outage=outage, actor=request.user, **body.validated_data)
        )
