from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from .models import ApiKey, Organisation, OutgoingEmail, User
from .services import revoke_api_key


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "invoice_prefix", "time_zone", "is_active"]
    list_filter = ["kind", "country", "is_active"]
    search_fields = ["name", "legal_name", "tax_number"]
    fieldsets = [
        (None, {"fields": ["kind", "name", "legal_name", "country", "is_active"]}),
        ("Invoicing", {"fields": ["tax_number", "address", "billing_email", "currency"]}),
        ("As a billing party", {"fields": ["invoice_prefix", "time_zone"]}),
        ("Bank", {"fields": ["bank_name", "bank_account", "bank_swift"]}),
    ]


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "email", "organisation", "role", "is_active", "last_login"]
    list_filter = ["role", "organisation", "is_active"]
    list_select_related = ["organisation"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["organisation", "role", "is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["username", "email", "organisation", "role", "password1", "password2"]}),
    ]


@admin.register(ApiKey)
class ApiKeyAdmin(APIKeyModelAdmin):
    list_display = [*APIKeyModelAdmin.list_display, "organisation", "role", "last_used_at"]
    list_filter = [*APIKeyModelAdmin.list_filter, "organisation", "role"]
    list_select_related = ["organisation"]

    actions = ["revoke_selected"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: ApiKey | None = None
    ) -> tuple[str, ...]:
        fixed = ("revoked", "created_by", "revoked_at", "last_used_at")
        if obj is not None:  # a key never changes hands or powers; make a new one instead
            fixed = (*fixed, "organisation", "role")
        return tuple(dict.fromkeys((*super().get_readonly_fields(request, obj), *fixed)))

    def save_model(self, request: HttpRequest, obj: ApiKey, form: object, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke the selected API keys")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            revoke_api_key(api_key=api_key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.")


# The library's own concrete model is unused: our keys are ``ApiKey``, owned by an organisation.
admin.site.unregister(APIKey)


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """The mail outbox: what was sent when, and what is waiting or was given up, with why."""

    list_display = ["subject", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["subject"]
    readonly_fields = [field.name for field in OutgoingEmail._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OutgoingEmail | None = None) -> bool:
        return False
