"""The first and the last day a date holds (0001-01-01, 9999-12-31) in any date filter of any
list, portal or API, is an answer (200) or a refusal (400), never a 500: a filter that adds a day
to the last one, or a moment outside what a date holds, must not overflow.

The portal's lists are found by walking the URL resolver (pages without arguments) and reading
their date inputs; the API's lists by the date filters of their ``filterset_class``."""

from __future__ import annotations

import re
from typing import Any

import django_filters
import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from organisations.choices import Role

from ..conftest import key_client
from ..factories import UserFactory

pytestmark = pytest.mark.django_db

EDGES = ("9999-12-31", "0001-01-01")
DATE_FILTERS = (django_filters.DateFilter, django_filters.IsoDateTimeFilter)


def _patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, Any]]:
    found = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _patterns(entry, route)
        elif isinstance(entry, URLPattern) and "<" not in route and "(?P" not in route:
            path = "/" + route.replace("^", "").replace("$", "").replace("\\", "")
            found.append((path, entry.callback))
    return found


def _api_lists() -> list[tuple[str, list[str]]]:
    lists = []
    for path, callback in _patterns(get_resolver()):
        filterset = getattr(getattr(callback, "cls", None), "filterset_class", None)
        if not path.startswith("/api/") or filterset is None:
            continue
        names = [n for n, f in filterset.base_filters.items() if isinstance(f, DATE_FILTERS)]
        if names:
            lists.append((path, names))
    return lists


def _portal_pages() -> list[str]:
    return [p for p, _ in _patterns(get_resolver()) if not p.startswith(("/api/", "/admin/"))]


def test_every_date_filter_takes_the_first_and_last_day_without_a_500(sales_net):
    net = sales_net
    readers = [
        net.noc,
        UserFactory(organisation=net.azt, role=Role.OPERATOR_FINANCE),
        net.buyer,
        UserFactory(organisation=None, role=Role.PLATFORM_ADMIN, is_staff=True),
    ]
    tried, api_tried, failures = 0, 0, []
    for user in readers:
        client = Client()
        client.force_login(user)
        for path in _portal_pages():
            page = client.get(path)
            if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
                continue
            names = set(re.findall(r'<input type="date" name="([^"]+)"', page.content.decode()))
            for name in sorted(names):
                for value in EDGES:
                    for extra in ({}, {"format": "csv"}):
                        answer = client.get(path, {name: value, **extra})
                        tried += 1
                        if answer.status_code not in (200, 400):
                            failures.append((user.role, path, name, value, extra))
    for role in (Role.OPERATOR_NETWORK, Role.OPERATOR_FINANCE):
        api, _ = key_client(net.azt, role)
        for path, names in _api_lists():
            if api.get(path).status_code != 200:
                continue
            for name in names:
                for value in EDGES:
                    answer = api.get(path, {name: value})
                    api_tried += 1
                    if answer.status_code not in (200, 400, 403):
                        failures.append((role, path, name, value, answer.status_code))
    assert tried > 50 and api_tried > 20 and failures == []
