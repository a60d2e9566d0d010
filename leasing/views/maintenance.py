"""Portal pages of planned maintenance (network staff), of planned work and outages (every
role: what affects the viewer's services), and the organisation's iCalendar feed."""

from __future__ import annotations

import copy
from functools import partial
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Case, F, Prefetch, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from organisations.access import has_capability
from organisations.choices import Capability
from organisations.mixins import CapabilityRequiredMixin
from tcfo_portal.confirm import Confirmation, confirmation_page, is_confirmed, wants_changes
from tcfo_portal.formatting import format_moment, format_number
from tcfo_portal.forms import submit, submit_or_flash
from tcfo_portal.lists import Column, PortalList, column, portal_list

from .. import maintenance_lifecycle as lifecycle
from ..api.views import OutageViewSet
from ..calendar import calendar_for
from ..choices import MaintenanceStatus
from ..filtersets import MaintenanceFilter, OutageFilterSet
from ..forms import (
    MaintenanceCancelForm,
    MaintenanceEditForm,
    MaintenanceForm,
    MaintenanceNoteForm,
)
from ..models import CalendarFeed, Maintenance, MaintenanceChange
from ..selectors import (
    affected_circuits,
    affected_services,
    maintenance_for,
    outage_circuits,
    outages_for,
)
from ..services.calendar_feed import feed_owner, new_calendar_feed
from ..services.maintenance import (
    cancel_maintenance,
    complete_maintenance,
    plannable_segments,
    schedule_maintenance,
    start_maintenance,
    update_maintenance,
)

UPCOMING = (MaintenanceStatus.SCHEDULED,)
PAST = (MaintenanceStatus.COMPLETED, MaintenanceStatus.CANCELLED)


def _zone(request: HttpRequest) -> str | None:
    """The zone a window is typed in by default: the reader's (their own, else their
    organisation's), the one the page shows times in."""
    return getattr(request.user, "display_zone", None)


def _with_circuits(items: list[Maintenance], organisation: Any) -> list[Maintenance]:
    circuits = affected_circuits(items, organisation)
    for item in items:
        item.circuit_ids = circuits.get(item.pk, [])
    return items


# --- i15-i begin: the maintenance and outage lists ---
MAINTENANCE_ORDERING = {
    "window_start": "window_start",
    "window_end": "window_end",
    "status": "status",
    "impact": "impact",
}
MAINTENANCE_LABELS = {
    "segment": "Segment",
    "path": "Path",
    "circuit_id": "Circuit ID",
    "window_start_after": "Window from",
    "window_start_before": "Window until",
}


class LabelledMaintenanceFilter(MaintenanceFilter):
    """The API's filters, with labels for people (the API's have help texts only)."""


# The class's own copies, labelled (the API's class keeps its filters as they are).
for _name, _label in MAINTENANCE_LABELS.items():
    LabelledMaintenanceFilter.base_filters[_name] = copy.deepcopy(
        MaintenanceFilter.base_filters[_name]
    )
    LabelledMaintenanceFilter.base_filters[_name].label = _label


OUTAGE_ORDERING = OutageViewSet.ordering_fields
RECENT_OUTAGES = 10


def _maintenance_list(request: HttpRequest) -> PortalList:
    """The viewer's maintenance (``maintenance_for``): in progress, then upcoming (soonest
    first), then past (latest first), filtered by the API's ``MaintenanceFilter``."""
    visible = maintenance_for(request.user).annotate(
        stage=Case(
            When(status=MaintenanceStatus.IN_PROGRESS, then=Value(0)),
            When(status__in=UPCOMING, then=Value(1)),
            default=Value(2),
        ),
        upcoming_start=Case(When(status__in=UPCOMING, then=F("window_start")), default=None),
    )
    return portal_list(
        request,
        visible.order_by("stage", F("upcoming_start").asc(nulls_last=True), "-window_start", "pk"),
        filterset_class=partial(LabelledMaintenanceFilter, request=request),
        ordering_fields=MAINTENANCE_ORDERING,
        search_fields=("reason",),
    )


def _maintenance_csv(listing: PortalList, organisation: Any, staff: bool) -> HttpResponse:
    """Every filtered row, with the circuits it affects (a customer's own only)."""
    rows = _with_circuits(list(listing.rows), organisation) if listing.status == 200 else []
    affected = Column(
        "affected_services" if staff else "your_affected_circuits",
        lambda m: " ".join(m.circuit_ids),
    )
    return listing.csv("maintenance", [*MAINTENANCE_CSV, affected], rows)


MAINTENANCE_CSV = [
    column("id", "pk"),
    column("reference"),
    column("status"),
    column("impact"),
    column("window_start"),
    column("window_end"),
    Column("segments", lambda m: " ".join(s.code for s in m.segments.all())),
    column("reason"),
]
OUTAGE_CSV = [
    column("id", "pk"),
    column("segment", "segment.code"),
    column("started_at"),
    column("ended_at"),
    column("description"),
]


def _with_hit_circuits(outages: list[Any], organisation: Any) -> list[Any]:
    hit = outage_circuits(outages, organisation)
    for outage in outages:
        outage.circuit_ids = hit.get(outage.pk, [])
    return outages


def _viewing_customer(request: HttpRequest) -> Any:
    organisation = request.user.organisation
    return organisation if organisation is not None and organisation.is_customer else None


# --- i15-i end ---


def _start_action(maintenance: Maintenance) -> str:
    """What starting does: starting before the window says so."""
    told = "The customers are told the work has begun; it cannot be undone."
    if maintenance.window_start > timezone.now():
        return (
            f"Its window starts {format_moment(maintenance.window_start)}: this is before. {told}"
        )
    return told


class MaintenanceListView(CapabilityRequiredMixin, View):
    """Network staff's maintenance: in progress, upcoming, past, with the affected services;
    filtered, sorted, paged and exported as CSV."""

    required_capability = Capability.MANAGE_INVENTORY

    def get(self, request: HttpRequest) -> HttpResponse:
        listing = _maintenance_list(request)
        if listing.wants_csv:
            return _maintenance_csv(listing, None, staff=True)
        _with_circuits(list(listing.page_rows), None)
        return render(
            request,
            "leasing/maintenance_list.html",
            {"list": listing},
            status=listing.status,
        )


class MaintenanceCreateView(CapabilityRequiredMixin, View):
    required_capability = Capability.MANAGE_INVENTORY

    def get(self, request: HttpRequest) -> HttpResponse:
        form = MaintenanceForm.for_zone(_zone(request), segments=plannable_segments(request.user))
        return render(request, "leasing/maintenance_form.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = MaintenanceForm(request.POST, segments=plannable_segments(request.user))
        created: list[Maintenance] = []

        def act(**data: Any) -> None:
            created.append(schedule_maintenance(actor=request.user, **data))

        if not submit(form, act):
            return render(request, "leasing/maintenance_form.html", {"form": form}, status=400)
        messages.success(request, f"Maintenance {created[0].reference} scheduled; customers told.")
        return redirect("maintenance", pk=created[0].pk)


class MaintenanceView(CapabilityRequiredMixin, View):
    """One maintenance with the affected services and its history, and the forms of the steps
    it allows (``action``: ``None`` for the page, else the step a POST takes)."""

    required_capability = Capability.MANAGE_INVENTORY
    action: str | None = None

    def _get(self, pk: int) -> Maintenance:
        queryset = maintenance_for(self.request.user).prefetch_related(
            Prefetch("changes", queryset=MaintenanceChange.objects.order_by("at", "pk"))
        )
        return get_object_or_404(queryset, pk=pk)

    def _page(
        self,
        request: HttpRequest,
        maintenance: Maintenance,
        edit_form: MaintenanceEditForm | None = None,
        status: int = 200,
        cancel_form: MaintenanceCancelForm | None = None,
    ) -> HttpResponse:
        updatable = maintenance.status in lifecycle.UPDATABLE
        allowed = lifecycle.ALLOWED[maintenance.status]
        context = {
            "maintenance": maintenance,
            "services": list(affected_services(maintenance)),
            "history": maintenance.changes.all(),
            "edit_form": (
                edit_form or MaintenanceEditForm.for_maintenance(maintenance, _zone(request))
            )
            if updatable
            else None,
            # Its own ids: the change form has a reason field too.
            "cancel_form": (cancel_form or MaintenanceCancelForm(auto_id="cancel-%s"))
            if MaintenanceStatus.CANCELLED in allowed
            else None,
            "may_start": MaintenanceStatus.IN_PROGRESS in allowed,
            "may_complete": MaintenanceStatus.COMPLETED in allowed,
        }
        return render(request, "leasing/maintenance.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._page(request, self._get(pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if self.action is None:
            return self.http_method_not_allowed(request)
        maintenance = self._get(pk)
        actor = request.user
        if self.action == "edit":
            form = MaintenanceEditForm(request.POST, maintenance=maintenance)
            if not submit(form, partial(update_maintenance, maintenance=maintenance, actor=actor)):
                return self._page(request, maintenance, edit_form=form, status=400)
            messages.success(request, "Maintenance changed; customers told again.")
            return redirect("maintenance", pk=maintenance.pk)
        steps = {
            "cancel": (MaintenanceCancelForm, cancel_maintenance, "cancelled"),
            "start": (MaintenanceNoteForm, start_maintenance, "started"),
            "complete": (MaintenanceNoteForm, complete_maintenance, "completed"),
        }
        form_class, service, done = steps[self.action]
        step_form: forms.Form = form_class(request.POST)
        may_cancel = MaintenanceStatus.CANCELLED in lifecycle.ALLOWED[maintenance.status]
        if self.action == "cancel" and may_cancel and step_form.is_valid():
            if wants_changes(request):  # back from the confirmation: the reason as typed
                cancel_form = MaintenanceCancelForm(request.POST, auto_id="cancel-%s")
                cancel_form.is_valid()
                return self._page(request, maintenance, cancel_form=cancel_form)
            if not is_confirmed(request):
                return confirmation_page(request, _cancel_confirmation(maintenance))
        may_step = {"start": MaintenanceStatus.IN_PROGRESS, "complete": MaintenanceStatus.COMPLETED}
        to = may_step.get(self.action)
        if to in lifecycle.ALLOWED[maintenance.status] and step_form.is_valid():
            if wants_changes(request):
                return redirect("maintenance", pk=maintenance.pk)
            if not is_confirmed(request):
                return confirmation_page(request, _step_confirmation(maintenance, self.action))
        if submit_or_flash(
            request, step_form, partial(service, maintenance=maintenance, actor=actor)
        ):
            messages.success(request, f"Maintenance {done}; customers told.")
        return redirect("maintenance", pk=maintenance.pk)


def _step_confirmation(maintenance: Maintenance, action: str) -> Confirmation:
    """Starting tells the customers the work has begun, completing that it is over: neither is
    undone."""
    window = f"{format_moment(maintenance.window_start)} to {format_moment(maintenance.window_end)}"
    affected = format_number(len(list(affected_services(maintenance))))
    if action == "start":
        return Confirmation(
            title=f"Start maintenance {maintenance.reference} now?",
            action=_start_action(maintenance),
            facts=[("Window", window), ("Services affected", affected)],
            confirm_label="Start the maintenance",
            cancel_url=reverse("maintenance", args=[maintenance.pk]),
        )
    return Confirmation(
        title=f"Complete maintenance {maintenance.reference} now?",
        action="The customers of the services it affects are told the work is over; it cannot "
        "be undone.",
        facts=[("Window", window), ("Services affected", affected)],
        confirm_label="Complete the maintenance",
        cancel_url=reverse("maintenance", args=[maintenance.pk]),
    )


def _cancel_confirmation(maintenance: Maintenance) -> Confirmation:
    affected = affected_services(maintenance)
    return Confirmation(
        title=f"Cancel maintenance {maintenance.reference}?",
        action="The work does not take place. The customers of the services it affects are "
        "told at once, with your reason; a cancelled maintenance cannot be scheduled again "
        "(plan a new one).",
        facts=[
            (
                "Window",
                f"{format_moment(maintenance.window_start)} to "
                f"{format_moment(maintenance.window_end)}",
            ),
            ("Services affected", format_number(len(list(affected)))),
        ],
        confirm_label="Cancel the maintenance",
        cancel_url=reverse("maintenance", args=[maintenance.pk]),
        danger=True,
    )


class PlannedWorkView(CapabilityRequiredMixin, View):
    """Planned work and outages affecting the viewer's services (a customer's own circuits
    only), and its organisation's calendar feed."""

    required_capability = Capability.VIEW_OWN_SERVICES

    def _page(self, request: HttpRequest, new_feed_url: str | None = None) -> HttpResponse:
        customer = _viewing_customer(request)
        listing = _maintenance_list(request)
        if listing.wants_csv:
            return _maintenance_csv(listing, customer, staff=False)
        _with_circuits(list(listing.page_rows), customer)
        visible_outages = outages_for(request.user)
        outages = _with_hit_circuits(
            list(visible_outages.order_by("-started_at", "-pk")[:RECENT_OUTAGES]), customer
        )
        feed = (
            CalendarFeed.objects.filter(organisation=customer).first()
            if customer is not None
            else None
        )
        context = {
            "list": listing,
            "outages": outages,
            "more_outages": len(outages) == RECENT_OUTAGES,
            "customer": customer,
            "feed": feed,
            "new_feed_url": new_feed_url,
            "may_make_feed": customer is not None
            and has_capability(request.user, Capability.MANAGE_API_KEYS),
        }
        return render(request, "leasing/planned_work.html", context, status=listing.status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request)


# --- i15-i begin ---
class PlannedOutagesView(CapabilityRequiredMixin, View):
    """Every outage on the segments the viewer's services run over (``outages_for``), with the
    circuits it hit (a customer's own only), filtered by the API's ``OutageFilterSet``."""

    required_capability = Capability.VIEW_OWN_SERVICES

    def get(self, request: HttpRequest) -> HttpResponse:
        customer = _viewing_customer(request)
        listing = portal_list(
            request,
            outages_for(request.user).order_by("-started_at", "-pk"),
            filterset_class=OutageFilterSet,
            ordering_fields=OUTAGE_ORDERING,
            search_fields=("segment__code", "description"),
        )
        if listing.wants_csv:
            rows = _with_hit_circuits(list(listing.rows), customer)
            hit = Column(
                "your_affected_circuits" if customer else "affected_circuits",
                lambda o: " ".join(o.circuit_ids),
            )
            return listing.csv("outages", [*OUTAGE_CSV, hit], rows)
        _with_hit_circuits(list(listing.page_rows), customer)
        return render(
            request,
            "leasing/planned_outages.html",
            {"list": listing, "customer": customer},
            status=listing.status,
        )


# --- i15-i end ---


class CalendarFeedNewView(CapabilityRequiredMixin, View):
    """A customer's admin makes a new feed address (the old stops working); it is shown once."""

    required_capability = Capability.MANAGE_API_KEYS

    def post(self, request: HttpRequest) -> HttpResponse:
        organisation = request.user.organisation
        replaced = CalendarFeed.objects.filter(organisation=organisation).first()
        if replaced is not None and wants_changes(request):
            return redirect("planned-work")
        if replaced is not None and not is_confirmed(request):
            return confirmation_page(
                request,
                Confirmation(
                    title="Make a new calendar address?",
                    action="The old address stops working at once: every calendar subscribed "
                    "to it must be given the new one.",
                    facts=[
                        ("Old address made", format_moment(replaced.created_at)),
                        ("Made by", replaced.created_by),
                    ],
                    confirm_label="Make a new calendar address",
                    cancel_url=reverse("planned-work"),
                    danger=True,
                ),
            )
        token = new_calendar_feed(actor=request.user)
        url = request.build_absolute_uri(reverse("calendar-feed", kwargs={"token": token}))
        messages.success(request, "New calendar address made: the old one no longer works.")
        return PlannedWorkView(request=request)._page(request, new_feed_url=url)


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed: no sign-in (calendar programs cannot), the address is the secret; an unknown
    or replaced one is a 404."""
    organisation = feed_owner(token)
    if organisation is None:
        raise Http404("No such calendar.")
    response = HttpResponse(calendar_for(organisation), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="tcfo-planned-work.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
