"""Portal pages of trouble tickets: the customer's tickets and "Report a fault", the operators'
queue, and a ticket's page with its history and the steps the viewer may take. Thin: forms
validate, ``services.tickets`` acts and decides who may."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from organisations.access import has_capability, visible_to
from organisations.choices import Capability
from organisations.mixins import CapabilityRequiredMixin
from tcfo_portal.confirm import Confirmation, confirmation_page, is_confirmed, wants_changes
from tcfo_portal.exceptions import DomainError
from tcfo_portal.forms import add_domain_error, flash_domain_error, refusal_status
from tcfo_portal.lists import column, portal_list

from ..api.ticket_views import TroubleTicketViewSet
from ..choices import (
    OPEN_TICKET_STATUSES,
    SEVERITY_RANK,
    NoteVisibility,
    ServiceStatus,
    TicketStatus,
)
from ..filtersets import PortalTicketFilterSet
from ..forms import (
    TicketCustomerStepForm,
    TicketForm,
    TicketNoteForm,
    TicketOutageForm,
    TicketReopenForm,
    TicketResolveForm,
    TicketStepForm,
)
from ..models import Service, TroubleTicket
from ..selectors import sees_internal_notes, ticket_history, tickets_for
from ..services import tickets
from ..services.tickets import CUSTOMER, OPERATOR, STEP_LABELS, STEPS


def _queue_order(queryset: QuerySet[TroubleTicket]) -> QuerySet[TroubleTicket]:
    """Open tickets first, the most severe first, the oldest first."""
    return queryset.annotate(
        closed_rank=Case(
            When(status__in=OPEN_TICKET_STATUSES, then=Value(0)),
            When(status=TicketStatus.RESOLVED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        severity_rank=Case(
            *(When(severity=s, then=Value(rank)) for s, rank in SEVERITY_RANK.items()),
            output_field=IntegerField(),
        ),
    ).order_by("closed_rank", "severity_rank", "creation_date", "pk")


TICKET_CSV = [
    column("id", "pk"),
    column("status"),
    column("severity"),
    column("observed_impact"),
    column("customer", "customer.name"),
    column("circuit_id", "service.circuit_id"),
    column("external_id"),
    column("creation_date"),
    column("last_update"),
]


class TicketListView(CapabilityRequiredMixin, View):
    """A customer's tickets, newest first; an operator's queue, open and severe first; the
    API's filters (``PortalTicketFilterSet``: ``status=open`` for any open status)."""

    required_capability = Capability.VIEW_OWN_SERVICES

    def get(self, request: HttpRequest) -> HttpResponse:
        data = request.GET.copy()
        if data.get("status") == "all":  # the old links' "every status"
            data.pop("status")
        is_queue = has_capability(request.user, Capability.PROVISION_ORDERS)
        queryset = tickets_for(request.user)
        queryset = (
            _queue_order(queryset) if is_queue else queryset.order_by("-creation_date", "-pk")
        )
        listing = portal_list(
            request,
            queryset,
            filterset_class=PortalTicketFilterSet,
            ordering_fields=TroubleTicketViewSet.ordering_fields,
            search_fields=("service__circuit_id", "external_id", "customer__name", "description"),
            data=data,
        )
        if listing.wants_csv:
            return listing.csv("tickets", TICKET_CSV)
        return render(
            request,
            "leasing/tickets.html",
            {
                "list": listing,
                "is_queue": is_queue,
                "may_report": has_capability(request.user, Capability.PLACE_ORDERS),
            },
            status=listing.status,
        )


def _reportable(request: HttpRequest) -> QuerySet[Service]:
    services = Service.objects.filter(
        status__in=(ServiceStatus.ACTIVE, ServiceStatus.SUSPENDED)
    ).select_related("product")
    return visible_to(services, request.user).order_by("circuit_id")


class TicketCreateView(CapabilityRequiredMixin, View):
    """Report a fault on one of the customer's services (``?service=<circuit ID>`` chooses it)."""

    required_capability = Capability.PLACE_ORDERS

    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        initial = {
            "service": request.GET.get("service", ""),
            "contact_name": user.get_full_name() or user.get_username(),
            "contact_email": user.email,
        }
        form = TicketForm(initial=initial, services=_reportable(request))
        return render(request, "leasing/ticket_form.html", {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = TicketForm(request.POST, services=_reportable(request))
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                ticket = tickets.open_ticket(
                    actor=request.user, **{**data, "priority": data["priority"] or None}
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(
                    request,
                    f"Ticket {ticket.pk} is received; the operators are told.",
                )
                return redirect("ticket", pk=ticket.pk)
        return render(request, "leasing/ticket_form.html", {"form": form}, status=400)


#: The form each step takes, for whom.
STEP_FORMS: dict[str, type[forms.Form]] = {
    **{step: TicketStepForm for step, (side, _) in STEPS.items() if side == OPERATOR},
    "resolve": TicketResolveForm,
    **{step: TicketCustomerStepForm for step, (side, _) in STEPS.items() if side == CUSTOMER},
    "reopen": TicketReopenForm,
}

#: The steps confirmed first (``tcfo_portal.confirm``): what each does, undone by nothing.
STEP_CONFIRMS = {
    "cancel": "The ticket is closed without a resolution and cannot be reopened; the other "
    "side is told.",
}


def _step_confirmation(ticket: TroubleTicket, name: str) -> Confirmation:
    label = STEP_LABELS[name]
    return Confirmation(
        title=f"{label} (ticket {ticket.pk})?",
        action=STEP_CONFIRMS[name],
        facts=[("Service", ticket.service.circuit_id), ("Status", ticket.get_status_display())],
        confirm_label=label,
        cancel_url=reverse("ticket", args=[ticket.pk]),
        danger=True,
    )


class TicketView(CapabilityRequiredMixin, View):
    """One ticket: its facts, its history as the viewer may read it, and its actions."""

    required_capability = Capability.VIEW_OWN_SERVICES

    def _ticket(self, request: HttpRequest, pk: int) -> TroubleTicket:
        queryset = tickets_for(request.user).prefetch_related(ticket_history(request.user))
        return get_object_or_404(queryset, pk=pk)

    def _forms(
        self, request: HttpRequest, ticket: TroubleTicket, bound: dict[str, forms.Form]
    ) -> dict[str, Any]:
        sides = tickets.sides(ticket, request.user)
        is_operator = OPERATOR in sides
        steps = []
        for step in tickets.allowed_steps(ticket, request.user):
            form = bound.get(step) or STEP_FORMS[step](prefix=step)
            steps.append(
                {
                    "name": step,
                    "label": STEP_LABELS[step],
                    "form": form,
                    "danger": step == "cancel",
                }
            )
        note_form = None
        if tickets.may_add_notes(ticket, request.user):
            note_form = bound.get("note") or TicketNoteForm(prefix="note")
            if not is_operator:
                note_form.fields.pop("note_visibility", None)
        outage_form = None
        if is_operator and ticket.status not in tickets.FINAL and ticket.service.path_id:
            outage_form = bound.get("outage") or TicketOutageForm(
                prefix="outage",
                outages=tickets.linkable_outages(ticket, actor=request.user),
                initial={"outage": ticket.outage_id},
            )
        for name, refused in bound.items():
            if name not in {s["name"] for s in steps} | {"note", "outage"}:
                for field_messages in refused.errors.values():
                    for message in field_messages:
                        messages.error(request, message)
        return {
            "steps": steps,
            "note_form": note_form,
            "outage_form": outage_form,
            "is_operator": is_operator,
        }

    def _page(
        self,
        request: HttpRequest,
        ticket: TroubleTicket,
        bound: dict[str, forms.Form] | None = None,
        status: int = 200,
    ) -> HttpResponse:
        context = {
            "ticket": ticket,
            "history": ticket.changes.all(),
            "sees_internal_notes": sees_internal_notes(request.user),
            **self._forms(request, ticket, bound or {}),
        }
        return render(request, "leasing/ticket.html", context, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._page(request, self._ticket(request, pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        ticket = self._ticket(request, pk)
        name = request.POST.get("action", "")
        operator = OPERATOR in tickets.sides(ticket, request.user)
        if name in STEPS:
            form: forms.Form = STEP_FORMS[name](request.POST, prefix=name)

            def act(**data: Any) -> object:
                if not operator:
                    data.pop("note_visibility", None)
                return tickets.take_step(ticket=ticket, step=name, actor=request.user, **data)

        elif name == "note":
            form = TicketNoteForm(request.POST, prefix="note")

            def act(**data: Any) -> object:
                if not operator:
                    data["note_visibility"] = NoteVisibility.CUSTOMER
                return tickets.add_note(ticket=ticket, actor=request.user, **data)

        elif name == "outage":
            form = TicketOutageForm(
                request.POST,
                prefix="outage",
                outages=tickets.linkable_outages(ticket, actor=request.user),
            )

            def act(**data: Any) -> object:
                return tickets.link_outage(ticket=ticket, outage=data["outage"], actor=request.user)

        else:
            raise Http404("No such action.")
        if not form.is_valid():
            return self._page(request, ticket, {name: form}, status=400)
        if name in STEP_CONFIRMS and name in tickets.allowed_steps(ticket, request.user):
            if wants_changes(request):  # back from the confirmation: the form as typed
                return self._page(request, ticket, {name: form})
            if not is_confirmed(request):
                return confirmation_page(request, _step_confirmation(ticket, name))
        try:
            act(**form.cleaned_data)
        except DomainError as error:
            fresh = self._ticket(request, pk)
            sides = tickets.sides(fresh, request.user)
            offered = {
                "note": tickets.may_add_notes(fresh, request.user),
                "outage": OPERATOR in sides and fresh.status not in tickets.FINAL,
            }.get(name, name in tickets.allowed_steps(fresh, request.user))
            if offered:
                add_domain_error(form, error)
            else:
                flash_domain_error(request, error)
            return self._page(request, fresh, {name: form}, status=refusal_status(error))
        messages.success(request, "The ticket is updated.")
        return redirect("ticket", pk=ticket.pk)
