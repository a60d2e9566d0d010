"""Every input the API reads is answered with a 4xx in the contract's error format, never a 500.

The list endpoints and the integer query parameters are taken from the URL resolver and the
served schema, so an endpoint added later is covered without touching this file.
"""

from __future__ import annotations

import functools
import json

import pytest
import yaml
from django.urls import URLPattern, URLResolver, get_resolver

from organisations.choices import Role

from ..conftest import session_client
from ..factories import CustomerFactory, OperatorFactory, UserFactory

pytestmark = pytest.mark.django_db

# Digits of other scripts pass str.isdigit(); int("²") raises; 10**30 overflows a bigint.
NOT_WHOLE_NUMBERS = ["²", "٣", "1²", str(10**30), "9" * 5000, "-1", "0", "1.5", "1e3", " 1", "+1",
                     "abc", "", "\x00"]  # fmt: skip


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, object]]:
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            found += _routes(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + str(pattern.pattern), pattern.callback))
    return found


def api_list_routes() -> list[str]:
    """The path of every API route whose GET is a paginated list (a viewset's ``list``)."""
    paths = []
    for route, callback in _routes():
        actions = getattr(callback, "actions", None) or {}
        if route.startswith("api/v1/") and actions.get("get") == "list":
            paths.append("/" + route.replace("^", "").replace("$", ""))
    return sorted(set(paths))


LIST_ROUTES = api_list_routes()


def _staff() -> dict[str, object]:
    operator = OperatorFactory()
    return {
        "platform admin": UserFactory(organisation=None, role=Role.PLATFORM_ADMIN),
        "operator finance": UserFactory(organisation=operator, role=Role.OPERATOR_FINANCE),
        "operator network": UserFactory(organisation=operator, role=Role.OPERATOR_NETWORK),
        "customer admin": UserFactory(organisation=CustomerFactory(), role=Role.CUSTOMER_ADMIN),
    }


def _client_that_lists(path: str):
    """A session of the first role that may read ``path``: the checks under test run after
    the permission check."""
    for user in _staff().values():
        client = session_client(user)
        if client.get(path).status_code == 200:
            return client
    raise AssertionError(f"no role may GET {path}")


def _assert_refused(response, field: str) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"type", "detail", "errors"}
    assert body["type"] == "validation_error"
    assert list(body["errors"]) == [field]


def test_every_list_endpoint_is_found():
    assert len(LIST_ROUTES) >= 20
    for expected in ("/api/v1/invoices/", "/api/v1/orders/", "/api/v1/api-keys/"):
        assert expected in LIST_ROUTES


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_paging_parameters_that_are_not_whole_numbers_are_a_400_on_every_list(path):
    client = _client_that_lists(path)
    # Every list pages by number except the events list, which a reader follows by cursor.
    declared = _declared_query_parameters(path)
    names = [name for name in ("page", "page_size") if name in declared]
    assert "page_size" in names
    for name in names:
        for value in NOT_WHOLE_NUMBERS:
            response = client.get(path, {name: value})
            _assert_refused(response, name)
    assert client.get(path, {"page_size": "00000000000000000000002"}).status_code == 200
    if "page" in names:
        assert client.get(path, {"page": "1"}).status_code == 200
        assert client.get(path, {"page": "last"}).status_code == 200


@functools.cache
def _schema() -> dict:
    from django.test import Client

    return yaml.safe_load(Client().get("/api/schema/").content)


def _declared_query_parameters(path: str) -> set[str]:
    get = _schema()["paths"][path]["get"]
    return {p["name"] for p in get.get("parameters", []) if p["in"] == "query"}


def _integer_query_parameters() -> list[tuple[str, str]]:
    from django.test import Client

    schema = yaml.safe_load(Client().get("/api/schema/").content)
    found = []
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            if parameter["in"] == "query" and parameter["schema"].get("type") == "integer":
                found.append((path, parameter["name"]))
    return found


def test_every_integer_query_parameter_of_the_schema_refuses_what_is_not_a_whole_number():
    parameters = _integer_query_parameters()
    names = {name for _, name in parameters}
    assert {"page", "page_size", "invoice"} <= names
    for path, name in parameters:
        client = _client_that_lists(path)
        for value in NOT_WHOLE_NUMBERS:
            _assert_refused(client.get(path, {name: value}), name)


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/paths/", {"date": "2026-02-30"}, "date"),
        ("/api/v1/products/", {"date": "99999-01-01"}, "date"),
        ("/api/v1/late-adjustments/", {"period": "2026-13"}, "period"),
        ("/api/v1/period-closes/", {"period": "²⁰²⁶-01"}, "period"),
        ("/api/v1/late-adjustments/", {"status": "\x00"}, "status"),
        ("/api/v1/orders/", {"state": "x" * 100_000}, "state"),
        ("/api/v1/availability/", {"product": "WL100", "start_date": "2026-02-30"}, None),
    ],
)
def test_other_query_parameters_are_refused_with_a_400_naming_them(path, query, field):
    client = session_client(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    response = client.get(path, query)
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["type"] == "validation_error"
    if field:
        assert field in body["errors"]


# --- JSON bodies ------------------------------------------------------------------------------


def _customer_admin():
    return session_client(UserFactory(role=Role.CUSTOMER_ADMIN))


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_a_body_nested_3000_deep_is_a_400_parse_error(opening):
    client = _customer_admin()
    closing = "]" if opening == "[" else "}"
    body = opening * 3000 + "1" + closing * 3000
    response = client.post("/api/v1/api-keys/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["type"] == "parse_error"
    assert "nest more than" in response.json()["detail"]


def test_nesting_is_taken_up_to_the_limit_and_refused_beyond_it():
    from tcfo_portal.api.parsers import MAX_DEPTH

    client = _customer_admin()

    def body(levels: int) -> dict:  # the object itself is the first level
        inner = json.loads("[" * (levels - 1) + "]" * (levels - 1))
        return {"name": "k", "role": Role.CUSTOMER_MEMBER, "ignored": inner}

    assert client.post("/api/v1/api-keys/", body(MAX_DEPTH), format="json").status_code == 201
    response = client.post("/api/v1/api-keys/", body(MAX_DEPTH + 1), format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "parse_error"


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        '{"name": "k",}',
        '{"name": NaN}',
        "\ufeff{}",
        b'{"name": "\xff\xfe"}',
        b"\xff\xfe{\x00}\x00",
    ],
)
def test_invalid_json_is_a_400_parse_error(body):
    response = _customer_admin().post(
        "/api/v1/api-keys/", data=body, content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["type"] == "parse_error"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ('{"name": "k", "role": "\\ud800"}', "role"),
        ('{"name": "k\\udfff", "role": "customer_member"}', "name"),
        ('{"name": "k", "\\ud800": 1}', "non_field_errors"),
        ('{"name": "k", "role": "customer_member", "x": [{"y": ["ok", "\\udc00"]}]}', "x[0].y[1]"),
        ('{"name": "k", "role": "customer\\u0000member"}', "role"),
    ],
)
def test_lone_surrogates_and_nul_in_json_text_are_a_400_naming_where(body, where):
    response = _customer_admin().post(
        "/api/v1/api-keys/", data=body, content_type="application/json"
    )
    assert response.status_code == 400, response.content[:300]
    answer = response.json()
    assert answer["type"] == "validation_error"
    assert list(answer["errors"]) == [where]
    assert ("lone surrogate" in answer["detail"]) or ("NUL" in answer["detail"])


@pytest.mark.postgres
def test_a_lone_surrogate_never_reaches_the_database():
    """A surrogate in a value looked up in the database (psycopg cannot encode it: a 500)."""
    admin = session_client(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    body = '{"segment": "\\ud800", "name": "FP9", "grid": "fixed_50"}'
    response = admin.post("/api/v1/fiber-pairs/", data=body, content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["segment"]


@pytest.mark.parametrize("path", ["/api/v1/usage/samples/", "/api/v1/usage/series/"])
@pytest.mark.parametrize(
    "body",
    [
        '{"series": [{"circuit_id": "TCFO-X", "start": "2026-01-01T00:00:00Z", "in_bps": '
        + "[" * 3000
        + "]" * 3000
        + ', "out_bps": [1]}]}',
        '{"samples": ' + "[" * 3000 + "]" * 3000 + "}",
        '{"samples": [{"circuit_id": "\\ud800", "ts": "2026-01-01T00:00:00Z", "in_bps": 1}]}',
        '{"series": [{"circuit_id": "TCFO-X", "port": "\\udfff", "start": "2026-01-01T00:00Z"}]}',
    ],
)
def test_usage_bodies_nested_deep_or_with_surrogates_are_a_400(path, body):
    client = session_client(UserFactory(organisation=OperatorFactory(), role=Role.OPERATOR_NETWORK))
    response = client.post(path, data=body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["type"] in ("parse_error", "validation_error")


# --- Query strings and requests Django refuses ------------------------------------------------


def test_a_nul_in_any_query_parameter_is_a_400_naming_it():
    client = _customer_admin()
    response = client.delete("/api/v1/invoices/1/?reason=why%00not")
    _assert_refused(response, "reason")
    _assert_refused(client.get("/api/v1/orders/", {"state": "open\x00"}), "state")


def test_a_request_django_refuses_is_answered_in_the_error_format(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client = _customer_admin()
    response = client.get("/api/v1/orders/?" + "&".join(f"f{i}=1" for i in range(20)))
    assert response.status_code == 400
    assert response.json()["type"] == "bad_request"
