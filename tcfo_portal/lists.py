"""The portal's lists: one way to search, filter, sort, page and export every list page.

A view hands ``portal_list`` the rows the acting user may see (from the app's selector: who
sees what is decided there, never here), the API's FilterSet of that list and the API view's
``ordering_fields``; it gets back a ``PortalList``:

- ``?<filter>=`` are the FilterSet's own parameters (the API's names: a dashboard's link to
  ``/invoices/?status=draft`` means what ``GET /api/v1/invoices/?status=draft`` means);
- ``?q=`` searches the view's ``search_fields`` (contains, any case), a portal addition;
- ``?ordering=`` is one of the allowed names, ``-`` first for descending (the id breaks ties,
  so pages are stable); without it the rows keep the order the view gave them;
- ``?page=`` picks a page of ``PER_PAGE`` rows (Django's ``Paginator``);
- ``?format=csv`` streams every filtered, ordered row (not the page) as CSV.

A value a filter cannot read, or an unknown sort, is a message on the page and a 400 (the list
then shows no rows); a CSV asked for with one is a 400 in plain text.

CSV cells: text that a spreadsheet would read as a formula (starting with ``= + - @``, a tab
or a carriage return) gets a ``'`` first; numbers and money are plain decimals (``12500.00``)
with their currency in a column of its own; days ``YYYY-MM-DD``, moments ISO 8601 in UTC.
"""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import reduce
from operator import or_
from typing import Any

from django import forms
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django_filters import FilterSet
from django_filters.conf import settings as filter_settings
from django_filters.filterset import filterset_factory

from .widgets import DateInput

PER_PAGE = 50
CSV_CHUNK = 500
# Parameters of the list itself, never a filter's.
LIST_PARAMETERS = ("page", "ordering", "format", "q")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EMPTY_CHOICE_LABEL = filter_settings.EMPTY_CHOICE_LABEL  # django-filters' "---------"


@dataclass(frozen=True)
class Column:
    """A CSV column: its header and how a row gives its value."""

    header: str
    value: Callable[[Any], object]


def column(header: str, path: str | None = None) -> Column:
    """A column reading ``path`` (``customer.name``) of each row; ``header`` when omitted."""
    steps = (path or header).split(".")

    def value(row: Any) -> object:
        for step in steps:
            if row is None:
                return None
            try:
                row = getattr(row, step)
            except ObjectDoesNotExist:  # a one-to-one not made yet (a quote's order)
                return None
        return row() if callable(row) else row

    return Column(header, value)


def csv_cell(value: object) -> object:
    """What one cell holds: formulas neutralised, numbers plain, times ISO in UTC."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int | float):
        return value
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file that hands back what is written to it (for a streamed CSV)."""

    def write(self, value: str) -> str:
        return value


YES_NO_LABELS = {"true": "Yes", "false": "No"}


def _date_inputs(form: forms.Form, filterset: FilterSet | None = None) -> None:
    """Filters as people use them: days picked from a calendar (ISO values, whatever the
    locale), choices with "Any", Yes/No for the API's true/false (the values unchanged), API
    sentences as help under a short label, and a label from the parameter's name where the
    FilterSet gave none (not django-filter's "Creation date date is greater than or equal
    to")."""
    # The class's filters: an instance's has filled its label in by now.
    declared = getattr(type(filterset), "base_filters", {})
    for name, bound in form.fields.items():
        if name in declared and getattr(declared[name], "_label", "") is None:
            bound.label = name.replace("_", " ").capitalize()
        if isinstance(bound, forms.DateField):
            bound.widget = DateInput()
        if getattr(bound, "empty_label", None) == EMPTY_CHOICE_LABEL:  # django-filters' (i15-i)
            # Its choices put the empty (and null) label first themselves, field and widget.
            bound.empty_label = "Any"
            added = {"", None}
            if getattr(bound, "null_label", None) is not None:
                added.add(bound.null_value)
            choices = [c for c in bound.choices if c[0] not in added]
            if {value for value, _ in choices} == set(YES_NO_LABELS):
                choices = [(value, YES_NO_LABELS[value]) for value, _ in choices]
            bound.choices = choices
        elif isinstance(bound, forms.ChoiceField) and not isinstance(
            bound, forms.MultipleChoiceField
        ):
            choices = list(bound.choices)
            empty = bool(choices) and choices[0][0] in ("", None)
            if empty:
                choices = choices[1:]
            if {value for value, _ in choices} == set(YES_NO_LABELS):
                choices = [(value, YES_NO_LABELS[value]) for value, _ in choices]
            if getattr(bound, "empty_label", None) is not None:  # its own ("Any type"), kept
                empty = False
            bound.choices = [("", "Any"), *choices] if empty else choices
        label = str(bound.label or "")
        if not label or label.endswith("."):  # an API sentence: keep it as the help
            bound.help_text = bound.help_text or label
            bound.label = name.replace("_", " ").capitalize()
        bound.required = False


@dataclass
class PortalList:
    """One list page's rows, page, filters, ordering and query strings."""

    request: HttpRequest
    filters: FilterSet | RowFilters
    rows: QuerySet | list[Any]
    ordering_fields: dict[str, str]
    ordering: str = ""
    search: str = ""
    searchable: bool = False
    errors: list[str] = field(default_factory=list)
    per_page: int = PER_PAGE
    page: Page | None = None

    @property
    def form(self) -> forms.Form:
        return self.filters.form

    @property
    def status(self) -> int:
        return 400 if self.errors or self.filters.form.errors else 200

    @property
    def wants_csv(self) -> bool:
        return self.request.GET.get("format") == "csv"

    @property
    def active_filters(self) -> int:
        """How many of the FilterSet's filters the request sets (search, sort and page aside)."""
        names = {name for name in self.request.GET if name not in LIST_PARAMETERS}
        return sum(
            1
            for name in self.filters.form.fields
            if any(
                (n == name or n.startswith(f"{name}_")) and self.request.GET.get(n, "").strip()
                for n in names
            )
        )

    @property
    def filters_open(self) -> bool:
        """The filters show unfolded when one is set or one is wrong."""
        return bool(self.active_filters or self.filters.form.errors)

    @property
    def filtered(self) -> bool:
        return any(v for k, v in self.request.GET.items() if k not in ("page", "format"))

    def _query(self, *drop: str, **values: str) -> str:
        query: QueryDict = self.request.GET.copy()
        for name in (*drop, *values):
            query.pop(name, None)
        for name, value in values.items():
            if value:
                query[name] = value
        return query.urlencode()

    @property
    def query(self) -> str:
        """The query string without the page (for the pages' links)."""
        return self._query("page", "format")

    @property
    def csv_query(self) -> str:
        return self._query("page", format="csv")

    def sort_query(self, name: str) -> tuple[str, str | None]:
        """The query string sorting by ``name`` (the other way when it already is), and the
        column's ``aria-sort`` now."""
        if self.ordering == name:
            return self._query("page", "format", ordering=f"-{name}"), "ascending"
        if self.ordering == f"-{name}":
            return self._query("page", "format", ordering=name), "descending"
        return self._query("page", "format", ordering=name), None

    @property
    def page_rows(self) -> Sequence[Any]:
        return self.page.object_list if self.page is not None else []

    def csv(
        self, filename: str, columns: Sequence[Column], rows: Iterable[Any] | None = None
    ) -> HttpResponse | StreamingHttpResponse:
        """Every filtered, ordered row (``rows`` when the view transforms them) as CSV."""
        if self.status != 200:
            messages = [*self.errors, *_form_errors(self.filters.form)]
            return HttpResponse("\n".join(messages), status=400, content_type="text/plain")
        writer = csv.writer(_Echo())

        def lines() -> Iterator[str]:
            yield writer.writerow([c.header for c in columns])
            source = rows if rows is not None else self.rows
            if isinstance(source, QuerySet):
                source = source.iterator(chunk_size=CSV_CHUNK)
            for row in source:
                yield writer.writerow([csv_cell(c.value(row)) for c in columns])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response


def _form_errors(form: forms.Form) -> list[str]:
    return [
        f"{form.fields[name].label if name in form.fields else name}: {message}"
        for name, messages in form.errors.items()
        for message in messages
    ]


def ordering_lookups(raw: str, allowed: dict[str, str]) -> list[str]:
    """``-created_at,state`` -> lookups, the id last to break ties; an unknown name is a
    ``ValueError`` saying which are known (the API's ``OrderingBackend`` reads it the same)."""
    lookups = []
    for term in (part.strip() for part in raw.split(",")):
        name = term.removeprefix("-")
        if name not in allowed:
            choices = ", ".join(sorted(allowed))
            raise ValueError(f"Sort by one of {choices} (a - first for descending).")
        lookups.append(("-" if term.startswith("-") else "") + allowed[name])
    descending = lookups[-1].startswith("-")
    return [*lookups, "-pk" if descending else "pk"]


def portal_list(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    filterset_class: type[FilterSet] | Callable[..., Any] | None = None,
    ordering_fields: dict[str, str] | None = None,
    search_fields: Sequence[str] = (),
    per_page: int = PER_PAGE,
    data: QueryDict | None = None,
    hide: Sequence[str] = (),
) -> PortalList:
    """The visible rows ``queryset`` filtered (``filterset_class``), searched, ordered and
    paged as the request asks (see the module's docstring). ``filterset_class`` may be any
    callable taking ``(data, queryset=)`` and giving ``form``, ``is_valid()``, ``qs`` and
    ``filters`` (the audit log's form does); ``hide`` drops filters that mean
    nothing to this viewer (a customer's ``customer``)."""
    if filterset_class is None:  # a list the API does not filter: search and sort only
        filterset_class = filterset_factory(queryset.model, fields=[])
    filters = filterset_class(data if data is not None else request.GET, queryset=queryset)
    for name in hide:
        filters.filters.pop(name, None)
        filters.form.fields.pop(name, None)
    _date_inputs(filters.form, filters)
    allowed = dict(ordering_fields or {})
    listing = PortalList(
        request=request,
        filters=filters,
        rows=queryset.none(),
        ordering_fields=allowed,
        searchable=bool(search_fields),
        per_page=per_page,
    )
    if not filters.is_valid():
        listing.page = Paginator(listing.rows, per_page).get_page(1)
        return listing
    rows = filters.qs
    search = request.GET.get("q", "").strip()[:200]
    if search and search_fields:
        listing.search = search
        rows = rows.filter(reduce(or_, (Q(**{f"{f}__icontains": search}) for f in search_fields)))
    raw = request.GET.get("ordering", "").strip()
    if raw:
        try:
            rows = rows.order_by(*ordering_lookups(raw, allowed))
            listing.ordering = raw
        except ValueError as error:
            listing.errors.append(str(error))
            rows = rows.none()
    listing.rows = rows
    listing.page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    return listing


# --- i15-i begin: lists computed in Python (aging, locked logins) ---


class RowFilters:
    """The filters of a computed list, as ``portal_list``'s FilterSets: a form whose fields are
    the filters (the API's parameters where the API has the list) and ``keep(row, values)``
    saying whether a row passes the cleaned ``values`` (blank ones are dropped first)."""

    def __init__(
        self,
        data: QueryDict,
        form_class: type[forms.Form],
        keep: Callable[[Any, dict[str, Any]], bool],
    ) -> None:
        self.form = form_class(data)
        self.keep = keep

    def is_valid(self) -> bool:
        return self.form.is_valid()

    def apply(self, rows: Sequence[Any]) -> list[Any]:
        values = {k: v for k, v in self.form.cleaned_data.items() if v not in (None, "", [])}
        return [row for row in rows if self.keep(row, values)] if values else list(rows)


def _sort_key(value: object) -> tuple[bool, object]:
    """Rows without a value last (as PostgreSQL's ascending order puts NULLs)."""
    return (value is None, value if value is not None else 0)


def computed_list(
    request: HttpRequest,
    rows: Sequence[Any],
    *,
    form_class: type[forms.Form],
    keep: Callable[[Any, dict[str, Any]], bool],
    ordering_fields: dict[str, Callable[[Any], object]],
    search: Callable[[Any], str] | None = None,
    per_page: int = PER_PAGE,
) -> PortalList:
    """``portal_list`` for rows a service computes (no queryset to filter): the same
    parameters, messages, pages and CSV, filtered by ``keep``, searched in ``search(row)``
    (any case) and sorted by ``ordering_fields`` (name -> the row's value; the order the rows
    came in breaks ties). The viewer's rows are decided before, by the service."""
    filters = RowFilters(request.GET, form_class, keep)
    _date_inputs(filters.form)
    listing = PortalList(
        request=request,
        filters=filters,
        rows=[],
        ordering_fields=dict(ordering_fields),  # type: ignore[arg-type]
        searchable=search is not None,
        per_page=per_page,
    )
    if filters.is_valid():
        kept = filters.apply(rows)
        text = request.GET.get("q", "").strip()[:200]
        if text and search is not None:
            listing.search = text
            kept = [row for row in kept if text.casefold() in search(row).casefold()]
        raw = request.GET.get("ordering", "").strip()
        if raw:
            terms = [part.strip() for part in raw.split(",")]
            unknown = [t for t in terms if t.removeprefix("-") not in ordering_fields]
            if unknown:
                choices = ", ".join(sorted(ordering_fields))
                listing.errors.append(f"Sort by one of {choices} (a - first for descending).")
                kept = []
            else:
                for term in reversed(terms):  # stable sorts, the last term first
                    value = ordering_fields[term.removeprefix("-")]
                    kept.sort(key=lambda row, v=value: _sort_key(v(row)), reverse=term[0] == "-")
                listing.ordering = raw
        listing.rows = kept
    listing.page = Paginator(listing.rows, per_page).get_page(request.GET.get("page"))
    return listing


# --- i15-i end ---
