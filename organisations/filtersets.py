"""Filters of the organisation's API keys list (shared by the API and, later, the portal)."""

from __future__ import annotations

import django_filters

from tcfo_portal.api.filters import YesNoFilter

from .choices import Role
from .models import ApiKey


class ApiKeyFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices, label="Only keys acting in this role.")
    revoked = YesNoFilter(field_name="revoked", label="Whether revoked.")

    class Meta:
        model = ApiKey
        fields: list[str] = []
