"""Quotes, orders, services and contracts over the wholesale API."""

import datetime

import pytest

from leasing.models import Order, Quote
from organisations.choices import Role

from ..conftest import key_client
from ..isolation import assert_api_list_excludes, assert_api_object_isolated

pytestmark = pytest.mark.django_db

QUOTE = {"product": "WL100", "path": "BAK-AKT", "term_months": 12, "start_date": "2026-12-01"}


@pytest.fixture
def buyer(sales_net):
    return key_client(sales_net.customer)[0]


@pytest.fixture
def rival(sales_net):
    return key_client(sales_net.other_customer)[0]


@pytest.fixture
def noc(sales_net):
    return key_client(sales_net.azt, Role.OPERATOR_NETWORK)[0]


def _ordered(client, **quote):
    quote_id = client.post("/api/v1/quotes/", {**QUOTE, **quote}, format="json").json()["id"]
    response = client.post("/api/v1/orders/", {"quote": quote_id}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_a_quote_is_priced_as_the_contract_says(buyer):
    response = buyer.post("/api/v1/quotes/", QUOTE, format="json")
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("product", "path", "term_months", "start_date", "currency")} == {
        "product": "WL100",
        "path": "BAK-AKT",
        "term_months": 12,
        "start_date": "2026-12-01",
        "currency": "USD",
    }
    assert body["mrc"] == {"amount": "12500.00", "currency": "USD"}
    assert body["nrc"] == {"amount": "5000.00", "currency": "USD"}
    assert isinstance(body["id"], int) and body["valid_until"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**QUOTE, "term_months": "forever"}, "term_months"),
        ({**QUOTE, "start_date": "2026-13-01"}, "start_date"),
        ({**QUOTE, "product": "NOPE"}, "product"),
        ({**QUOTE, "path": 7}, "path"),
        ({k: v for k, v in QUOTE.items() if k != "product"}, "product"),
        ({**QUOTE, "term_months": 24}, "term_months"),
    ],
)
def test_a_bad_quote_request_is_a_400_naming_the_field(buyer, body, field):
    response = buyer.post("/api/v1/quotes/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Quote.objects.exists()


def test_an_order_is_submitted_and_then_worked_by_the_operator(buyer, noc, sales_net):
    order = _ordered(buyer)
    assert order["state"] == "submitted"
    assert order["quote"]["product"] == "WL100"
    assert order["billing_party"] == "AZT"
    assert [step["to_state"] for step in order["history"]] == ["submitted"]

    url = f"/api/v1/orders/{order['id']}/"
    assert noc.post(url + "acknowledge/", {}, format="json").json()["state"] == "acknowledged"
    assert (
        noc.post(url + "provision/", {"start": 2}, format="json").json()["state"] == "in_progress"
    )
    done = noc.post(
        url + "complete/", {"ready_for_service_date": "2026-12-10"}, format="json"
    ).json()
    assert done["state"] == "completed"
    assert done["circuit_id"].startswith("TCFO-WL100-")

    services = buyer.get("/api/v1/services/").json()["results"]
    assert services == [
        {
            "circuit_id": done["circuit_id"],
            "product": "WL100",
            "path": "BAK-AKT",
            "site": None,
            "customer": "Buyer",
            "status": "active",
            "activated_on": "2026-12-10",
            "terminated_on": None,
            "contract": services[0]["contract"],
        }
    ]
    assert buyer.get(f"/api/v1/services/{done['circuit_id']}/").status_code == 200
    contract = buyer.get(f"/api/v1/contracts/{services[0]['contract']}/").json()
    assert contract["mrc"] == {"amount": "12500.00", "currency": "USD"}
    assert contract["end_date"] == "2027-12-09"


def test_the_order_form_pdf_downloads(buyer, noc, sales_net, django_capture_on_commit_callbacks):
    order = _ordered(buyer)
    url = f"/api/v1/orders/{order['id']}/"
    noc.post(url + "acknowledge/", {}, format="json")
    noc.post(url + "provision/", {}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        noc.post(url + "complete/", {"ready_for_service_date": "2026-12-10"}, format="json")
    contract_id = buyer.get("/api/v1/contracts/").json()["results"][0]["id"]
    response = buyer.get(f"/api/v1/contracts/{contract_id}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_the_last_unit_gone_is_a_409(buyer, rival):
    for _ in range(4):
        _ordered(rival)
    quote_id = buyer.post("/api/v1/quotes/", QUOTE, format="json").json()["id"]
    response = buyer.post("/api/v1/orders/", {"quote": quote_id}, format="json")
    assert response.status_code == 409
    assert response.json()["type"] == "capacity_unavailable"
    assert Order.objects.count() == 4


def test_illegal_steps_are_a_409_and_change_nothing(buyer, noc):
    order = _ordered(buyer)
    url = f"/api/v1/orders/{order['id']}/"
    response = noc.post(url + "complete/", {"ready_for_service_date": "2026-12-10"}, format="json")
    assert response.status_code == 409
    assert response.json()["type"] == "invalid_transition"
    assert buyer.get(url).json()["state"] == "submitted"


def test_customers_cannot_work_orders_and_operators_cannot_place_them(buyer, noc, sales_net):
    order = _ordered(buyer)
    url = f"/api/v1/orders/{order['id']}/"
    for action in ("acknowledge", "reject", "provision", "complete", "fail"):
        assert buyer.post(url + action + "/", {}, format="json").status_code == 403
    assert noc.post("/api/v1/quotes/", QUOTE, format="json").status_code == 403
    finance = key_client(sales_net.azt, Role.OPERATOR_FINANCE)[0]
    assert finance.post(url + "acknowledge/", {}, format="json").status_code == 403
    assert finance.get(url).status_code == 200


def test_the_customer_cancels_with_a_reason(buyer):
    order = _ordered(buyer)
    url = f"/api/v1/orders/{order['id']}/cancel/"
    assert buyer.post(url, {}, format="json").status_code == 400
    cancelled = buyer.post(url, {"reason": "budget cut"}, format="json").json()
    assert (cancelled["state"], cancelled["reason"]) == ("cancelled", "budget cut")


def test_the_order_queue_filters_by_state(buyer, noc):
    _ordered(buyer)
    assert noc.get("/api/v1/orders/", {"state": "submitted"}).json()["count"] == 1
    assert noc.get("/api/v1/orders/", {"state": "completed"}).json()["count"] == 0
    assert noc.get("/api/v1/orders/", {"state": "lost"}).status_code == 400


def test_an_operator_with_no_share_in_the_path_does_not_see_the_order(buyer, sales_net):
    from ..factories import OperatorFactory

    stranger = key_client(OperatorFactory(), Role.OPERATOR_NETWORK)[0]
    order = _ordered(buyer)
    assert stranger.get(f"/api/v1/orders/{order['id']}/").status_code == 404
    assert (
        stranger.post(f"/api/v1/orders/{order['id']}/acknowledge/", {}, format="json").status_code
        == 404
    )


# --- Idempotency-Key ------------------------------------------------------------------------------


def test_the_same_key_and_body_give_the_first_answer_and_one_order(buyer):
    quote_id = buyer.post("/api/v1/quotes/", QUOTE, format="json").json()["id"]
    first = buyer.post(
        "/api/v1/orders/", {"quote": quote_id}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    again = buyer.post(
        "/api/v1/orders/", {"quote": quote_id}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_the_same_key_with_another_body_is_a_422(buyer):
    quote_a = buyer.post("/api/v1/quotes/", QUOTE, format="json").json()["id"]
    quote_b = buyer.post("/api/v1/quotes/", QUOTE, format="json").json()["id"]
    buyer.post("/api/v1/orders/", {"quote": quote_a}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    response = buyer.post(
        "/api/v1/orders/", {"quote": quote_b}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 422
    assert response.json()["type"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_keys_belong_to_one_organisation_and_refusals_are_not_kept(buyer, rival):
    buyer.post("/api/v1/quotes/", QUOTE, format="json", HTTP_IDEMPOTENCY_KEY="same")
    response = rival.post("/api/v1/quotes/", QUOTE, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 201  # another organisation's key space
    bad = buyer.post(
        "/api/v1/quotes/",
        {**QUOTE, "term_months": 24},
        format="json",
        HTTP_IDEMPOTENCY_KEY="fix-me",
    )
    assert bad.status_code == 400
    fixed = buyer.post(
        "/api/v1/quotes/",
        {**QUOTE, "term_months": 24},
        format="json",
        HTTP_IDEMPOTENCY_KEY="fix-me",
    )
    assert fixed.status_code == 400  # tried again, not replayed: nothing was kept
    assert Quote.objects.count() == 2


# --- tenant isolation -----------------------------------------------------------------------------


def test_another_customer_sees_nothing_of_a_sale(
    buyer, rival, noc, sales_net, django_capture_on_commit_callbacks
):
    order = _ordered(buyer)
    url = f"/api/v1/orders/{order['id']}/"
    noc.post(url + "acknowledge/", {}, format="json")
    noc.post(url + "provision/", {}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        circuit_id = noc.post(
            url + "complete/", {"ready_for_service_date": "2026-12-10"}, format="json"
        ).json()["circuit_id"]
    order_obj = Order.objects.get(pk=order["id"])
    contract = order_obj.service.contract

    for list_url, field, value in (
        ("/api/v1/quotes/", "id", order["quote"]["id"]),
        ("/api/v1/orders/", "id", order["id"]),
        ("/api/v1/services/", "circuit_id", circuit_id),
        ("/api/v1/contracts/", "id", contract.pk),
    ):
        assert_api_list_excludes(rival, list_url, field=field, foreign_values=[value])
    assert_api_object_isolated(
        rival,
        obj=order_obj.quote,
        url=f"/api/v1/quotes/{order['quote']['id']}/",
        missing_url="/api/v1/quotes/999999/",
    )
    assert_api_object_isolated(
        rival,
        obj=order_obj,
        url=url,
        missing_url="/api/v1/orders/999999/",
        actions=[url + "cancel/"],
    )
    assert_api_object_isolated(
        rival,
        obj=order_obj.service,
        url=f"/api/v1/services/{circuit_id}/",
        missing_url="/api/v1/services/TCFO-WL100-999999/",
    )
    assert_api_object_isolated(
        rival,
        obj=contract,
        url=f"/api/v1/contracts/{contract.pk}/",
        missing_url="/api/v1/contracts/999999/",
    )
    assert rival.get(f"/api/v1/contracts/{contract.pk}/pdf/").status_code == 404
    # Ordering someone else's quote is as impossible as ordering one that does not exist.
    quote_id = buyer.post("/api/v1/quotes/", QUOTE, format="json").json()["id"]
    assert rival.post("/api/v1/orders/", {"quote": quote_id}, format="json").status_code == 404


def test_service_actions_by_network_staff(buyer, noc, sales_net):
    order = _ordered(buyer)
    url = f"/api/v1/orders/{order['id']}/"
    noc.post(url + "acknowledge/", {}, format="json")
    noc.post(url + "provision/", {}, format="json")
    circuit = noc.post(
        url + "complete/", {"ready_for_service_date": "2026-12-10"}, format="json"
    ).json()["circuit_id"]
    service_url = f"/api/v1/services/{circuit}/"
    assert buyer.post(service_url + "suspend/").status_code == 403
    assert noc.post(service_url + "suspend/").json()["status"] == "suspended"
    assert noc.post(service_url + "resume/").json()["status"] == "active"
    bad = noc.post(service_url + "terminate/", {"on": "2026-12-01"}, format="json")
    assert bad.status_code == 400 and "on" in bad.json()["errors"]
    ended = noc.post(
        service_url + "terminate/", {"on": str(datetime.date(2027, 6, 1))}, format="json"
    ).json()
    assert ended["terminated_on"] == "2027-06-01"


def test_the_schema_describes_the_sale(client):
    import yaml

    paths = yaml.safe_load(client.get("/api/schema/").content)["paths"]
    for path in (
        "/api/v1/quotes/",
        "/api/v1/orders/",
        "/api/v1/orders/{id}/acknowledge/",
        "/api/v1/orders/{id}/complete/",
        "/api/v1/services/{circuit_id}/",
        "/api/v1/contracts/{id}/pdf/",
    ):
        assert path in paths, path
    parameters = paths["/api/v1/orders/"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" for p in parameters)


def test_operators_see_the_capacity_an_order_holds_and_customers_do_not(buyer, noc):
    order = _ordered(buyer)
    assert buyer.get(f"/api/v1/orders/{order['id']}/").json()["capacity"] is None
    url = f"/api/v1/orders/{order['id']}/"
    assert noc.get(url).json()["capacity"] == [
        {
            "resource": "BAK-CLS FP1",
            "unit": "12.5 GHz slots",
            "start": -2,
            "end": 2,
            "detail": "193.075 to 193.125 THz",
        },
        {
            "resource": "CLS-AKT FP1",
            "unit": "12.5 GHz slots",
            "start": -2,
            "end": 2,
            "detail": "193.075 to 193.125 THz",
        },
    ]
    noc.post(url + "acknowledge/", {}, format="json")
    moved = noc.post(url + "provision/", {"start": 6}, format="json").json()
    assert {row["start"] for row in moved["capacity"]} == {6}
    rejected = noc.post(url + "reject/", {"reason": "x"}, format="json")
    assert rejected.status_code == 409  # in progress: fail it instead
    failed = noc.post(url + "fail/", {"reason": "fibre cut"}, format="json").json()
    assert failed["capacity"] == []


def test_services_list_shows_paths_and_pops(client, buyer, noc, sales_net):
    order = _ordered(buyer)
    url = f"/api/v1/orders/{order['id']}/"
    noc.post(url + "acknowledge/", {}, format="json")
    noc.post(url + "provision/", {}, format="json")
    circuit = noc.post(
        url + "complete/", {"ready_for_service_date": "2026-12-10"}, format="json"
    ).json()["circuit_id"]
    client.force_login(sales_net.buyer)
    page = client.get("/services/")
    assert page.status_code == 200
    assert circuit in page.content.decode() and "BAK-AKT" in page.content.decode()


def test_an_operator_whose_share_has_ended_no_longer_sees_the_order(buyer, sales_net):
    from leasing.services.inventory import set_segment_ownership

    order = _ordered(buyer)
    ktc = key_client(sales_net.ktc, Role.OPERATOR_NETWORK)[0]
    assert ktc.get(f"/api/v1/orders/{order['id']}/").status_code == 200
    set_segment_ownership(
        segment=sales_net.sea, valid_from=datetime.date(2026, 1, 2), shares={sales_net.azt: 100}
    )
    assert ktc.get(f"/api/v1/orders/{order['id']}/").status_code == 404


def test_unit_prices_keep_their_decimals(buyer, sales_net):
    from leasing.models import Price

    Price.objects.filter(product=sales_net.ipt10).update(
        commit_price_per_mbps="0.4575", burst_price_per_mbps="0.0049"
    )
    quote = buyer.post(
        "/api/v1/quotes/",
        {
            "product": "IPT10",
            "site": "BAK",
            "term_months": 12,
            "start_date": "2026-12-01",
            "commit_mbps": 1000,
        },
        format="json",
    ).json()
    assert quote["commit_price_per_mbps"] == {"amount": "0.4575", "currency": "USD"}
    assert quote["burst_price_per_mbps"] == {"amount": "0.0049", "currency": "USD"}


def test_a_platform_admin_cannot_ask_for_a_quote(sales_net):
    from ..conftest import session_client
    from ..factories import UserFactory

    admin = session_client(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    response = admin.post("/api/v1/quotes/", QUOTE, format="json")
    assert response.status_code == 400
    assert "customer organisation" in response.json()["detail"]


def test_the_operators_order_list_shows_each_orders_capacity(buyer, noc):
    # What it costs in queries: tests/test_query_counts.py (the same for N and 2N orders).
    for _ in range(3):
        _ordered(buyer)
    body = noc.get("/api/v1/orders/", {"page_size": 500}).json()
    assert len(body["results"]) == 3
    assert all(row["capacity"] for row in body["results"])
