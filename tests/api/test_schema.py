"""The OpenAPI schema tells the truth a client generator needs (issue 12): what each operation can
answer, errors included, in one ``Error`` and one ``Money`` component; what can be null; no value
outside a declared enum; bounds and patterns of the inputs; PDFs; a key scheme a generator can
express. ``.ci/api_check.py`` (schemathesis) holds the served API to this schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from organisations.choices import Role
from organisations.services import create_api_key

from ..conftest import key_client
from ..factories import CustomerFactory
from ..leasing.conftest import net, sales_net

__all__ = ["net", "sales_net"]

pytestmark = pytest.mark.django_db

METHODS = ("get", "put", "post", "patch", "delete")
ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
MONEY = "#/components/schemas/Money"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(Client().get("/api/schema/?format=json").content)


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_every_refusal_is_declared_with_the_one_error_component(schema):
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"type", "detail", "errors"}
    assert error["properties"]["errors"]["type"] == "object"
    count = 0
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert {"401", "403", "406", "429"} <= set(responses), (method, path)
        for status, response in responses.items():
            if status.startswith(("4", "5")):
                assert response["content"] == ERROR, (method, path, status)
                assert response["description"], (method, path, status)
                count += 1
        assert "integer" in str(responses["429"]["headers"]["Retry-After"]["schema"])
        if method != "get":
            assert {"400", "409"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
    assert count > 500


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("get", "/api/v1/orders/", {"200", "400", "404"}),  # bad paging, a page past the end
        ("get", "/api/v1/me/", {"200"}),
        ("post", "/api/v1/orders/", {"201", "400", "404", "409", "413", "415", "422"}),
        ("post", "/api/v1/invoices/{id}/issue/", {"200", "400", "404", "409", "503"}),
        ("delete", "/api/v1/invoices/{id}/", {"200", "400", "404", "409"}),
        ("get", "/api/v1/services/{circuit_id}/usage/", {"200", "400", "404"}),
    ],
)
def test_each_operation_declares_what_it_can_answer(schema, method, path, statuses):
    declared = set(schema["paths"][path][method]["responses"])
    assert declared - {"401", "403", "406", "429"} == statuses


def test_money_is_one_component_referred_to_everywhere(schema):
    components = schema["components"]["schemas"]
    money = components["Money"]
    assert set(money["required"]) == {"amount", "currency"}
    assert money["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
    inline = [
        node
        for name, component in components.items()
        if name != "Money"
        for node in walk(component)
        if {"amount", "currency"} <= set(node.get("properties", {}))
        and node["properties"]["amount"].get("type") != "string"  # a plain decimal amount
    ]
    assert inline == []
    refs = [node for node in walk(schema) if node.get("$ref") == MONEY]
    assert len(refs) >= 21


def _property(schema: dict[str, Any], component: str, name: str) -> dict[str, Any]:
    return schema["components"]["schemas"][component]["properties"][name]


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("Price", "path"),
        ("Price", "site"),
        ("Quote", "path"),
        ("Quote", "site"),
        ("Service", "path"),
        ("Service", "site"),
        ("Service", "contract"),
        ("InvoiceLine", "circuit_id"),
        ("Contract", "p95_rule"),
        ("Transition", "from_state"),
        ("Price", "mrc"),
        ("Contract", "iru_price"),
    ],
)
def test_what_can_be_null_is_declared_nullable(schema, component, field):
    assert _property(schema, component, field).get("nullable") is True


def test_money_that_is_always_there_is_not_nullable(schema):
    for component, field in [("Invoice", "total"), ("InvoiceLine", "amount")]:
        assert "nullable" not in _property(schema, component, field)
        assert _property(schema, component, field)["allOf"] == [{"$ref": MONEY}]


def test_a_paths_ends_are_sites_when_read_and_codes_when_written(schema):
    for end in ("a_site", "z_site"):
        assert _property(schema, "Path", end) == {"$ref": "#/components/schemas/SiteRef"}
        assert _property(schema, "PathRequest", end)["type"] == "string"
    assert set(schema["components"]["schemas"]["SiteRef"]["properties"]) == {
        "code",
        "name",
        "kind",
        "country",
    }


def test_no_declared_enum_holds_an_empty_string(schema):
    enums = [node["enum"] for node in walk(schema) if "enum" in node]
    assert enums
    assert all("" not in enum for enum in enums)
    assert "BlankEnum" not in schema["components"]["schemas"]


def test_paging_and_periods_have_their_bounds(schema):
    lists = 0
    for _path, _method, operation in operations(schema):
        parameters = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
        if "page" in parameters:
            lists += 1
            assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1}
            assert parameters["page_size"]["schema"] == {
                "type": "integer",
                "minimum": 1,
                "maximum": 500,
            }
        if "period" in parameters:
            assert parameters["period"]["schema"]["pattern"] == r"^[0-9]{4}-(0[1-9]|1[0-2])$"
    assert lists >= 20
    for request in ("BillingRunRequestRequest", "PeriodCloseRequestRequest"):
        assert _property(schema, request, "period")["pattern"] == r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def test_pdfs_are_declared_as_binary_a_generator_keeps(schema):
    pdfs = [
        (path, operation)
        for path, method, operation in operations(schema)
        if path.endswith("/pdf/")
    ]
    assert len(pdfs) == 5  # invoices, credit and debit notes, contracts, settlement statements
    for path, operation in pdfs:
        content = operation["responses"]["200"]["content"]
        assert list(content) == ["application/pdf", "application/octet-stream"], path
        for media in content.values():
            assert media["schema"] == {"type": "string", "format": "binary"}


def test_the_key_scheme_is_bearer_beside_api_key(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["Bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["Bearer"]["description"],
    }
    assert (schemes["ApiKey"]["in"], schemes["ApiKey"]["name"]) == ("header", "Authorization")
    for path, method, operation in operations(schema):
        assert {"Bearer": []} in operation["security"], (method, path)
        assert {"ApiKey": []} in operation["security"], (method, path)


# --- what the API answers, as declared ------------------------------------------------------------


@pytest.mark.parametrize("keyword", ["Bearer", "bearer", "Api-Key", "api-key"])
def test_a_key_is_accepted_after_either_keyword(api_client, keyword):
    customer = CustomerFactory()
    _, secret = create_api_key(organisation=customer, name="bearer")
    api_client.credentials(HTTP_AUTHORIZATION=f"{keyword} {secret}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["authentication"] == "api_key"
    assert me.json()["organisation"]["name"] == customer.name


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Token abc.def", "Bearer"])
def test_a_wrong_bearer_is_a_401_and_another_scheme_is_no_key(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert set(response.json()) == {"type", "detail", "errors"}


def _sold(sales_net: Any, capture: Any) -> tuple[Any, Any, dict[str, Any]]:
    buyer = key_client(sales_net.customer)[0]
    noc = key_client(sales_net.azt, Role.OPERATOR_NETWORK)[0]
    quote = buyer.post(
        "/api/v1/quotes/",
        {"product": "WL100", "path": "BAK-AKT", "term_months": 12, "start_date": "2026-12-01"},
        format="json",
    ).json()
    order = buyer.post("/api/v1/orders/", {"quote": quote["id"]}, format="json").json()
    url = f"/api/v1/orders/{order['id']}/"
    noc.post(url + "acknowledge/", {}, format="json")
    noc.post(url + "provision/", {}, format="json")
    with capture(execute=True):
        done = noc.post(url + "complete/", {"ready_for_service_date": "2026-12-10"}, format="json")
    return buyer, noc, done.json()


def test_unset_enums_are_answered_null_not_empty(sales_net, django_capture_on_commit_callbacks):
    buyer, _, order = _sold(sales_net, django_capture_on_commit_callbacks)
    assert order["history"][0]["from_state"] is None
    assert [step["from_state"] for step in order["history"][1:]] == [
        "submitted",
        "acknowledged",
        "in_progress",
    ]
    contract = buyer.get("/api/v1/contracts/").json()["results"][0]
    assert contract["p95_rule"] is None  # a lease: no 95th is taken
    path = buyer.get("/api/v1/paths/BAK-AKT/").json()
    assert path["a_site"] == {"code": "BAK", "name": "Baku", "kind": "pop", "country": "AZ"}


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        ("application/pdf", "application/pdf"),
        ("*/*", "application/pdf"),
        (None, "application/pdf"),
        ("application/octet-stream", "application/octet-stream"),
        ("text/html, application/*;q=0.8", "application/pdf"),
    ],
)
def test_a_pdf_is_answered_as_asked(
    sales_net, django_capture_on_commit_callbacks, accept, content_type
):
    buyer, _, _ = _sold(sales_net, django_capture_on_commit_callbacks)
    contract = buyer.get("/api/v1/contracts/").json()["results"][0]
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = buyer.get(f"/api/v1/contracts/{contract['id']}/pdf/", **headers)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_pdf_download_answers_its_errors_in_json_whatever_is_accepted(
    sales_net, django_capture_on_commit_callbacks
):
    buyer, _, _ = _sold(sales_net, django_capture_on_commit_callbacks)
    contract = buyer.get("/api/v1/contracts/").json()["results"][0]
    refused = buyer.get(f"/api/v1/contracts/{contract['id']}/pdf/", HTTP_ACCEPT="text/csv")
    assert refused.status_code == 406
    assert refused["Content-Type"] == "application/json"
    assert refused.json()["type"] == "not_acceptable"
    missing = buyer.get("/api/v1/contracts/999999/pdf/", HTTP_ACCEPT="application/pdf")
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert missing.json()["type"] == "not_found"
