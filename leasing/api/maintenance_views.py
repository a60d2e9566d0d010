"""``/api/v1/maintenance/``: planned maintenance. Customers read what affects their services
(with only their circuits; anything else is a 404); network staff of the segments' operators
schedule, change, cancel, start and complete it."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from organisations.access import has_capability, is_platform_admin
from organisations.choices import Capability
from tcfo_portal.api.idempotency import idempotent_post

from ..filtersets import MaintenanceFilter
from ..models import Maintenance, MaintenanceChange
from ..selectors import affected_circuits, maintenance_for
from ..services import maintenance as planned
from . import maintenance_serializers as s

READ = Capability.VIEW_OWN_SERVICES
WRITE = Capability.MANAGE_INVENTORY


class MaintenanceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Planned maintenance on segments: its window, expected impact, status and the affected
    circuits (a customer's own only). Network staff of operators holding a share of every
    segment schedule it (``POST``), change it (``PATCH``: the customers are told again),
    ``cancel/``, ``start/`` and ``complete/`` it."""

    serializer_class = s.MaintenanceSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = MaintenanceFilter
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_capability = {
        "list": READ,
        "retrieve": READ,
        "metadata": READ,
        "create": WRITE,
        "partial_update": WRITE,
        "cancel": WRITE,
        "start": WRITE,
        "complete": WRITE,
    }

    def _staff(self) -> bool:
        actor = self.request.user
        return is_platform_admin(actor) or (
            has_capability(actor, Capability.VIEW_INVENTORY)
            and actor.organisation is not None
            and actor.organisation.is_operator
        )

    def get_queryset(self) -> QuerySet[Maintenance]:
        queryset = maintenance_for(self.request.user).order_by("-window_start", "pk")
        if self._staff():
            queryset = queryset.prefetch_related(
                Prefetch("changes", queryset=MaintenanceChange.objects.order_by("at", "pk"))
            )
        return queryset

    def _data(self, items: Iterable[Maintenance], *, many: bool) -> object:
        items = list(items)
        staff = self._staff()
        organisation = None if staff else self.request.user.organisation
        context = {
            **self.get_serializer_context(),
            "staff": staff,
            "circuits": affected_circuits(items, organisation),
        }
        serializer = s.MaintenanceSerializer(
            items if many else items[0], many=many, context=context
        )
        return serializer.data

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self._data(page, many=True))

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        return Response(self._data([self.get_object()], many=False))

    def _answer(self, maintenance: Maintenance, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=maintenance.pk)
        return Response(self._data([fresh], many=False), status=code)

    @extend_schema(
        request=s.MaintenanceScheduleSerializer, responses={201: s.MaintenanceSerializer}
    )
    @idempotent_post
    def create(self, request: Request) -> Response:
        body = s.MaintenanceScheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        maintenance = planned.schedule_maintenance(actor=request.user, **body.validated_data)
        return self._answer(maintenance, status.HTTP_201_CREATED)

    @extend_schema(request=s.MaintenanceUpdateSerializer, responses=s.MaintenanceSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        maintenance = self.get_object()
        body = s.MaintenanceUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            planned.update_maintenance(
                maintenance=maintenance, actor=request.user, **body.validated_data
            )
        )

    @extend_schema(request=s.MaintenanceCancelSerializer, responses=s.MaintenanceSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        maintenance = self.get_object()
        body = s.MaintenanceCancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            planned.cancel_maintenance(
                maintenance=maintenance, actor=request.user, **body.validated_data
            )
        )

    @extend_schema(request=s.MaintenanceNoteSerializer, responses=s.MaintenanceSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        maintenance = self.get_object()
        body = s.MaintenanceNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            planned.start_maintenance(
                maintenance=maintenance, actor=request.user, **body.validated_data
            )
        )

    @extend_schema(request=s.MaintenanceNoteSerializer, responses=s.MaintenanceSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        maintenance = self.get_object()
        body = s.MaintenanceNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            planned.complete_maintenance(
                maintenance=maintenance, actor=request.user, **body.validated_data
            )
        )
