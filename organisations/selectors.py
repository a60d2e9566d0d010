"""Reads of organisations that several apps share."""

from __future__ import annotations

from django.db.models import QuerySet

from .choices import OrganisationKind
from .models import Organisation


def consortium_operators() -> QuerySet[Organisation]:
    """The consortium's active operators: who may own inventory, be named billing party, bill.

    Lazy like any queryset, so forms and serializers may hold it as a field's choices."""
    return Organisation.objects.filter(kind=OrganisationKind.OPERATOR, is_active=True)
