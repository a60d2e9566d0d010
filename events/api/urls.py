"""The events app's API routes, included under ``/api/v1/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .webhook_views import WebhookDeliveryListView, WebhookDeliveryViewSet, WebhookViewSet

urlpatterns: list = []

# --- Webhooks (subscriptions, their delivery log, redelivery) ---
webhook_router = SimpleRouter()
webhook_router.register("webhooks", WebhookViewSet, basename="webhook")
webhook_router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
urlpatterns += [
    path(
        "webhooks/<int:pk>/deliveries/",
        WebhookDeliveryListView.as_view(),
        name="webhook-deliveries",
    ),
    *webhook_router.urls,
]
# --- end of webhooks ---

# --- Events (the events list) ---
