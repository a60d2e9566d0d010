"""``/api/v1/webhooks/`` and ``/api/v1/webhook-deliveries/``: thin, over ``events.services``."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from organisations.choices import Capability
from tcfo_portal.api.idempotency import idempotent_post

from ..choices import DeliveryStatus, EventType
from ..guide import GUIDE_PATH
from ..models import WebhookDelivery, WebhookSubscription
from ..selectors import deliveries_for, subscriptions_for
from ..services import webhooks
from . import webhook_serializers as s

GUIDE = (
    f"\n\nThe partner guide, [{GUIDE_PATH}]({GUIDE_PATH}) on the portal, shows what a delivery "
    "carries (headers, body) and how to verify its `TCFO-Signature`, with a Python example."
)


@extend_schema_view(
    list=extend_schema(
        description="The webhook subscriptions of the caller's organisation." + GUIDE
    ),
    partial_update=extend_schema(request=s.WebhookUpdateSerializer, responses=s.WebhookSerializer),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The webhook subscriptions of the caller's organisation."""

    serializer_class = s.WebhookSerializer
    required_capability = Capability.MANAGE_WEBHOOKS
    lookup_value_regex = r"[0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[WebhookSubscription]:
        return subscriptions_for(self.request.user).order_by("-created_at", "-pk")

    @extend_schema(
        request=s.WebhookWriteSerializer,
        responses={201: s.WebhookCreatedSerializer},
        description="Subscribe a URL; the signing secret is in this answer only." + GUIDE,
    )
    @idempotent_post(withhold=("secret",))
    def create(self, request: Request) -> Response:
        """Subscribe a URL; the signing secret is in this answer only."""
        serializer = s.WebhookWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription, secret = webhooks.create_subscription(
            actor=request.user, **serializer.validated_data
        )
        subscription.secret = secret
        return Response(
            s.WebhookCreatedSerializer(subscription).data, status=status.HTTP_201_CREATED
        )

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        """Change the URL, the event types, the description, or enable/disable it."""
        serializer = s.WebhookUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        subscription = webhooks.update_subscription(
            actor=request.user, subscription=self.get_object(), **serializer.validated_data
        )
        return Response(s.WebhookSerializer(subscription).data)

    def perform_destroy(self, instance: WebhookSubscription) -> None:
        webhooks.delete_subscription(actor=self.request.user, subscription=instance)

    @extend_schema(
        request=None,
        responses=s.WebhookCreatedSerializer,
        description="A new signing secret, in this answer only; the old one keeps signing beside "
        "it (a second `v1=`) for `previous_secret_valid_until`." + GUIDE,
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """A new signing secret, in this answer only; the old one keeps signing beside it
        (a second ``v1=``) for ``previous_secret_valid_until``."""
        subscription, secret = webhooks.rotate_secret(
            actor=request.user, subscription=self.get_object()
        )
        subscription.secret = secret
        return Response(s.WebhookCreatedSerializer(subscription).data)


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices)
    event_type = django_filters.ChoiceFilter(field_name="event__type", choices=EventType.choices)

    class Meta:
        model = WebhookDelivery
        fields = ["status", "event_type"]


@extend_schema_view(
    get=extend_schema(description="The delivery log of one webhook, newest first." + GUIDE)
)
class WebhookDeliveryListView(generics.ListAPIView):
    """The delivery log of one webhook, newest first."""

    serializer_class = s.WebhookDeliverySerializer
    required_capability = Capability.MANAGE_WEBHOOKS
    filter_backends = [DjangoFilterBackend]
    filterset_class = DeliveryFilter

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        subscription = get_object_or_404(subscriptions_for(self.request.user), pk=self.kwargs["pk"])
        return (
            deliveries_for(self.request.user)
            .filter(subscription=subscription)
            .order_by("-created_at", "-pk")
        )


class WebhookDeliveryViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One delivery with every attempt; ``redeliver/`` queues it to be sent again now."""

    serializer_class = s.WebhookDeliveryDetailSerializer
    required_capability = Capability.MANAGE_WEBHOOKS
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        return deliveries_for(self.request.user).prefetch_related("log")

    @extend_schema(request=None, responses={202: s.WebhookDeliveryDetailSerializer})
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk: Any = None) -> Response:
        """Queue the event to be POSTed again (same event id) within moments, recording who
        asked: 202 with the delivery, pending and due now; its log shows the attempt once made.
        A 2xx answer makes the delivery delivered; another answer is logged and counts nothing
        against the webhook."""
        delivery = webhooks.redeliver(actor=request.user, delivery=self.get_object())
        return Response(
            s.WebhookDeliveryDetailSerializer(delivery).data, status=status.HTTP_202_ACCEPTED
        )
