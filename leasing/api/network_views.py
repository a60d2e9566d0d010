"""The network's capacity over the API, as the portal's utilisation and spectrum map pages show
it: thin views over ``leasing.selectors`` (``fiber_pair_utilisation``, ``path_utilisation``,
``spectrum_held``) and ``leasing.svg``.

- Utilisation (what is in service, reserved and free per fiber pair and per path) is for
  operators' staff (``VIEW_INVENTORY``), like the portal page.
- A fiber pair's spectrum is for everyone who sees the catalog: operators read who holds each
  range; anyone else reads only which ranges are taken (never a customer's name).
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from organisations.access import has_capability
from organisations.choices import Capability

from ..models import FiberPair
from ..selectors import (
    fiber_pair_utilisation,
    path_utilisation,
    paths_with_segments,
    spectrum_held,
)
from ..svg import spectrum_map_svg
from .views import DATE_PARAMETER, requested_date


class FiberPairUtilisationSerializer(serializers.Serializer):
    fiber_pair = serializers.IntegerField(source="fiber_pair.pk")
    segment = serializers.CharField(source="fiber_pair.segment.code")
    name = serializers.CharField(source="fiber_pair.name")
    band_ghz = serializers.DecimalField(max_digits=10, decimal_places=1)
    in_service_ghz = serializers.DecimalField(max_digits=10, decimal_places=1)
    reserved_ghz = serializers.DecimalField(max_digits=10, decimal_places=1)
    free_ghz = serializers.DecimalField(max_digits=10, decimal_places=1)
    used_percent = serializers.DecimalField(max_digits=5, decimal_places=1)


class PathUtilisationSerializer(serializers.Serializer):
    path = serializers.CharField(source="path.code")
    design_capacity_gbps = serializers.IntegerField(
        help_text="The lowest design capacity of its segments."
    )
    in_service_gbps = serializers.DecimalField(max_digits=12, decimal_places=3)
    reserved_gbps = serializers.DecimalField(max_digits=12, decimal_places=3)
    free_gbps = serializers.DecimalField(max_digits=12, decimal_places=3)
    busiest_segment = serializers.CharField(
        source="busiest_segment.code", allow_null=True, default=None
    )


class HeldRangeSerializer(serializers.Serializer):
    start = serializers.IntegerField(help_text="First 12.5 GHz slot (ITU-T G.694.1 n).")
    end = serializers.IntegerField(help_text="Slot after the last.")
    frequencies = serializers.CharField()
    state = serializers.ChoiceField(choices=["reserved", "in_service"])
    holder = serializers.CharField(
        source="holder.name", allow_null=True, help_text="Operators only; null for others."
    )
    product = serializers.CharField(source="product.code", allow_null=True, default=None)
    reference = serializers.CharField(allow_null=True, help_text="Operators only.")
    valid_from = serializers.DateField(allow_null=True, help_text="Operators only.")
    valid_to = serializers.DateField(allow_null=True)


class SpectrumSerializer(serializers.Serializer):
    fiber_pair = serializers.IntegerField(source="fiber_pair.pk")
    segment = serializers.CharField(source="fiber_pair.segment.code")
    name = serializers.CharField(source="fiber_pair.name")
    band_start_slot = serializers.IntegerField(source="fiber_pair.band_start_slot")
    band_end_slot = serializers.IntegerField(source="fiber_pair.band_end_slot")
    on = serializers.DateField()
    held = HeldRangeSerializer(many=True)
    svg = serializers.CharField(help_text="The spectrum map the portal draws (SVG).")


class _Listed(GenericAPIView):
    def paginated(self, rows: list[Any]) -> Response:
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class FiberPairUtilisationView(_Listed):
    """In service, reserved and free spectrum of every active fiber pair from the day on."""

    required_capability = Capability.VIEW_INVENTORY
    serializer_class = FiberPairUtilisationSerializer

    @extend_schema(parameters=[DATE_PARAMETER], responses=FiberPairUtilisationSerializer(many=True))
    def get(self, request: Request) -> Response:
        return self.paginated(fiber_pair_utilisation(requested_date(request)))


class PathUtilisationView(_Listed):
    """Capacity in service and reserved on each active path, against its ceiling."""

    required_capability = Capability.VIEW_INVENTORY
    serializer_class = PathUtilisationSerializer

    @extend_schema(parameters=[DATE_PARAMETER], responses=PathUtilisationSerializer(many=True))
    def get(self, request: Request) -> Response:
        paths = list(paths_with_segments().filter(is_active=True))
        return self.paginated(path_utilisation(paths, requested_date(request)))


class _Masked:
    """A held range as a customer reads it: taken, by nobody named."""

    def __init__(self, held: Any) -> None:
        self.start, self.end, self.state = held.start, held.end, held.state
        self.frequencies, self.valid_to = held.frequencies, held.valid_to
        self.holder = self.product = self.reference = self.valid_from = None


class SpectrumView(GenericAPIView):
    """A fiber pair's spectrum from the day on: the ranges taken, and the map the portal
    draws. Operators see who holds each range; anyone else only that it is taken."""

    required_capability = Capability.VIEW_CATALOG
    serializer_class = SpectrumSerializer

    @extend_schema(parameters=[DATE_PARAMETER], operation_id="fiber_pairs_spectrum")
    def get(self, request: Request, pk: str) -> Response:
        fiber_pair = get_object_or_404(
            FiberPair.objects.select_related("segment"), pk=pk, is_active=True
        )
        on = requested_date(request)
        detailed = has_capability(request.user, Capability.VIEW_INVENTORY)
        held = spectrum_held([fiber_pair], on)[fiber_pair.pk]
        body = {
            "fiber_pair": fiber_pair,
            "on": on,
            "held": held if detailed else [_Masked(h) for h in held],
            "svg": str(spectrum_map_svg(fiber_pair, held, on=on, detailed=detailed)),
        }
        return Response(self.get_serializer(body).data)
