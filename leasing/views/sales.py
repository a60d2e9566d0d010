"""Portal pages of the sale: quotes, orders (the customer's and the operators' queue), services,
contracts. Thin: forms validate, ``services.orders`` acts, domain errors become messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from organisations.access import describe_actor, has_capability, visible_to
from organisations.choices import Capability
from organisations.mixins import CapabilityRequiredMixin
from tcfo_portal.confirm import Confirmation, confirmation_page, is_confirmed, wants_changes
from tcfo_portal.exceptions import DomainError
from tcfo_portal.formatting import format_date
from tcfo_portal.forms import add_domain_error, flash_domain_error, refusal_status
from tcfo_portal.lists import Column, column, portal_list

from ..api.sales_views import ContractViewSet, OrderViewSet, QuoteViewSet, ServiceViewSet
from ..choices import OrderState, ServiceAction, ServiceStatus
from ..commitments import commitment_of, still_billable
from ..filtersets import (
    ContractFilterSet,
    PortalOrderFilterSet,
    QuoteFilterSet,
    ServiceFilterSet,
)
from ..forms import (
    AcknowledgeForm,
    CancelForm,
    ChangeEndForm,
    CompleteForm,
    ProvisionForm,
    QuoteForm,
    ReasonForm,
    TerminateForm,
)
from ..models import Contract, Order, Quote, Service
from ..order_lifecycle import ALLOWED
from ..selectors import (
    allocation_assignment,
    assignment_in_words,
    assignment_prefetches,
    order_history,
    orders_with_terms,
    sees_internal_notes,
    tickets_for,
)
from ..service_lifecycle import allowed_actions, check
from ..services import orders as sales
from ..services.capacity import quote_availability


def _orders(request: HttpRequest) -> QuerySet[Order]:
    return visible_to(orders_with_terms(), request.user)


def _hidden_for(request: HttpRequest, *names: str) -> tuple[str, ...]:
    """Filters that mean nothing to a customer (its own name, say)."""
    organisation = request.user.organisation
    return names if organisation is not None and organisation.is_customer else ()


def _place(row: object) -> str:
    place = row.site or row.path
    return place.code if place is not None else ""


QUOTE_CSV = [
    column("id", "pk"),
    column("product", "product.code"),
    Column("path_or_pop", _place),
    column("term_months"),
    column("start_date"),
    column("commit_mbps"),
    column("currency"),
    column("mrc"),
    column("nrc"),
    column("iru_price"),
    column("valid_until"),
    column("order", "order.pk"),
    column("created_at"),
]


class QuoteListView(CapabilityRequiredMixin, View):
    """The organisation's quotes, newest first (``QuoteFilterSet``, the API's)."""

    required_capability = Capability.PLACE_ORDERS

    def get(self, request: HttpRequest) -> HttpResponse:
        quotes = Quote.objects.select_related("product", "path", "site", "order")
        listing = portal_list(
            request,
            visible_to(quotes, request.user).order_by("-created_at", "-pk"),
            filterset_class=QuoteFilterSet,
            ordering_fields=QuoteViewSet.ordering_fields,
            search_fields=("product__code", "product__name", "path__code", "site__code"),
        )
        if listing.wants_csv:
            return listing.csv("quotes", QUOTE_CSV)
        context = {"list": listing, "may_quote": sales.may_ask_for_quotes(request.user)}
        return render(request, "leasing/quotes.html", context, status=listing.status)


class QuoteCreateView(CapabilityRequiredMixin, View):
    required_capability = Capability.PLACE_ORDERS

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not sales.may_ask_for_quotes(request.user):
            raise PermissionDenied("Quotes are asked for by a customer organisation's staff.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        initial = {k: v for k, v in request.GET.items() if k in QuoteForm.base_fields}
        return render(request, "leasing/quote_form.html", {"form": QuoteForm(initial=initial)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = QuoteForm(request.POST)
        if form.is_valid():
            try:
                quote = sales.create_quote(
                    customer=request.user.organisation,
                    by=describe_actor(request.user),
                    **form.cleaned_data,
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                return redirect("quote", pk=quote.pk)
        return render(request, "leasing/quote_form.html", {"form": form}, status=400)


class QuoteView(CapabilityRequiredMixin, View):
    required_capability = Capability.PLACE_ORDERS

    def _quote(self, request: HttpRequest, pk: int) -> Quote:
        quotes = Quote.objects.select_related("product", "path", "site", "order")
        return get_object_or_404(visible_to(quotes, request.user), pk=pk)

    def _page(self, request: HttpRequest, quote: Quote, status: int = 200) -> HttpResponse:
        """The quote, with whether its capacity is free now (what ordering it would hold)."""
        return render(
            request,
            "leasing/quote.html",
            {
                "quote": quote,
                "availability": quote_availability(quote),
                "may_quote": sales.may_ask_for_quotes(request.user),
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._page(request, self._quote(request, pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Accept the quote: place the order, once confirmed with what it commits to."""
        quote = self._quote(request, pk)
        if wants_changes(request):
            return redirect("quote", pk=quote.pk)
        # A quote ordered already or expired is refused by ``place_order`` without asking.
        orderable = not hasattr(quote, "order") and not quote.is_expired
        if orderable and not is_confirmed(request):
            commitment = commitment_of(quote)
            return confirmation_page(
                request,
                Confirmation(
                    title=f"Order quote {quote.pk}?",
                    action=f"{quote.customer} orders {quote.product.name} on "
                    f"{quote.place.name} for {quote.term_months} months. The capacity is "
                    "held for you at once; once the operators complete the order the "
                    "contract bills for its whole term.",
                    amount=commitment.headline,
                    facts=commitment.facts,
                    confirm_label="Place the order",
                    cancel_url=reverse("quote", args=[quote.pk]),
                    back_label=None,  # the quote page has nothing to change
                ),
            )
        try:
            order = sales.place_order(quote=quote, by=describe_actor(request.user))
        except DomainError as error:
            flash_domain_error(request, error)
            return self._page(request, quote, status=refusal_status(error))
        messages.success(request, f"Order {order.pk} is submitted; its capacity is held for you.")
        return redirect("order", pk=order.pk)


ORDER_CSV = [
    column("id", "pk"),
    column("state"),
    column("customer", "customer.name"),
    column("billing_party", "billing_party.name"),
    column("product", "quote.product.code"),
    Column("path_or_pop", lambda order: _place(order.quote)),
    column("start_date", "quote.start_date"),
    column("term_months", "quote.term_months"),
    column("currency", "quote.currency"),
    column("mrc", "quote.mrc"),
    column("nrc", "quote.nrc"),
    column("circuit_id", "service.circuit_id"),
    column("created_at"),
    column("updated_at"),
]


class OrderListView(CapabilityRequiredMixin, View):
    """A customer's orders, an operator's queue: newest first, ``PortalOrderFilterSet`` (the
    API's filters; ``state=open`` for those not finished)."""

    required_capability = Capability.VIEW_OWN_SERVICES

    def get(self, request: HttpRequest) -> HttpResponse:
        data = request.GET.copy()
        if data.get("state") == "all":  # the old links' "every state"
            data.pop("state")
        listing = portal_list(
            request,
            _orders(request).order_by("-created_at", "-pk"),
            filterset_class=PortalOrderFilterSet,
            ordering_fields=OrderViewSet.ordering_fields,
            search_fields=("customer__name", "quote__product__code", "service__circuit_id"),
            data=data,
            hide=_hidden_for(request, "customer"),
        )
        if listing.wants_csv:
            return listing.csv("orders", ORDER_CSV)
        return render(
            request,
            "leasing/orders.html",
            {
                "list": listing,
                "is_queue": has_capability(request.user, Capability.PROVISION_ORDERS),
            },
            status=listing.status,
        )


# What each step of an order or a service did, in the past tense: the message after it.
DONE: dict[str, Callable[[Any], str]] = {
    "cancel": lambda order: f"Order {order.pk} cancelled; its capacity is free again.",
    "acknowledge": lambda order: f"Order {order.pk} acknowledged.",
    "reject": lambda order: f"Order {order.pk} rejected; its capacity is free again.",
    "provision": lambda order: f"Order {order.pk} is being provisioned.",
    "complete": lambda service: (
        f"Order {service.order.pk} completed: service "
        f"{service.circuit_id} in service from {format_date(service.activated_on)}."
    ),
    "fail": lambda order: f"Order {order.pk} failed; its capacity is free again.",
    ServiceAction.SUSPEND: lambda service: f"Service {service.circuit_id} suspended.",
    ServiceAction.RESUME: lambda service: f"Service {service.circuit_id} resumed.",
    ServiceAction.TERMINATE: lambda service: (
        f"Service {service.circuit_id} terminated on {format_date(service.terminated_on)}."
        if service.status == ServiceStatus.TERMINATED
        else f"Service {service.circuit_id} ends on {format_date(service.terminated_on)}."
    ),
    ServiceAction.CHANGE_END: lambda service: (
        f"Service {service.circuit_id} no longer ends: it runs on."
        if service.terminated_on is None
        else f"Service {service.circuit_id} terminated on {format_date(service.terminated_on)}."
        if service.status == ServiceStatus.TERMINATED
        else f"Service {service.circuit_id} now ends on {format_date(service.terminated_on)}."
    ),
}


def order_done(order: Order, name: str, result: Any) -> str:
    """The message after an order's step ``name`` (``result``: what the service returned)."""
    return DONE[name](result if isinstance(result, Service) else order)


def service_done(service: Service, name: str) -> str:
    return DONE[name](service)


class OrderView(CapabilityRequiredMixin, View):
    """One order with its history and the actions the viewer may take."""

    required_capability = Capability.VIEW_OWN_SERVICES
    # action -> (capability, form, service call, the state it leads to)
    ACTIONS: dict[str, tuple[Capability, type, Callable[..., Any], str]] = {
        "cancel": (Capability.PLACE_ORDERS, CancelForm, sales.cancel_order, OrderState.CANCELLED),
        "acknowledge": (
            Capability.PROVISION_ORDERS,
            AcknowledgeForm,
            sales.acknowledge_order,
            OrderState.ACKNOWLEDGED,
        ),
        "reject": (
            Capability.PROVISION_ORDERS,
            ReasonForm,
            sales.reject_order,
            OrderState.REJECTED,
        ),
        "provision": (
            Capability.PROVISION_ORDERS,
            ProvisionForm,
            sales.start_provisioning,
            OrderState.IN_PROGRESS,
        ),
        "complete": (
            Capability.PROVISION_ORDERS,
            CompleteForm,
            sales.complete_order,
            OrderState.COMPLETED,
        ),
        "fail": (Capability.PROVISION_ORDERS, ReasonForm, sales.fail_order, OrderState.FAILED),
    }

    # The actions that end the order for good (its capacity is freed), and the one that starts
    # billing: confirmed first.
    CONFIRMED = {"cancel": "Cancel", "reject": "Reject", "fail": "Fail", "complete": "Complete"}

    def _confirmation(self, order: Order, name: str, data: dict) -> Confirmation:
        quote = order.quote
        commitment = commitment_of(quote)
        if name == "complete":
            day = format_date(data["ready_for_service_date"])
            return Confirmation(
                title=f"Complete order {order.pk}: in service from {day}?",
                action=f"{quote.product.name} on {quote.place.name} of {order.customer} goes "
                f"into service on {day}: its contract starts and bills from that day for "
                f"{quote.term_months} months.",
                amount=f"{commitment.headline} from {day}",
                facts=[("Ready for service", day), *commitment.facts],
                confirm_label=f"Complete: bill from {day}",
                cancel_url=reverse("order", args=[order.pk]),
            )
        ends = {
            "cancel": "You withdraw the order",
            "reject": f"The order of {order.customer} is refused",
            "fail": f"The order of {order.customer} ends as failed",
        }[name]
        return Confirmation(
            title=f"{self.CONFIRMED[name]} order {order.pk}?",
            action=f"{ends}: it cannot be taken up again and its capacity is freed at once "
            f"(anyone may buy it). {quote.product.name} on {quote.place.name} would need a "
            "new quote and order.",
            amount=f"{commitment.headline} not ordered",
            facts=commitment.facts,
            confirm_label=f"{self.CONFIRMED[name]} the order",
            cancel_url=reverse("order", args=[order.pk]),
            danger=True,
        )

    @staticmethod
    def _initial(order: Order, name: str) -> dict[str, Any]:
        """What a step's form starts with: Complete, the day provisioning planned."""
        if name == "complete" and order.ready_for_service_date:
            return {"ready_for_service_date": order.ready_for_service_date}
        return {}

    def _order(self, request: HttpRequest, pk: int) -> Order:
        orders = _orders(request).prefetch_related(
            order_history(request.user), *assignment_prefetches("allocation__")
        )
        return get_object_or_404(orders, pk=pk)

    def _page(
        self, request: HttpRequest, order: Order, forms: dict | None = None, status: int = 200
    ) -> HttpResponse:
        actions = {}
        for name, (capability, form_class, _, leads_to) in self.ACTIONS.items():
            if leads_to in ALLOWED[order.state] and has_capability(request.user, capability):
                actions[name] = (forms or {}).get(name) or form_class(
                    prefix=name, initial=self._initial(order, name)
                )
        for name, refused in (forms or {}).items():
            if name not in actions:  # the order has moved on: say why, or the refusal is lost
                for field_messages in refused.errors.values():
                    for message in field_messages:
                        messages.error(request, message)
        assignment = None
        if has_capability(request.user, Capability.VIEW_INVENTORY) and order.allocation:
            rows = allocation_assignment(order.allocation) if order.allocation.is_live() else []
            assignment = [{**row, "held": assignment_in_words(row)} for row in rows]
        return render(
            request,
            "leasing/order.html",
            {
                "order": order,
                "actions": actions,
                "allocation": order.allocation,
                "assignment": assignment,
                "sees_internal_notes": sees_internal_notes(request.user),
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._page(request, self._order(request, pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        order = self._order(request, pk)
        name = request.POST.get("action", "")
        if name not in self.ACTIONS:
            raise Http404("No such action.")
        capability, form_class, act, _ = self.ACTIONS[name]
        if not has_capability(request.user, capability):
            messages.error(request, "Your role does not allow this.")
            return self._page(request, order, status=403)
        form = form_class(request.POST, prefix=name)
        if not form.is_valid():
            return self._page(request, order, {name: form}, status=400)
        if wants_changes(request):  # back from the confirmation: the form as typed
            return self._page(request, order, {name: form})
        allowed = self.ACTIONS[name][3] in ALLOWED[order.state]  # else refused without asking
        if name in self.CONFIRMED and allowed and not is_confirmed(request):
            return confirmation_page(request, self._confirmation(order, name, form.cleaned_data))
        extra = {"acting_for": request.user.organisation} if name == "acknowledge" else {}
        try:
            result = act(order=order, by=describe_actor(request.user), **form.cleaned_data, **extra)
        except DomainError as error:
            add_domain_error(form, error)
            return self._page(
                request, self._order(request, pk), {name: form}, status=refusal_status(error)
            )
        messages.success(request, order_done(order, name, result))
        return redirect("order", pk=order.pk)


def _services(request: HttpRequest) -> QuerySet[Service]:
    queryset = Service.objects.select_related("product", "path", "site", "customer", "contract")
    return visible_to(queryset, request.user)


SERVICE_CSV = [
    column("circuit_id"),
    column("status"),
    column("customer", "customer.name"),
    column("product", "product.code"),
    Column("path_or_pop", _place),
    column("activated_on"),
    column("terminated_on"),
    column("created_at"),
]


class ServiceListView(CapabilityRequiredMixin, View):
    required_capability = Capability.VIEW_OWN_SERVICES

    def get(self, request: HttpRequest) -> HttpResponse:
        listing = portal_list(
            request,
            _services(request).order_by("circuit_id", "pk"),
            filterset_class=ServiceFilterSet,
            ordering_fields=ServiceViewSet.ordering_fields,
            search_fields=("circuit_id", "customer__name", "product__code"),
            hide=_hidden_for(request, "customer"),
        )
        if listing.wants_csv:
            return listing.csv("services", SERVICE_CSV)
        return render(request, "leasing/services.html", {"list": listing}, status=listing.status)


class ServiceView(CapabilityRequiredMixin, View):
    """One service with its history and the actions ``service_lifecycle`` offers the viewer;
    each asks for confirmation, naming what it does and what it bills (``tcfo_portal.confirm``)."""

    required_capability = Capability.VIEW_OWN_SERVICES
    # action -> (service call, the form it takes or None, the button's label and style)
    ACTIONS: dict[str, tuple[Callable[..., Service], type | None, str, str]] = {
        ServiceAction.SUSPEND: (sales.suspend_service, None, "Suspend", "secondary"),
        ServiceAction.RESUME: (sales.resume_service, None, "Resume", ""),
        ServiceAction.TERMINATE: (sales.terminate_service, TerminateForm, "Terminate", "danger"),
        ServiceAction.CHANGE_END: (
            sales.change_service_end,
            ChangeEndForm,
            "Change the end date",
            "secondary",
        ),
    }

    def _service(self, request: HttpRequest, circuit_id: str) -> Service:
        services = _services(request).prefetch_related("transitions")
        return get_object_or_404(services, circuit_id=circuit_id)

    def _blank_form(self, service: Service, form_class: type | None) -> forms.Form | None:
        if form_class is ChangeEndForm:
            return ChangeEndForm(initial={"on": service.terminated_on}, service=service)
        return form_class(service=service) if form_class else None

    def _render(
        self,
        request: HttpRequest,
        service: Service,
        form: forms.Form | None = None,
        status: int = 200,
    ) -> HttpResponse:
        actions = []
        for name in allowed_actions(service, request.user):
            _, form_class, label, style = self.ACTIONS[name]
            shown = form if form is not None and isinstance(form, form_class or ()) else None
            actions.append(
                {
                    "name": name,
                    "label": label,
                    "style": style,
                    "form": shown or self._blank_form(service, form_class),
                }
            )
        return render(
            request,
            "leasing/service.html",
            {
                "service": service,
                "actions": actions,
                "history": service.transitions.all(),
                "may_report": has_capability(request.user, Capability.PLACE_ORDERS)
                and service.status != ServiceStatus.TERMINATED,
                "tickets": tickets_for(request.user).filter(service=service)[:20],
            },
            status=status,
        )

    def _confirmation(self, request: HttpRequest, service: Service, name: str, data: dict) -> Any:
        circuit = service.circuit_id
        back = reverse("service", args=[circuit])
        if name == ServiceAction.SUSPEND:
            billed = still_billable(service, ends_on=service.terminated_on)
            return Confirmation(
                title=f"Suspend {circuit}?",
                action=f"{circuit} of {service.customer} stops carrying traffic until it is "
                "resumed. Its capacity stays reserved and its contract keeps billing.",
                amount=billed.headline and f"{billed.headline} still billable",
                facts=billed.facts,
                confirm_label="Suspend the service",
                cancel_url=back,
                back_label=None,
                danger=True,
            )
        if name == ServiceAction.RESUME:
            return Confirmation(
                title=f"Resume {circuit}?",
                action=f"{circuit} of {service.customer} carries traffic again.",
                confirm_label="Resume the service",
                cancel_url=back,
                back_label=None,
            )
        on = data.get("on")
        billed = still_billable(service, ends_on=on)
        if name == ServiceAction.TERMINATE:
            return Confirmation(
                title=f"End {circuit} on {format_date(on)}?",
                action=f"{circuit} of {service.customer} stops on {format_date(on)} and its "
                "capacity is sold again from that day. Until then the end can be moved or "
                "withdrawn.",
                amount=billed.headline and f"{billed.headline} still billable",
                facts=billed.facts,
                confirm_label=f"End the service on {format_date(on)}",
                cancel_url=back,
                danger=True,
            )
        was = format_date(service.terminated_on)
        if on is None:
            return Confirmation(
                title=f"Withdraw the end of {circuit}?",
                action=f"{circuit} no longer ends on {was}: it runs on, and bills, to the end "
                "of its contract and beyond as the contract renews.",
                amount=billed.headline and f"{billed.headline} billable to the contract's end",
                facts=billed.facts,
                confirm_label="Withdraw the end",
                cancel_url=back,
            )
        return Confirmation(
            title=f"Move the end of {circuit} to {format_date(on)}?",
            action=f"{circuit} ends on {format_date(on)} instead of {was}; its capacity is "
            "sold again from that day.",
            amount=billed.headline and f"{billed.headline} still billable",
            facts=billed.facts,
            confirm_label=f"End the service on {format_date(on)}",
            cancel_url=back,
            danger=True,
        )

    def get(self, request: HttpRequest, circuit_id: str) -> HttpResponse:
        return self._render(request, self._service(request, circuit_id))

    def post(self, request: HttpRequest, circuit_id: str) -> HttpResponse:
        service = self._service(request, circuit_id)
        name = request.POST.get("action", "")
        if name not in self.ACTIONS:
            raise Http404("No such action.")
        act, form_class, _, _ = self.ACTIONS[name]
        form = form_class(request.POST, service=service) if form_class else None
        try:
            # A step the viewer may not take is refused as such, before its form is read.
            check(service, name, actor=request.user)
            if form is not None and not form.is_valid():
                return self._render(request, service, form, status=400)
            data = form.cleaned_data if form else {}
            if wants_changes(request):  # back from the confirmation: the form as typed
                return self._render(request, service, form)
            if not is_confirmed(request):
                if data.get("on") is not None:  # a day out of bounds is refused before asking
                    sales.check_service_end(service, data["on"])
                return confirmation_page(request, self._confirmation(request, service, name, data))
            result = act(service=service, actor=request.user, **data)
        except DomainError as error:
            fresh = self._service(request, circuit_id)
            # On the form when the page shows it again; a message otherwise (the step is not
            # offered to this viewer or no longer offered), so the refusal is never lost.
            if form is not None and name in allowed_actions(fresh, request.user):
                add_domain_error(form, error)
            else:
                flash_domain_error(request, error)
            return self._render(request, fresh, form, status=refusal_status(error))
        messages.success(request, service_done(result, name))
        return redirect("service", circuit_id=service.circuit_id)


def _contracts(request: HttpRequest) -> QuerySet[Contract]:
    queryset = Contract.objects.select_related(
        "service__product", "service__path", "service__site", "customer", "billing_party"
    )
    return visible_to(queryset, request.user)


CONTRACT_CSV = [
    column("id", "pk"),
    column("circuit_id", "service.circuit_id"),
    column("customer", "customer.name"),
    column("billing_party", "billing_party.name"),
    column("kind"),
    column("term_months"),
    column("start_date"),
    column("end_date"),
    column("currency"),
    column("mrc"),
    column("nrc"),
    column("iru_price"),
    column("auto_renew"),
]


class ContractListView(CapabilityRequiredMixin, View):
    required_capability = Capability.VIEW_OWN_SERVICES

    def get(self, request: HttpRequest) -> HttpResponse:
        listing = portal_list(
            request,
            _contracts(request).order_by("-start_date", "-pk"),
            filterset_class=ContractFilterSet,
            ordering_fields=ContractViewSet.ordering_fields,
            search_fields=("service__circuit_id", "customer__name", "billing_party__name"),
            hide=_hidden_for(request, "customer"),
        )
        if listing.wants_csv:
            return listing.csv("contracts", CONTRACT_CSV)
        return render(request, "leasing/contracts.html", {"list": listing}, status=listing.status)


class ContractView(CapabilityRequiredMixin, View):
    required_capability = Capability.VIEW_OWN_SERVICES

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        contract = get_object_or_404(
            _contracts(request).prefetch_related("sla_tiers", "installments"), pk=pk
        )
        return render(request, "leasing/contract.html", {"contract": contract})


class ContractPdfView(CapabilityRequiredMixin, View):
    required_capability = Capability.VIEW_OWN_SERVICES

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        contract = get_object_or_404(_contracts(request), pk=pk)
        if not contract.order_form:
            raise Http404("The order form is being rendered; try again in a moment.")
        return FileResponse(
            contract.order_form.open("rb"),
            content_type="application/pdf",
            as_attachment=True,
            filename=f"{contract.service.circuit_id}-order-form.pdf",
        )
