from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["position", "type", "organisation", "subject_type", "subject_id", "occurred_at"]
    list_filter = ["type", "organisation"]
    search_fields = ["uid", "subject_id"]
    readonly_fields = [f.name for f in Event._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["at", "response_status", "error", "duration_ms", "requested_by"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "subscription", "status", "attempts", "response_status"]
    list_filter = ["status"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [WebhookAttemptInline]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["organisation", "url", "is_active", "consecutive_failures", "created_at"]
    list_filter = ["is_active"]
    exclude = ["secret", "previous_secret"]
    # Where events go and whose they are change through the services only (the URL is checked
    # there, the organisation is the tenant).
    readonly_fields = ["organisation", "url"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a subscription is created with its secret by the service
