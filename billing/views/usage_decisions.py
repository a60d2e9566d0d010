"""Usage decisions in the portal: the list (network staff: their operator's services; customers:
their own, read-only) and one decision's page, where network staff resolve a conflict before its
month is billed (``services.usage_decisions.resolve_conflict``)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from organisations.access import has_capability
from organisations.choices import Capability
from organisations.mixins import CapabilityRequiredMixin
from tcfo_portal.confirm import Confirmation, confirmation_page, is_confirmed, wants_changes
from tcfo_portal.exceptions import DomainError
from tcfo_portal.formatting import format_bitrate, format_moment
from tcfo_portal.forms import add_domain_error, refusal_status
from tcfo_portal.lists import Column, column, portal_list

from ..api.usage_decision_views import UsageDecisionViewSet
from ..choices import ConflictChoice, UsageEventKind
from ..filtersets import UsageDecisionFilterSet
from ..forms import ResolveConflictForm
from ..models import UsageEvent
from ..selectors import usage_decisions_for
from ..services.usage_decisions import billed_already, event_period, resolvable, resolve_conflict


def _rates(pair: object) -> str:
    """``[in, out]`` bit/s as people read it: "1.96 Gbit/s in, 5 bit/s out"."""
    try:
        a, b = pair  # type: ignore[misc]
    except (TypeError, ValueError):
        return "—"
    return f"{format_bitrate(a)} in, {format_bitrate(b)} out"


def _capped(received: object, event: UsageEvent) -> str:
    """ " (capped at the port's 10 Gbit/s)" when taking ``received`` stores less than it (a
    rate above the port's speed, as ingest caps), else nothing: 1.27 Gbit/s on a 10G port is
    stored as received."""
    speed = event.port.speed_bps
    try:
        above = any(int(rate) > speed for rate in received)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return ""
    return f" (capped at the port's {format_bitrate(speed)})" if above else ""


def describe(event: UsageEvent) -> str:
    """What the decision's recorded detail says, in words."""
    detail = event.detail if isinstance(event.detail, dict) else {}
    if event.kind == UsageEventKind.CONFLICT:
        return f"Stored {_rates(detail.get('stored'))}; received {_rates(detail.get('received'))}"
    if event.kind == UsageEventKind.CLAMP and "in_bps" in detail:
        speed = format_bitrate(detail.get("speed_bps")) if "speed_bps" in detail else "its speed"
        received = _rates([detail.get("in_bps"), detail.get("out_bps")])
        return f"Received {received}; capped at the port's {speed}"
    return "; ".join(f"{key.replace('_', ' ')}: {value}" for key, value in detail.items())


def _moment(event: UsageEvent) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(event.ts, datetime.UTC)


#: The CSV of the list: what a row says, times ISO in UTC, rates in bit/s.
DECISION_CSV = [
    column("id", "pk"),
    Column("moment", _moment),
    column("circuit_id", "port.service.circuit_id"),
    column("port", "port.name"),
    column("kind"),
    Column("billing_month", event_period),
    Column("detail", describe),
    column("kept", "resolution.kept"),
    column("resolved_by", "resolution.resolved_by"),
    column("resolved_at", "resolution.resolved_at"),
    column("reason", "resolution.reason"),
]


class UsageDecisionsView(CapabilityRequiredMixin, View):
    """The decisions ingest took on incoming usage, newest first, as every portal list
    (``tcfo_portal.lists.portal_list``: the API's ``UsageDecisionFilterSet`` and sorts, a search,
    pages and a CSV)."""

    required_capability = Capability.VIEW_OWN_SERVICES

    def get(self, request: HttpRequest) -> HttpResponse:
        listing = portal_list(
            request,
            usage_decisions_for(request.user).order_by("-ts", "-pk"),
            filterset_class=UsageDecisionFilterSet,
            ordering_fields=UsageDecisionViewSet.ordering_fields,
            search_fields=("port__service__circuit_id", "port__name", "resolution__reason"),
        )
        if listing.wants_csv:
            return listing.csv("usage-decisions", DECISION_CSV)
        for event in listing.page_rows:
            event.moment = _moment(event)
            event.described = describe(event)
            event.period = event_period(event)
        return render(
            request,
            "billing/usage_decisions.html",
            {
                "list": listing,
                "may_resolve": has_capability(request.user, Capability.INGEST_USAGE),
            },
            status=listing.status,
        )


class UsageDecisionView(CapabilityRequiredMixin, View):
    """One decision; for a conflict nobody resolved, the form that resolves it."""

    required_capability = Capability.VIEW_OWN_SERVICES

    def _event(self, request: HttpRequest, pk: int) -> UsageEvent:
        return get_object_or_404(
            usage_decisions_for(request.user).select_related("batch", "port__service__product"),
            pk=pk,
        )

    def _page(
        self, request: HttpRequest, event: UsageEvent, form: Any = None, status: int = 200
    ) -> HttpResponse:
        may_resolve = has_capability(request.user, Capability.INGEST_USAGE) and resolvable(event)
        period = event_period(event)
        billed = billed_already(event.port.service, period) if may_resolve else None
        if may_resolve and form is None and not billed:
            form = ResolveConflictForm()
        if form is not None:
            form.fields["keep"].choices = self._choices(event)
        return render(
            request,
            "billing/usage_decision.html",
            {
                "event": event,
                "moment": _moment(event),
                "period": period,
                "described": describe(event),
                "form": form if may_resolve and not billed else None,
                "billed": billed,
                "may_resolve": may_resolve,
                "refusals": list(form.non_field_errors()) if form is not None else [],
            },
            status=status,
        )

    def _choices(self, event: UsageEvent) -> list[tuple[str, str]]:
        detail = event.detail if isinstance(event.detail, dict) else {}
        received = detail.get("received")
        return [
            (ConflictChoice.STORED, f"Keep the value stored: {_rates(detail.get('stored'))}"),
            (
                ConflictChoice.RECEIVED,
                f"Take the value received: {_rates(received)}{_capped(received, event)}",
            ),
        ]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._page(request, self._event(request, pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        event = self._event(request, pk)
        if not has_capability(request.user, Capability.INGEST_USAGE):
            raise PermissionDenied("Only operators' network staff resolve usage conflicts.")
        form = ResolveConflictForm(request.POST)
        form.fields["keep"].choices = self._choices(event)
        if form.is_valid() and not wants_changes(request) and not is_confirmed(request):
            kept = dict(self._choices(event))[form.cleaned_data["keep"]]
            return confirmation_page(
                request,
                Confirmation(
                    title=f"Resolve the conflict on {event.port.service.circuit_id}?",
                    action=(
                        f"{kept}. The bucket of {format_moment(_moment(event))} holds it from "
                        f"now on and {event_period(event)}'s 95th percentile is computed from "
                        "it. This cannot be undone."
                    ),
                    confirm_label="Resolve the conflict",
                    cancel_url=reverse("usage-decision", args=[event.pk]),
                    facts=[("Why", form.cleaned_data["reason"])],
                ),
            )
        if wants_changes(request) or not form.is_valid():
            return self._page(request, event, form, status=200 if form.is_valid() else 400)
        try:
            resolve_conflict(event=event, actor=request.user, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
            return self._page(request, event, form, status=refusal_status(error))
        messages.success(request, "Conflict resolved: the month's usage counts the value kept.")
        return redirect("usage-decision", pk=event.pk)
