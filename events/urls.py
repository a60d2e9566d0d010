from django.urls import path

from . import views

urlpatterns = [
    path("events/", views.EventsView.as_view(), name="events"),
    path("webhooks/", views.WebhookListView.as_view(), name="webhooks"),
    path("webhooks/guide/", views.webhook_guide, name="webhook-guide"),
    path("webhooks/<int:pk>/", views.WebhookView.as_view(), name="webhook"),
    path(
        "webhooks/deliveries/<int:pk>/redeliver/",
        views.RedeliverView.as_view(),
        name="webhook-redeliver",
    ),
]
