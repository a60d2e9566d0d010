"""The events app's API routes, included under ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .event_views import EventViewSet
from .webhook_views import WebhookDeliveryListView, WebhookDeliveryViewSet, WebhookViewSet

router = SimpleRouter()
# The events list, for partners who pull (``?after=<event id>``).
router.register("events", EventViewSet, basename="event")
# Webhooks: subscriptions, their delivery log, redelivery.
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path(
        "webhooks/<int:pk>/deliveries/",
        WebhookDeliveryListView.as_view(),
        name="webhook-deliveries",
    ),
    *router.urls,
]
