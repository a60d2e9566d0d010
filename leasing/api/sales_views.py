"""Quotes, orders, services and contracts over the API: thin views over ``services.orders``."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from organisations.access import describe_actor, visible_to
from organisations.choices import Capability
from tcfo_portal.api.documents import PDF_RESPONSES, PdfNegotiation, pdf_response
from tcfo_portal.api.filters import LIST_FILTERS
from tcfo_portal.api.idempotency import idempotent_post

from ..constants import CIRCUIT_ID_PATTERN
from ..filtersets import ContractFilterSet, OrderFilterSet, QuoteFilterSet, ServiceFilterSet
from ..models import Contract, Order, Quote, Service
from ..selectors import assignment_prefetches, order_history, orders_with_terms
from ..services import orders as sales
from . import sales_serializers as s


def _detail_queryset(queryset: QuerySet, request: Request) -> QuerySet:
    return visible_to(queryset, request.user)


class QuoteViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Priced offers: ask for one, then order it before ``valid_until``."""

    serializer_class = s.QuoteSerializer
    required_capability = Capability.PLACE_ORDERS
    filter_backends = LIST_FILTERS
    filterset_class = QuoteFilterSet
    ordering_fields = {
        "created_at": "created_at",
        "valid_until": "valid_until",
        "start_date": "start_date",
    }

    def get_queryset(self) -> QuerySet[Quote]:
        queryset = Quote.objects.select_related("product", "path", "site", "order")
        return _detail_queryset(queryset, self.request)

    @extend_schema(
        request=s.QuoteRequestSerializer,
        responses={201: s.QuoteSerializer},
    )
    @idempotent_post
    def create(self, request: Request) -> Response:
        body = s.QuoteRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        quote = sales.create_quote(
            customer=request.user.organisation,
            by=describe_actor(request.user),
            **body.validated_data,
        )
        return Response(s.QuoteSerializer(quote).data, status=status.HTTP_201_CREATED)


class OrderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Orders: customers place and cancel them; operators' network staff work them."""

    serializer_class = s.OrderSerializer
    required_capability = {
        "list": Capability.VIEW_OWN_SERVICES,
        "retrieve": Capability.VIEW_OWN_SERVICES,
        "create": Capability.PLACE_ORDERS,
        "cancel": Capability.PLACE_ORDERS,
        "acknowledge": Capability.PROVISION_ORDERS,
        "reject": Capability.PROVISION_ORDERS,
        "provision": Capability.PROVISION_ORDERS,
        "complete": Capability.PROVISION_ORDERS,
        "fail": Capability.PROVISION_ORDERS,
    }
    filter_backends = LIST_FILTERS
    filterset_class = OrderFilterSet
    ordering_fields = {"created_at": "created_at", "updated_at": "updated_at", "state": "state"}

    def get_queryset(self) -> QuerySet[Order]:
        queryset = orders_with_terms().prefetch_related(
            order_history(self.request.user), *assignment_prefetches("allocation__")
        )
        return _detail_queryset(queryset, self.request).order_by("-created_at")

    def _answer(self, order: Order, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=order.pk)
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(
        request=s.OrderRequestSerializer,
        responses={
            201: s.OrderSerializer,
            404: OpenApiResponse(description="No such quote, or not yours."),
            409: OpenApiResponse(
                description="The capacity is no longer available (capacity_unavailable), or the "
                "customer already holds capacity with as many submitted orders as it may at once "
                "(hold_limit_reached)."
            ),
        },
    )
    @idempotent_post
    def create(self, request: Request) -> Response:
        body = s.OrderRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        quotes = visible_to(Quote.objects.all(), request.user)
        quote = quotes.filter(pk=body.validated_data["quote"]).first()
        if quote is None:
            raise Http404
        order = sales.place_order(quote=quote, by=describe_actor(request.user))
        return self._answer(order, status.HTTP_201_CREATED)

    @extend_schema(request=s.ReasonSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = sales.cancel_order(
            order=order, by=describe_actor(request.user), **body.validated_data
        )
        return self._answer(order)

    @extend_schema(request=s.AcknowledgeSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        body = s.AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = sales.acknowledge_order(
            order=order,
            by=describe_actor(request.user),
            acting_for=request.user.organisation,
            **body.validated_data,
        )
        return self._answer(order)

    @extend_schema(request=s.ReasonSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = sales.reject_order(
            order=order, by=describe_actor(request.user), **body.validated_data
        )
        return self._answer(order)

    @extend_schema(request=s.ProvisionSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def provision(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        body = s.ProvisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = sales.start_provisioning(
            order=order, by=describe_actor(request.user), **body.validated_data
        )
        return self._answer(order)

    @extend_schema(request=s.CompleteSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        body = s.CompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        service = sales.complete_order(
            order=order, by=describe_actor(request.user), **body.validated_data
        )
        return self._answer(service.order)

    @extend_schema(request=s.ReasonSerializer, responses=s.OrderSerializer)
    @action(detail=True, methods=["post"])
    def fail(self, request: Request, pk: str | None = None) -> Response:
        order = self.get_object()
        body = s.ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = sales.fail_order(
            order=order, by=describe_actor(request.user), **body.validated_data
        )
        return self._answer(order)


class ServiceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Delivered circuits, by circuit ID."""

    serializer_class = s.ServiceSerializer
    lookup_field = "circuit_id"
    lookup_value_regex = CIRCUIT_ID_PATTERN
    required_capability = {
        "list": Capability.VIEW_OWN_SERVICES,
        "retrieve": Capability.VIEW_OWN_SERVICES,
        "suspend": Capability.PROVISION_ORDERS,
        "resume": Capability.PROVISION_ORDERS,
        "terminate": Capability.PROVISION_ORDERS,
        "change_end": Capability.PROVISION_ORDERS,
    }
    filter_backends = LIST_FILTERS
    filterset_class = ServiceFilterSet
    ordering_fields = {
        "circuit_id": "circuit_id",
        "activated_on": "activated_on",
        "created_at": "created_at",
    }

    def get_queryset(self) -> QuerySet[Service]:
        queryset = Service.objects.select_related("product", "path", "site", "customer", "contract")
        if self.action != "list":
            queryset = queryset.prefetch_related("transitions")
        return _detail_queryset(queryset, self.request)

    def get_serializer_class(self) -> type[s.ServiceSerializer]:
        return s.ServiceSerializer if self.action == "list" else s.ServiceDetailSerializer

    def _answer(self, service: Service) -> Response:
        fresh = self.get_queryset().get(pk=service.pk)
        return Response(s.ServiceDetailSerializer(fresh, context={"request": self.request}).data)

    @extend_schema(request=None, responses=s.ServiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def suspend(self, request: Request, circuit_id: str | None = None) -> Response:
        return self._answer(sales.suspend_service(service=self.get_object(), actor=request.user))

    @extend_schema(request=None, responses=s.ServiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, circuit_id: str | None = None) -> Response:
        return self._answer(sales.resume_service(service=self.get_object(), actor=request.user))

    @extend_schema(request=s.TerminateSerializer, responses=s.ServiceDetailSerializer)
    @action(detail=True, methods=["post"])
    def terminate(self, request: Request, circuit_id: str | None = None) -> Response:
        service = self.get_object()
        body = s.TerminateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            sales.terminate_service(service=service, actor=request.user, **body.validated_data)
        )

    @extend_schema(request=s.ChangeEndSerializer, responses=s.ServiceDetailSerializer)
    @action(detail=True, methods=["post"], url_path="change-end")
    def change_end(self, request: Request, circuit_id: str | None = None) -> Response:
        """Move a termination set for a later day, or withdraw it, until that day comes."""
        service = self.get_object()
        body = s.ChangeEndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._answer(
            sales.change_service_end(service=service, actor=request.user, **body.validated_data)
        )


class ContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contracts and their order form PDFs."""

    serializer_class = s.ContractSerializer
    required_capability = Capability.VIEW_OWN_SERVICES
    filter_backends = LIST_FILTERS
    filterset_class = ContractFilterSet
    ordering_fields = {
        "start_date": "start_date",
        "end_date": "end_date",
        "created_at": "created_at",
    }

    def get_queryset(self) -> QuerySet[Contract]:
        queryset = Contract.objects.select_related(
            "service", "customer", "billing_party"
        ).prefetch_related("sla_tiers", "installments")
        return _detail_queryset(queryset, self.request)

    @extend_schema(responses=PDF_RESPONSES)
    @action(detail=True, methods=["get"], content_negotiation_class=PdfNegotiation)
    def pdf(self, request: Request, pk: str | None = None) -> FileResponse:
        """The signed order form."""
        contract = self.get_object()
        if not contract.order_form:
            raise Http404("The order form is being rendered; try again in a moment.")
        return pdf_response(
            request, contract.order_form, f"{contract.service.circuit_id}-order-form.pdf"
        )
