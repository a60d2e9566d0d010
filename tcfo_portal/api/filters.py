"""Filtering and sorting of API lists: django-filter's ``FilterSet`` (``leasing/filtersets.py``,
``billing/filtersets.py``) and an ``ordering`` parameter with an explicit list of fields.

- Filters apply to lists only (a stray parameter on one object changes nothing), and a value a
  filter cannot read is a 400 naming the parameter (``{"type": "validation_error", "errors":
  {"<parameter>": [...]}}``), never a 500: whole numbers and periods are read by the project's
  one reader of each (``tcfo_portal.inputs``, ``billing.periods``).
- ``ordering`` takes the names a view lists in ``ordering_fields`` (a mapping of the public name
  to the model's lookup), ``-`` first for descending, several separated by commas; another name
  is a 400 (DRF's own filter drops it without a word). The id breaks ties, so pages are stable.
  Without ``ordering`` a list keeps its documented order.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.request import Request

from tcfo_portal.inputs import parse_whole_number

__all__ = [
    "LIST_FILTERS",
    "ListFilterBackend",
    "OrderingBackend",
    "WholeNumberFilter",
    "YesNoFilter",
    "after",
    "before",
    "text",
]


class ListFilterBackend(DjangoFilterBackend):
    """django-filter's backend, on lists only."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        if getattr(view, "action", "list") != "list":
            return queryset
        return super().filter_queryset(request, queryset, view)


class OrderingBackend(BaseFilterBackend):
    """``?ordering=`` over the view's ``ordering_fields`` (public name -> lookup)."""

    param = "ordering"

    @staticmethod
    def fields_of(view: Any) -> dict[str, str]:
        return dict(getattr(view, "ordering_fields", None) or {})

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        raw = request.query_params.get(self.param)
        if getattr(view, "action", "list") != "list" or raw is None or raw == "":
            return queryset
        allowed = self.fields_of(view)
        lookups = []
        for term in (part.strip() for part in raw.split(",")):
            name = term.removeprefix("-")
            if name not in allowed:
                choices = ", ".join(sorted(allowed))
                raise ValidationError(
                    {self.param: [f"Sort by one of {choices} (a - first for descending)."]}
                )
            lookups.append(("-" if term.startswith("-") else "") + allowed[name])
        descending = lookups[-1].startswith("-")
        return queryset.order_by(*lookups, "-pk" if descending else "pk")

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        allowed = sorted(self.fields_of(view))
        if not allowed:
            return []
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": "Sort by a field, descending with a - first; several separated "
                f"by commas. One of: {', '.join(allowed)}.",
                "schema": {"type": "string", "enum": [*allowed, *(f"-{n}" for n in allowed)]},
            }
        ]


#: The filter backends of every API list.
LIST_FILTERS = [ListFilterBackend, OrderingBackend]


class WholeNumberField(forms.Field):
    """A positive whole number: ASCII digits within a ``bigint`` (``tcfo_portal.inputs``). An
    empty value given is refused like any other that is not one."""

    def to_python(self, value: Any) -> int | None:
        if value is None:  # not asked for
            return None
        number = parse_whole_number(value, minimum=1)
        if number is None:
            raise forms.ValidationError("Give a whole number from 1.", code="invalid")
        return number


@extend_schema_field({"type": "integer", "minimum": 1})
class WholeNumberFilter(django_filters.NumberFilter):
    """An id: a positive whole number (``WholeNumberField``)."""

    field_class = WholeNumberField


def after(field_name: str, what: str, *, moment: bool = False) -> django_filters.DateFilter:
    """Only those whose ``field_name`` is on or after a day (of a moment: its day in the
    portal's time zone)."""
    lookup = "date__gte" if moment else "gte"
    return django_filters.DateFilter(
        field_name=field_name,
        lookup_expr=lookup,
        label=f"Only those {what} on or after (YYYY-MM-DD).",
    )


def before(field_name: str, what: str, *, moment: bool = False) -> django_filters.DateFilter:
    """Only those whose ``field_name`` is on or before a day."""
    lookup = "date__lte" if moment else "lte"
    return django_filters.DateFilter(
        field_name=field_name,
        lookup_expr=lookup,
        label=f"Only those {what} on or before (YYYY-MM-DD).",
    )


YES_NO = [("true", "true"), ("false", "false")]


class YesNoFilter(django_filters.ChoiceFilter):
    """``true`` or ``false`` (anything else is a 400; django-filter's ``BooleanFilter`` would
    ignore it). ``field_name`` is a lookup that takes a bool (``ended_at__isnull``); with
    ``negate`` ``true`` asks for the lookup false. With ``method`` the method gets the text."""

    def __init__(self, *args: Any, negate: bool = False, **kwargs: Any) -> None:
        self.negate = negate
        super().__init__(*args, choices=YES_NO, **kwargs)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value in ("", None):
            return qs
        return qs.filter(**{self.field_name: (value == "true") != self.negate})


def text(field_name: str, label: str) -> django_filters.CharFilter:
    """An exact code or name."""
    return django_filters.CharFilter(field_name=field_name, label=label)
