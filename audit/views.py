from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views import View

from organisations.access import is_platform_admin
from organisations.choices import Capability
from organisations.mixins import CapabilityRequiredMixin
from tcfo_portal.lists import Column, column, portal_list

from .forms import EntryFilterForm
from .selectors import entries_for, filter_entries

PAGE_SIZE = 50
ENTRY_CSV = [
    column("id", "pk"),
    column("timestamp"),
    Column("actor", lambda e: (e.additional_data or {}).get("actor") or "system"),
    column("actor_address"),
    column("action", "get_action_display"),
    column("record_type", "content_type.name"),
    column("record", "object_repr"),
    column("changes", "changes_str"),
    Column("whose", lambda e: ", ".join(str(s) for s in e.audit_scopes.all())),
]


class EntryFilters:
    """The audit log's form (``EntryFilterForm``, which the API reads too) as a FilterSet is
    used by ``tcfo_portal.lists``."""

    filters: dict[str, Any] = {}

    def __init__(self, data: QueryDict, *, queryset: QuerySet[LogEntry], admin: bool) -> None:
        self.form = EntryFilterForm(data, show_organisation=admin)
        self.queryset = queryset

    def is_valid(self) -> bool:
        return self.form.is_valid()

    @property
    def qs(self) -> QuerySet[LogEntry]:
        return filter_entries(self.queryset, self.form.wanted())


class AuditLogView(CapabilityRequiredMixin, View):
    """Who changed what, when: platform admins see everything, an operator's staff their
    organisation's records and the consortium's."""

    required_capability = Capability.VIEW_AUDIT_LOG

    def get(self, request: HttpRequest) -> HttpResponse:
        admin = is_platform_admin(request.user)
        entries = entries_for(request.user).prefetch_related("audit_scopes__organisation")
        listing = portal_list(
            request,
            entries.select_related("content_type"),
            filterset_class=lambda data, queryset: EntryFilters(
                data, queryset=queryset, admin=admin
            ),
            ordering_fields={"timestamp": "timestamp"},
            per_page=PAGE_SIZE,
        )
        if listing.wants_csv:
            return listing.csv("audit-log", ENTRY_CSV)
        context = {"list": listing, "form": listing.form, "page": listing.page}
        return render(request, "audit/entries.html", context, status=listing.status)
