"""The portal's pages of the events app."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from organisations.access import is_platform_admin
from organisations.mixins import CapabilityRequiredMixin

from .api.event_filters import EventFilterSet
from .selectors import events_for

# --- events list (issue 14, helper B) ---

EVENTS_PAGE_SIZE = 50


class EventsView(CapabilityRequiredMixin, View):
    """The organisation's recent events, newest first, filtered as the API's list is (the same
    ``EventFilterSet``): what its webhooks are sent and ``GET /api/v1/events/`` gives."""

    def get(self, request: HttpRequest) -> HttpResponse:
        filters = EventFilterSet(request.GET, queryset=events_for(request.user))
        if not is_platform_admin(request.user):
            del filters.form.fields["organisation"]
        status = 200
        if filters.is_valid():
            events = filters.qs
        else:
            events, status = filters.queryset.none(), 400
        page = Paginator(events.order_by("-position"), EVENTS_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        rows = [(event, json.dumps(event.data, indent=2, sort_keys=True)) for event in page]
        query = request.GET.copy()
        query.pop("page", None)
        context = {"form": filters.form, "page": page, "rows": rows, "query": query.urlencode()}
        return render(request, "events/events.html", context, status=status)


# --- end events list ---
