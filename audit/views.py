from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from organisations.access import is_platform_admin
from organisations.choices import Capability
from organisations.mixins import CapabilityRequiredMixin

from .forms import EntryFilterForm
from .selectors import entries_for, filter_entries

PAGE_SIZE = 50


class AuditLogView(CapabilityRequiredMixin, View):
    """Who changed what, when: platform admins see everything, an operator's staff their
    organisation's records and the consortium's."""

    required_capability = Capability.VIEW_AUDIT_LOG

    def get(self, request: HttpRequest) -> HttpResponse:
        form = EntryFilterForm(request.GET, show_organisation=is_platform_admin(request.user))
        entries = entries_for(request.user)
        status = 200
        if form.is_valid():
            entries = filter_entries(entries, form.wanted())
        else:
            entries, status = entries.none(), 400
        page = Paginator(
            entries.prefetch_related("audit_scopes__organisation"), PAGE_SIZE
        ).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = {"form": form, "page": page, "query": query.urlencode()}
        return render(request, "audit/entries.html", context, status=status)
