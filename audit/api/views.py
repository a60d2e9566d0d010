"""The audit log over the API: the portal page's entries and filters (``audit.selectors``,
``audit.forms.EntryFilterForm``). Reading it is a person's capability (``VIEW_AUDIT_LOG`` is
people-only): a browser session of an operator's staff or a platform admin; an API key is
refused (403) like a customer."""

from __future__ import annotations

from auditlog.models import LogEntry
from django.db.models import QuerySet
from django.http import QueryDict
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError

from organisations.access import is_platform_admin
from organisations.choices import Capability
from tcfo_portal.inputs import whole_number

from ..forms import EntryFilterForm
from ..selectors import entries_for, filter_entries
from .serializers import ACTIONS, AuditEntrySerializer

ACTION_NUMBERS = {name: str(number) for number, name in ACTIONS.items()}


def _form_data(params: QueryDict) -> dict[str, str]:
    """The query as the portal's form reads it: ``action`` by name, ids as whole numbers (an
    empty or malformed one is refused, naming it, rather than ignored)."""
    data = {name: params.get(name) for name in params}
    for name in ("record_type", "organisation"):
        if name in data:
            data[name] = str(whole_number(data[name], name=name, minimum=1))
    if "action" in data:
        if data["action"] not in ACTION_NUMBERS:
            raise ValidationError({"action": [f"One of {', '.join(ACTION_NUMBERS)}."]})
        data["action"] = ACTION_NUMBERS[data["action"]]
    return data


FILTERS = [
    OpenApiParameter("record_type", int, description="Only records of this type (its id)."),
    OpenApiParameter("action", str, enum=list(ACTION_NUMBERS), description="Only this action."),
    OpenApiParameter("actor", str, description="Who acted: part of the name."),
    OpenApiParameter("record", str, description="The record: part of its name."),
    OpenApiParameter(
        "organisation", int, description="Whose record (an organisation's id): platform admins."
    ),
    OpenApiParameter("since", str, description="From this day (YYYY-MM-DD)."),
    OpenApiParameter("until", str, description="Up to this day (YYYY-MM-DD)."),
]


@extend_schema(parameters=FILTERS)
class AuditEntryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Who changed what, when: platform admins everything, an operator's staff their
    organisation's records and the consortium's, newest first."""

    serializer_class = AuditEntrySerializer
    required_capability = Capability.VIEW_AUDIT_LOG

    def get_queryset(self) -> QuerySet[LogEntry]:
        if getattr(self, "swagger_fake_view", False):  # the schema, without a caller
            return LogEntry.objects.none()
        user = self.request.user
        admin = is_platform_admin(user)
        if not admin and "organisation" in self.request.query_params:
            # the portal's form has no such field for them; here it is refused, not ignored
            raise ValidationError({"organisation": ["Only platform admins filter by it."]})
        form = EntryFilterForm(_form_data(self.request.query_params), show_organisation=admin)
        if not form.is_valid():
            raise ValidationError(
                {
                    name: [error["message"] for error in errors]
                    for name, errors in form.errors.get_json_data().items()
                }
            )
        entries = filter_entries(entries_for(user), form.wanted())
        return entries.prefetch_related("audit_scopes__organisation")
