"""``GET /api/v1/events/``: an organisation's own events, in the order they were published, for
partners who pull (or replay what their webhook missed); ``GET /api/v1/events/{id}/`` one.

Anyone of the organisation with a key or a session reads them; platform admins read every
organisation's (``?organisation=``). Another organisation's event answers 404, and is refused as
a cursor (400) exactly like an id that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from organisations.api.permissions import ANY_ACTOR
from tcfo_portal.exceptions import InvalidInput
from tcfo_portal.inputs import whole_number

from ..models import Event
from ..selectors import events_for
from .event_filters import EventFilterSet
from .event_serializers import EventSerializer

UUID_PATTERN = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class EventCursorPagination(BasePagination):
    """The events after a cursor (``?after=<event id>``; from the first without one), at most
    ``page_size`` of them. ``next`` is the same query with ``after`` set to the last event of
    the page, while more follow; ``previous`` is always null (a reader goes forward).
    ``count`` is how many events match from the cursor on.

    Positions are given in the order events are published (commit order), so a reader that
    keeps the id of the last event it read and asks for what comes after misses nothing and
    reads nothing twice."""

    page_size = 50
    max_page_size = 500
    cursor_query_param = "after"
    page_size_query_param = "page_size"

    def paginate_queryset(
        self, queryset: QuerySet[Event], request: Request, view: Any = None
    ) -> list[Event]:
        self.request = request
        raw_size = request.query_params.get(self.page_size_query_param)
        size = self.page_size
        if raw_size is not None:
            size = min(whole_number(raw_size, name=self.page_size_query_param, minimum=1), 500)
        raw = request.query_params.get(self.cursor_query_param)
        if raw is not None:
            queryset = queryset.filter(position__gt=self._cursor_position(raw, request))
        self.count = queryset.count()
        rows = list(queryset[: size + 1])
        self.has_more = len(rows) > size
        self.rows = rows[:size]
        return self.rows

    def _cursor_position(self, raw: str, request: Request) -> int:
        """The position of the event ``raw`` names, among those the reader sees; an unknown
        id and another organisation's are refused alike."""
        try:
            uid = uuid.UUID(raw)
        except ValueError:
            raise InvalidInput("after", "Give the id of an event, as the list shows it.") from None
        position = events_for(request.user).filter(uid=uid).values_list("position", flat=True)
        found = position.first()
        if found is None:
            raise InvalidInput(
                "after",
                "No event of yours has this id: give the id of an event this list gave you.",
            )
        return found

    def get_paginated_response(self, data: list[dict]) -> Response:
        next_url = None
        if self.has_more and self.rows:
            url = remove_query_param(self.request.build_absolute_uri(), "page")
            next_url = replace_query_param(url, self.cursor_query_param, str(self.rows[-1].uid))
        return Response({"count": self.count, "next": next_url, "previous": None, "results": data})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["count", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": "How many events match from the cursor on.",
                },
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page: this query with after= the last event shown.",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "Always null: the list is read forward with after=.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The id of the last event you read: only events published "
                "after it (in published order). An id that is not one of your events is a 400.",
                "schema": {"type": "string", "format": "uuid"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Events per page, 1 to {self.max_page_size} "
                f"(default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]


class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The organisation's events, oldest first in the order they were published: what a
    webhook delivers, for partners who pull or replay. Read forward with ``after=`` the id of
    the last event read (``next`` carries it)."""

    serializer_class = EventSerializer
    required_capability = ANY_ACTOR
    filter_backends = [DjangoFilterBackend]
    filterset_class = EventFilterSet
    pagination_class = EventCursorPagination
    lookup_field = "uid"
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[Event]:
        return events_for(self.request.user)

    def filter_queryset(self, queryset: QuerySet[Event]) -> QuerySet[Event]:
        # The filters are the list's: one event by its id is found whatever the query says.
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    @extend_schema(summary="The organisation's events, in published order")
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="One event (another organisation's is a 404)")
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().retrieve(request, *args, **kwargs)
