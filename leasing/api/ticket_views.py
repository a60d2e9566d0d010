"""Trouble tickets over the API: thin views over ``leasing.services.tickets``."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from organisations.access import visible_to
from organisations.choices import Capability
from tcfo_portal.api.filters import LIST_FILTERS
from tcfo_portal.api.idempotency import idempotent_post

from ..filtersets import TroubleTicketFilterSet
from ..models import Outage, Service, TroubleTicket
from ..selectors import ticket_history, tickets_for
from ..services import tickets
from . import ticket_serializers as s

OPERATOR_STEPS = ("acknowledge", "progress", "pending", "hold", "resolve")
CUSTOMER_STEPS = ("close", "reopen", "cancel")


class TroubleTicketViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Trouble tickets (MEF LSO Sonata's): customers open them on their services, confirm
    (``close/``), ``reopen/`` or ``cancel/`` them; the network staff of the operators that own
    the service's route ``acknowledge/``, set them ``pending/`` (waiting for the customer), on
    ``hold/``, back in ``progress/``, ``resolve/`` them and link an ``outage/``. Both write
    ``notes/``; an operator's note is internal unless written for the customer.

    Statuses and field names are Sonata's written snake_case, like every enum and field of
    this API: ``in_progress`` is Sonata's ``inProgress``, ``status_change_date`` its
    ``statusChangeDate``; the other statuses (acknowledged, pending, resolved, closed,
    reopened, cancelled) are spelt alike, and ``held`` is TMF621's (``status``'s help lists
    the mapping)."""

    serializer_class = s.TroubleTicketSerializer
    filter_backends = LIST_FILTERS
    filterset_class = TroubleTicketFilterSet
    ordering_fields = {"creation_date": "creation_date", "last_update": "last_update"}
    required_capability = {
        "list": Capability.VIEW_OWN_SERVICES,
        "retrieve": Capability.VIEW_OWN_SERVICES,
        "create": Capability.PLACE_ORDERS,
        "notes": Capability.VIEW_OWN_SERVICES,
        "outage": Capability.PROVISION_ORDERS,
        **dict.fromkeys(OPERATOR_STEPS, Capability.PROVISION_ORDERS),
        **dict.fromkeys(CUSTOMER_STEPS, Capability.PLACE_ORDERS),
    }

    def get_queryset(self) -> QuerySet[TroubleTicket]:
        queryset = tickets_for(self.request.user)
        if self.action != "list":
            queryset = queryset.prefetch_related(ticket_history(self.request.user))
        return queryset.order_by("-creation_date", "-pk")

    def get_serializer_class(self) -> type[s.TroubleTicketSerializer]:
        return (
            s.TroubleTicketSerializer if self.action == "list" else s.TroubleTicketDetailSerializer
        )

    def _answer(self, ticket: TroubleTicket, code: int = status.HTTP_200_OK) -> Response:
        fresh = (
            tickets_for(self.request.user)
            .prefetch_related(ticket_history(self.request.user))
            .get(pk=ticket.pk)
        )
        return Response(s.TroubleTicketDetailSerializer(fresh).data, status=code)

    @extend_schema(
        request=s.TroubleTicketRequestSerializer,
        responses={
            201: s.TroubleTicketDetailSerializer,
            404: OpenApiResponse(description="No such service, or not yours."),
        },
    )
    @idempotent_post
    def create(self, request: Request) -> Response:
        body = s.TroubleTicketRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        service = (
            visible_to(Service.objects.all(), request.user)
            .filter(circuit_id=data.pop("circuit_id"))
            .first()
        )
        if service is None:
            raise Http404
        contact = data.pop("related_contact_information")[0]
        ticket = tickets.open_ticket(
            service=service,
            actor=request.user,
            contact_name=contact["name"],
            contact_email=contact["email_address"],
            contact_phone=contact["number"] or "",
            **data,
        )
        return self._answer(ticket, status.HTTP_201_CREATED)

    def _step(self, request: Request, step: str, serializer: type) -> Response:
        ticket = self.get_object()
        body = serializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = tickets.take_step(
            ticket=ticket, step=step, actor=request.user, **body.validated_data
        )
        return self._answer(ticket)

    @extend_schema(request=s.OperatorNoteSerializer, responses=s.TroubleTicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """Start work on a new (acknowledged) ticket: it goes in progress."""
        return self._step(request, "acknowledge", s.OperatorNoteSerializer)

    @extend_schema(request=s.OperatorNoteSerializer, responses=s.TroubleTicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request: Request, pk: str | None = None) -> Response:
        """Back in progress after a wait, a hold or a reopening."""
        return self._step(request, "progress", s.OperatorNoteSerializer)

    @extend_schema(request=s.OperatorNoteSerializer, responses=s.TroubleTicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def pending(self, request: Request, pk: str | None = None) -> Response:
        """Waiting for the customer (say what for, in a note for the customer)."""
        return self._step(request, "pending", s.OperatorNoteSerializer)

    @extend_schema(request=s.OperatorNoteSerializer, responses=s.TroubleTicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def hold(self, request: Request, pk: str | None = None) -> Response:
        """On hold."""
        return self._step(request, "hold", s.OperatorNoteSerializer)

    @extend_schema(request=s.ResolveSerializer, responses=s.TroubleTicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        """The fault is fixed: the customer confirms (``close/``) or reopens."""
        return self._step(request, "resolve", s.ResolveSerializer)

    @extend_schema(request=s.CustomerStepSerializer, responses=s.TroubleTicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        """The customer confirms a resolved fault is gone."""
        return self._step(request, "close", s.CustomerStepSerializer)

    @extend_schema(request=s.CustomerStepSerializer, responses=s.TroubleTicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        """The customer says a resolved fault is not gone (``note`` required)."""
        return self._step(request, "reopen", s.CustomerStepSerializer)

    @extend_schema(request=s.CustomerStepSerializer, responses=s.TroubleTicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        """The customer withdraws a ticket before it is resolved."""
        return self._step(request, "cancel", s.CustomerStepSerializer)

    @extend_schema(request=s.NoteSerializer, responses={201: s.TroubleTicketDetailSerializer})
    @action(detail=True, methods=["post"])
    @idempotent_post
    def notes(self, request: Request, pk: str | None = None) -> Response:
        """Add a note to the ticket's history (its status unchanged)."""
        ticket = self.get_object()
        body = s.NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        ticket = tickets.add_note(ticket=ticket, actor=request.user, **body.validated_data)
        return self._answer(ticket, status.HTTP_201_CREATED)

    @extend_schema(request=s.OutageLinkSerializer, responses=s.TroubleTicketDetailSerializer)
    @action(detail=True, methods=["post"])
    def outage(self, request: Request, pk: str | None = None) -> Response:
        """Link the outage that caused the fault (one of a segment of the service's path), or
        unlink it with ``null``."""
        ticket = self.get_object()
        body = s.OutageLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        outage_id = body.validated_data["outage"]
        outage = None
        if outage_id is not None:
            outage = Outage.objects.filter(pk=outage_id).first()
            if outage is None:
                # the same answer as an outage off the route or out of sight: ids are not probed
                raise tickets.outage_not_linkable()
        return self._answer(tickets.link_outage(ticket=ticket, outage=outage, actor=request.user))
