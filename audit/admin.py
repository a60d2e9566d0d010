"""The audit log in the Django admin (platform admins only): django-auditlog's own admin, read
only, with who acted when that is no person (an API key, a task, a command)."""

from __future__ import annotations

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.http import HttpRequest

admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditEntryAdmin(LogEntryAdmin):
    list_display = ["created", "resource_url", "action", "msg_short", "who", "cid_url"]
    readonly_fields = [*LogEntryAdmin.readonly_fields, "who", "remote_addr"]
    fieldsets = [
        (None, {"fields": ["created", "who", "user_url", "remote_addr", "resource_url"]}),
        ("Changes", {"fields": ["action", "msg"]}),
    ]

    @admin.display(description="who")
    def who(self, obj: LogEntry) -> str:
        return (obj.additional_data or {}).get("actor", "")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
