"""The portal's pages of the events app: the events list; webhooks (subscriptions, secrets shown
once, the delivery log)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import View

from organisations.access import capabilities_of, is_platform_admin
from organisations.choices import Capability
from organisations.mixins import CapabilityRequiredMixin
from tcfo_portal.confirm import Confirmation, confirmation_page, is_confirmed, wants_changes
from tcfo_portal.exceptions import DomainError
from tcfo_portal.formatting import format_number
from tcfo_portal.forms import flash_domain_error, submit
from tcfo_portal.lists import Column, column, portal_list

from .choices import DeliveryStatus
from .filters import PortalEventFilterSet
from .forms import DeliveryFilterForm, WebhookForm
from .guide import guide
from .models import WebhookAttempt, WebhookSubscription
from .selectors import deliveries_for, events_for, subscriptions_for
from .services import webhooks
from .subjects import subject_link

_SECRET_COOKIE = "new_webhook_secret"  # noqa: S105 (a cookie name)
DELIVERIES_PER_PAGE = 50


def _hand_over_secret(
    request: HttpRequest, response: HttpResponse, secret: str, subscription: WebhookSubscription
) -> None:
    """Carry a new secret over the redirect to the one load of its webhook's page that shows
    it, in a short-lived signed cookie of the browser that asked (as the API keys page does),
    naming that webhook: no other page shows it."""
    response.set_signed_cookie(
        _SECRET_COOKIE,
        json.dumps({"secret": secret, "webhook": subscription.pk}),
        salt=_SECRET_COOKIE,
        max_age=60,
        path=reverse("webhook", args=[subscription.pk]),
        secure=request.is_secure(),
        httponly=True,
        samesite="Strict",
    )


def _with_secret(
    request: HttpRequest, subscription: WebhookSubscription, render_page: Any
) -> HttpResponse:
    """The page of ``subscription``, showing the secret handed over for it (once)."""
    handed = request.get_signed_cookie(
        _SECRET_COOKIE, default=None, salt=_SECRET_COOKIE, max_age=60
    )
    secret = None
    if handed:
        try:
            carried = json.loads(handed)
        except ValueError:
            carried = {}
        if isinstance(carried, dict) and carried.get("webhook") == subscription.pk:
            secret = carried.get("secret")
    response = render_page(secret)
    if secret:
        response.delete_cookie(_SECRET_COOKIE, path=reverse("webhook", args=[subscription.pk]))
        add_never_cache_headers(response)
    return response


def _attempt_outcome(attempt: WebhookAttempt) -> str:
    """What one attempt got: the error (a failed answer's reads ``answered 500``), or the
    answer's status."""
    if attempt.error:
        return attempt.error
    return f"answered {attempt.response_status}" if attempt.response_status else "no answer"


WEBHOOK_ORDERING = {"created_at": "created_at", "url": "url"}
WEBHOOK_CSV = [
    column("id", "pk"),
    column("url"),
    column("description"),
    Column("event_types", lambda w: " ".join(w.event_types or [])),
    column("is_active"),
    column("consecutive_failures"),
    column("last_success_at"),
    column("created_at"),
    column("created_by"),
    column("organisation", "organisation.name"),
]


class WebhookListView(CapabilityRequiredMixin, View):
    required_capability = Capability.MANAGE_WEBHOOKS
    template_name = "events/webhooks.html"

    def _page(
        self, request: HttpRequest, form: WebhookForm | None, status: int = 200, **context: Any
    ) -> HttpResponse:
        subscriptions: QuerySet[WebhookSubscription] = subscriptions_for(request.user).order_by(
            "-created_at", "-pk"
        )
        listing = portal_list(
            request,
            subscriptions,
            ordering_fields=WEBHOOK_ORDERING,
            search_fields=("url", "description"),
        )
        if request.user.organisation is None:
            form = None  # a platform admin sees every webhook, creates none
        return render(
            request,
            self.template_name,
            {"list": listing, "webhooks": listing.page_rows, "form": form, **context},
            status=max(status, listing.status),
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.GET.get("format") == "csv":
            listing = portal_list(
                request,
                subscriptions_for(request.user).order_by("-created_at", "-pk"),
                ordering_fields=WEBHOOK_ORDERING,
                search_fields=("url", "description"),
            )
            return listing.csv("webhooks", WEBHOOK_CSV)
        return self._page(request, WebhookForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = WebhookForm(request.POST)
        created: dict[str, Any] = {}

        def create(**data: Any) -> None:
            created["subscription"], created["secret"] = webhooks.create_subscription(
                actor=request.user, **data
            )

        if submit(form, create):
            response = redirect("webhook", pk=created["subscription"].pk)
            _hand_over_secret(request, response, created["secret"], created["subscription"])
            return response
        return self._page(request, form, status=400)


class WebhookView(CapabilityRequiredMixin, View):
    """One webhook: its settings, enable/disable, rotation, deletion and its delivery log."""

    required_capability = Capability.MANAGE_WEBHOOKS
    template_name = "events/webhook.html"

    def _subscription(self, request: HttpRequest, pk: int) -> WebhookSubscription:
        return get_object_or_404(subscriptions_for(request.user), pk=pk)

    def _page(
        self,
        request: HttpRequest,
        subscription: WebhookSubscription,
        form: WebhookForm,
        status: int = 200,
        **context: Any,
    ) -> HttpResponse:
        filters = DeliveryFilterForm(request.GET or None)
        deliveries = (
            deliveries_for(request.user)
            .filter(subscription=subscription)
            .select_related("event")
            .prefetch_related("log")
            .order_by("-created_at", "-pk")
        )
        if filters.is_valid():
            if filters.cleaned_data["status"]:
                deliveries = deliveries.filter(status=filters.cleaned_data["status"])
            if filters.cleaned_data["event_type"]:
                deliveries = deliveries.filter(event__type=filters.cleaned_data["event_type"])
        page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
        held = capabilities_of(request.user)
        rows = [
            (
                delivery,
                subject_link(delivery.event, held),
                [(attempt, _attempt_outcome(attempt)) for attempt in delivery.log.all()],
            )
            for delivery in page
        ]
        query = {k: v for k, v in filters.data.items() if k in ("status", "event_type") and v}
        return render(
            request,
            self.template_name,
            {
                "webhook": subscription,
                "form": form,
                "filters": filters,
                "page": page,
                "rows": rows,
                "query": urlencode(query),
                "statuses": DeliveryStatus,
                **context,
            },
            status=status,
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        subscription = self._subscription(request, pk)
        form = WebhookForm(
            initial={
                "url": subscription.url,
                "event_types": subscription.event_types,
                "description": subscription.description,
            }
        )
        return _with_secret(
            request,
            subscription,
            lambda secret: self._page(request, subscription, form, new_secret=secret),
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        subscription = self._subscription(request, pk)
        action = request.POST.get("action")
        actor = request.user
        if action in ("rotate", "delete"):
            if wants_changes(request):
                return redirect("webhook", pk=subscription.pk)
            if not is_confirmed(request):
                return confirmation_page(request, _webhook_confirmation(subscription, action))
        try:
            if action == "update":
                form = WebhookForm(request.POST)
                if not submit(
                    form,
                    lambda **data: webhooks.update_subscription(
                        actor=actor, subscription=subscription, **data
                    ),
                ):
                    return self._page(request, subscription, form, status=400)
                messages.success(request, "The webhook is saved.")
            elif action in ("enable", "disable"):
                webhooks.update_subscription(
                    actor=actor, subscription=subscription, is_active=action == "enable"
                )
                messages.success(request, f"The webhook is {action}d.")
            elif action == "rotate":
                _, secret = webhooks.rotate_secret(actor=actor, subscription=subscription)
                response = redirect("webhook", pk=subscription.pk)
                _hand_over_secret(request, response, secret, subscription)
                return response
            elif action == "delete":
                webhooks.delete_subscription(actor=actor, subscription=subscription)
                messages.success(request, f"The webhook to {subscription.url} is deleted.")
                return redirect("webhooks")
            else:
                messages.error(request, "Unknown action.")
        except DomainError as error:
            flash_domain_error(request, error)
        return redirect("webhook", pk=subscription.pk)


def _webhook_confirmation(subscription: WebhookSubscription, action: str) -> Confirmation:
    back = reverse("webhook", args=[subscription.pk])
    if action == "rotate":
        hours = settings.TCFO_WEBHOOK_SECRET_GRACE_HOURS
        return Confirmation(
            title=f"Make a new secret for the webhook to {subscription.url}?",
            action="Deliveries are signed with a new secret, shown once on the next page. The "
            f"current secret keeps signing too for {hours} hours, so your receiver can "
            "change over without losing a message; after that only the new one signs.",
            facts=[("Grace period", f"{hours} hours")],
            confirm_label="Make a new secret",
            cancel_url=back,
        )
    return Confirmation(
        title=f"Delete the webhook to {subscription.url}?",
        action="No further event is delivered to this address, and its delivery log is "
        "deleted with it. This cannot be undone: a new webhook gets a new secret.",
        facts=[("Deliveries logged", format_number(subscription.deliveries.count()))],
        confirm_label="Delete the webhook",
        cancel_url=back,
        danger=True,
    )


class RedeliverView(CapabilityRequiredMixin, View):
    required_capability = Capability.MANAGE_WEBHOOKS

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        delivery = get_object_or_404(
            deliveries_for(request.user).select_related("subscription__organisation"), pk=pk
        )
        try:
            delivery = webhooks.redeliver(actor=request.user, delivery=delivery)
        except DomainError as error:
            flash_domain_error(request, error)
        else:
            messages.success(
                request,
                f"Event {delivery.event.uid} is queued to be sent again: its attempt shows in "
                "the log below within a minute.",
            )
        return redirect("webhook", pk=delivery.subscription_id)


# --- the events list ---

EVENTS_PAGE_SIZE = 50
EVENT_CSV = [
    column("uid"),
    column("occurred_at"),
    column("type"),
    column("subject_type"),
    column("subject_id"),
    column("organisation", "organisation.name"),
]


class EventsView(CapabilityRequiredMixin, View):
    """The organisation's recent events, newest first, filtered as a person does
    (``PortalEventFilterSet``, the API's filters with a type list and dates): what its webhooks
    are sent and ``GET /api/v1/events/`` gives. Each links to the portal page of its subject."""

    def get(self, request: HttpRequest) -> HttpResponse:
        admin = is_platform_admin(request.user)
        listing = portal_list(
            request,
            events_for(request.user).select_related("organisation").order_by("-position"),
            filterset_class=PortalEventFilterSet,
            per_page=EVENTS_PAGE_SIZE,
            hide=() if admin else ("organisation",),
        )
        if listing.wants_csv:
            return listing.csv("events", EVENT_CSV)
        held = capabilities_of(request.user)
        rows = [
            (event, subject_link(event, held), json.dumps(event.data, indent=2, sort_keys=True))
            for event in listing.page_rows
        ]
        context = {
            "list": listing,
            "form": listing.form,
            "rows": rows,
            "may_manage_webhooks": Capability.MANAGE_WEBHOOKS in held,
        }
        return render(request, "events/events.html", context, status=listing.status)


# --- the partner guide ---


def webhook_guide(request: HttpRequest) -> HttpResponse:
    """``docs/webhooks.md`` as a page: documentation, open to anyone as the API docs are (it
    names no organisation and holds no data)."""
    title, body = guide()
    may_manage = request.user.is_authenticated and (
        Capability.MANAGE_WEBHOOKS in capabilities_of(request.user)
    )
    context = {"title": title, "body": body, "may_manage_webhooks": may_manage}
    return render(request, "events/webhook_guide.html", context)
