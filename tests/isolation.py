"""The reusable check that one organisation cannot read or change another's objects.

Every endpoint and page that shows an organisation's objects uses these: an object of another
organisation answers exactly like one that does not exist (404), lists leave it out, and no
request of the outsider changes it. tests/tenancy_table.py lists every tenant URL of the project
and tests/test_tenant_isolation.py tries each one.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.test import Client
from rest_framework.test import APIClient


def snapshot(obj: models.Model) -> dict:
    """Every stored field of ``obj`` as the database holds it now."""
    fresh = type(obj)._base_manager.get(pk=obj.pk)
    return {field.attname: getattr(fresh, field.attname) for field in fresh._meta.concrete_fields}


def assert_api_object_isolated(
    client: APIClient,
    *,
    obj: models.Model,
    url: str,
    missing_url: str,
    methods: Iterable[str] = ("get", "put", "patch", "delete"),
    actions: Iterable[str] = (),
) -> None:
    """``client`` (of another organisation) gets for ``url`` what it gets for ``missing_url``.

    ``actions`` are URLs of POST actions on the object (``.../revoke/``); each must be a 404 too.
    """
    before = snapshot(obj)
    for method in methods:
        foreign = getattr(client, method)(url, data={}, format="json")
        missing = getattr(client, method)(missing_url, data={}, format="json")
        # 405 for a method the endpoint does not offer is fine: it says nothing of the object.
        expected = {404} if method == "get" else {404, 405}
        assert foreign.status_code in expected, (method, url, foreign.status_code, foreign.content)
        assert (foreign.status_code, foreign.json()) == (missing.status_code, missing.json())
    for action_url in actions:
        response = client.post(action_url, data={}, format="json")
        assert response.status_code == 404, (action_url, response.status_code, response.content)
        assert response.json()["type"] == "not_found"
    assert snapshot(obj) == before, "a request of another organisation changed the object"


def assert_api_list_excludes(
    client: APIClient, url: str, *, field: str, foreign_values: Iterable[object]
) -> list[dict]:
    """The paginated list at ``url`` shows none of ``foreign_values`` in ``field``."""
    response = client.get(url, {"page_size": 500})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    shown = {row[field] for row in results}
    leaked = shown & set(foreign_values)
    assert not leaked, f"{url} shows objects of another organisation: {leaked}"
    return results


def assert_page_isolated(
    client: Client,
    *,
    obj: models.Model,
    urls: Iterable[str],
    post_urls: Iterable[str] = (),
) -> None:
    """Portal pages of ``obj`` answer 404 to a user of another organisation; nothing changes."""
    before = snapshot(obj)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, (url, response.status_code)
    for url in post_urls:
        response = client.post(url, data={})
        assert response.status_code == 404, (url, response.status_code)
    assert snapshot(obj) == before, "a request of another organisation changed the object"
