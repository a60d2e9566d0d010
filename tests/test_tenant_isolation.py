"""No organisation reaches another's objects through any page or endpoint (domain.md 7).

Driven by tests/tenancy_table.py: every URL pattern of the project, portal and API, is either a
tenant resource with its checks or a URL that shows no organisation's objects, with why. A new
URL in neither fails ``test_every_url_has_an_entry``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from billing.models import (
    CreditNote,
    DebitNote,
    Invoice,
    InvoiceLine,
    InvoiceTransition,
    LateAdjustment,
    Payment,
    PaymentReversal,
)
from leasing.models import Order, OrderTransition, Quote, Service
from organisations.choices import Role
from organisations.models import ApiKey

from .conftest import key_client
from .isolation import snapshot
from .tenancy_table import (
    NOT_TENANT,
    OPERATOR,
    OPERATOR_POST_ONLY,
    OPERATOR_URL_KWARGS,
    TENANT_CASES,
    Case,
)
from .worlds import built_once, tenant_world

pytestmark = pytest.mark.django_db


def url_patterns() -> dict[str, str]:
    """Every URL pattern of the project by its key (its namespaced name, else its route); the
    Django admin's hundreds of patterns count as one, ``admin/``."""
    found: dict[str, str] = {}

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = ":".join(n for n in (namespace, pattern.namespace) if n)
                if inner.split(":")[0] == "admin":
                    found["admin/"] = route
                    continue
                walk(pattern, route, inner)
            elif isinstance(pattern, URLPattern):
                name = ":".join(n for n in (namespace, pattern.name) if n) if pattern.name else ""
                found[name or route] = route

    walk(get_resolver(), "", "")
    return found


def test_every_url_has_an_entry():
    """A URL pattern that is neither a tenant resource nor declared not to be one fails: add it
    to tests/tenancy_table.py with the checks that keep other organisations out."""
    patterns = url_patterns()
    covered = {case.name for case in TENANT_CASES}
    missing = sorted(set(patterns) - covered - set(NOT_TENANT))
    assert not missing, f"URL patterns with no entry in tests/tenancy_table.py: {missing}"
    assert not covered & set(NOT_TENANT), "a URL is both a tenant resource and not one"
    stale = sorted((covered | set(NOT_TENANT)) - set(patterns))
    assert not stale, f"entries in tests/tenancy_table.py for URLs that no longer exist: {stale}"


# --- the world, built once for the module -----------------------------------------------------


@pytest.fixture(scope="module")
def module_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tenancy-media")


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, module_media: Path) -> SimpleNamespace:
    with built_once(django_db_blocker, module_media):
        yield tenant_world()


@pytest.fixture(autouse=True)
def _media_root(settings: Any, module_media: Path) -> None:
    """The world's stored PDFs, for every test of the module (tests/conftest.py gives each
    test a folder of its own)."""
    settings.MEDIA_ROOT = module_media


def _user(world: SimpleNamespace, who: str) -> Any:
    return {
        "a": world.a_user,
        "b": world.b_user,
        "azt_finance": world.finance,
        "azt_network": world.azt_network,
        "third_finance": world.third_finance,
        "third_network": world.third_network,
    }[who]


def client_of(world: SimpleNamespace, who: str, case: Case) -> Client:
    """``who``'s client for ``case``: a signed-in browser for the portal and for API cases that
    need a session, else an API key of ``who``'s organisation acting in ``who``'s role."""
    user = _user(world, who)
    if not case.is_api:
        client = Client()
        client.force_login(user)
        return client
    if case.session:
        client = APIClient()
        client.force_login(user)
        return client
    return key_client(user.organisation, user.role)[0]


def _fingerprint() -> dict[str, Any]:
    """What a request that changes something would change: rows of every money and sale
    document, and the states of those that have one."""
    counted = (
        Quote,
        Order,
        OrderTransition,
        Invoice,
        InvoiceLine,
        InvoiceTransition,
        Payment,
        PaymentReversal,
        CreditNote,
        DebitNote,
        LateAdjustment,
    )
    prints: dict[str, Any] = {model.__name__: model.objects.count() for model in counted}
    prints["orders"] = sorted(Order.objects.values_list("pk", "state"))
    prints["services"] = sorted(Service.objects.values_list("pk", "status", "terminated_on"))
    prints["invoices"] = sorted(Invoice.objects.values_list("pk", "status"))
    prints["late"] = sorted(LateAdjustment.objects.values_list("pk", "status"))
    # The intruders' own keys are made by the test: what matters is that none is revoked.
    prints["revoked keys"] = sorted(ApiKey.objects.filter(revoked=True).values_list("pk"))
    return prints


def _url(case: Case, kwargs: dict[str, Any]) -> str:
    url = reverse(case.name, kwargs=kwargs or None)
    return f"{url}?{case.query}" if case.query else url


def _send(client: Client, case: Case, url: str, data: dict[str, Any]) -> Any:
    if case.method == "get":
        return client.get(url)
    if case.is_api:
        return getattr(client, case.method)(url, data, format="json")
    return getattr(client, case.method)(url, data)


def _answer(response: Any, case: Case) -> tuple[int, Any]:
    """What tells a response apart: its status, and in the API its JSON body."""
    if case.is_api and response.get("Content-Type", "").startswith("application/json"):
        return response.status_code, response.json()
    return response.status_code, None


def _ids(case: Case) -> str:
    return case.id


@pytest.mark.parametrize("case", [c for c in TENANT_CASES if c.kind != "list"], ids=_ids)
def test_another_organisation_gets_what_a_missing_object_gets(world, case):
    """Objects and downloads answer 404 like a missing one; actions and creations too (403
    where the intruder's role may not act at all, on any object), and change nothing."""
    watched = [obj for obj in case.objects(world) if obj is not None]
    before = ([snapshot(obj) for obj in watched], _fingerprint())
    if case.kind == "create":
        foreign_url = missing_url = _url(case, {})
    else:
        foreign_url, missing_url = _url(case, case.kwargs(world)), _url(case, case.missing)
    missing_data = case.missing_data(world) if case.kind == "create" else case.data(world)
    for who, status in case.refused.items():
        client = client_of(world, who, case)
        foreign = _answer(_send(client, case, foreign_url, case.data(world)), case)
        missing = _answer(_send(client, case, missing_url, missing_data), case)
        assert foreign[0] == status, (who, foreign_url, foreign)
        assert foreign == missing, (who, foreign_url, foreign, missing)
    after = ([snapshot(obj) for obj in watched], _fingerprint())
    assert after == before, "a request of another organisation changed something"

    # The URL is the right one: its owner is answered (the change, if any, is rolled back).
    owner = _send(client_of(world, case.owner, case), case, foreign_url, case.data(world))
    if case.kind == "object":
        assert owner.status_code == 200, (case.owner, foreign_url, owner.status_code)
    else:
        assert owner.status_code not in (403, 404), (case.owner, foreign_url, owner.status_code)


def _shown(response: Any, case: Case, marker: Any) -> bool:
    if not case.is_api:
        content = b"".join(response.streaming_content) if response.streaming else response.content
        return str(marker) in content.decode()
    return marker in {row[case.field] for row in response.json()["results"]}


@pytest.mark.parametrize("case", [c for c in TENANT_CASES if c.kind == "list"], ids=_ids)
def test_lists_leave_out_another_organisations_objects(world, case):
    marker = case.marker(world)
    url = _url(case, {})
    if case.is_api:
        url += ("&" if "?" in url else "?") + "page_size=500"
    owner = client_of(world, case.owner, case).get(url)
    assert owner.status_code == 200 and _shown(owner, case, marker), (case.owner, url)
    for who, status in case.refused.items():
        response = client_of(world, who, case).get(url)
        if status == 404:  # leave it out
            assert response.status_code == 200, (who, url, response.status_code)
            assert not _shown(response, case, marker), f"{url} shows {who} A's {marker}"
        else:
            assert response.status_code == status, (who, url, response.status_code)


@pytest.mark.parametrize(
    "name", sorted(n for n, (kind, _) in NOT_TENANT.items() if kind == OPERATOR)
)
def test_customers_are_refused_operator_pages(world, name):
    """What is for operators' or platform admins' staff answers a customer 403 (or 404), and
    the admin sends it nowhere but there."""
    is_api = name.startswith("v1:")
    if is_api:
        client = key_client(world.b, Role.CUSTOMER_ADMIN)[0]
    else:
        client = Client()
        client.force_login(world.b_user)
    if name in ("admin/", "admin/login/"):
        response = client.get(f"/{name}", follow=True)
        assert response.status_code == 403, (name, response.redirect_chain)
        return
    url = reverse(name, kwargs=OPERATOR_URL_KWARGS.get(name))
    response = client.post(url, {}) if name in OPERATOR_POST_ONLY else client.get(url)
    assert response.status_code in (403, 404), (name, url, response.status_code)


def test_the_table_names_only_models_that_exist(world):
    """Each watched object is a saved row (a typo in the table would watch nothing)."""
    for case in TENANT_CASES:
        for obj in case.objects(world):
            assert isinstance(obj, models.Model) and obj.pk is not None, case.id
