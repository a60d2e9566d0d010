"""The catalog and inventory API: the contract's shapes, validation, who may change what."""

import datetime
from decimal import Decimal

import pytest

from leasing.models import LitCarrier, Path, Price, Site
from leasing.services.capacity import allocate_capacity
from organisations.choices import Role

from ..conftest import key_client
from ..factories import CustomerFactory, UserFactory
from .conftest import START

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_api(net):
    return key_client(net.customer)[0]


@pytest.fixture
def network_api(net):
    return key_client(net.azt, Role.OPERATOR_NETWORK)[0]


@pytest.fixture
def finance_api(net):
    return key_client(net.azt, Role.OPERATOR_FINANCE)[0]


def test_products_list_the_catalog_with_prices_as_money(customer_api, net):
    # What it costs in queries: tests/test_query_counts.py (the same for N and 2N products).
    body = customer_api.get("/api/v1/products/").json()
    assert body["count"] == 4
    wl100 = next(p for p in body["results"] if p["code"] == "WL100")
    assert {k: wl100[k] for k in ("code", "name", "kind", "bandwidth_mbps", "commercial_form")} == {
        "code": "WL100",
        "name": "100G wavelength",
        "kind": "wavelength",
        "bandwidth_mbps": 100000,
        "commercial_form": "lease",
    }
    (price,) = wl100["prices"]
    assert price["path"] == "BAK-AKT"
    assert price["term_months"] == 12
    assert price["mrc"] == {"amount": "12500.00", "currency": "USD"}
    assert price["nrc"] == {"amount": "5000.00", "currency": "USD"}
    assert price["commit_price_per_mbps"] is None


def test_products_show_the_prices_of_the_day_asked(customer_api, net):
    before = customer_api.get("/api/v1/products/WL100/", {"date": "2025-12-31"}).json()
    assert before["prices"] == []
    bad = customer_api.get("/api/v1/products/WL100/", {"date": "31/12/2025"})
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"date": ["Give a date as YYYY-MM-DD."]}


def test_paths_show_segments_lengths_and_ownership_on_a_date(customer_api, net):
    from leasing.services.inventory import set_segment_ownership

    set_segment_ownership(
        segment=net.sea, valid_from=datetime.date(2027, 1, 1), shares={net.azt: Decimal(100)}
    )
    body = customer_api.get("/api/v1/paths/").json()  # its queries: tests/test_query_counts.py
    (path,) = body["results"]
    assert path["code"] == "BAK-AKT"
    assert path["a_site"] == {"code": "BAK", "name": "Baku", "kind": "pop", "country": "AZ"}
    assert path["length_km"] == "420.000"
    assert [s["code"] for s in path["segments"]] == ["BAK-CLS", "CLS-AKT"]
    sea = path["segments"][1]
    assert (sea["medium"], sea["length_km"], sea["weight"]) == ("subsea", "380.000", "760.000")
    assert sea["ownership"] == [
        {"operator": "AZT", "percent": "50.000"},
        {"operator": "KTC", "percent": "50.000"},
    ]
    later = customer_api.get("/api/v1/paths/BAK-AKT/", {"date": "2027-01-01"}).json()
    assert later["segments"][1]["ownership"] == [{"operator": "AZT", "percent": "100.000"}]


def test_availability_answers_as_the_contract_says(customer_api, net):
    response = customer_api.get(
        "/api/v1/availability/", {"product": "WL100", "path": "BAK-AKT", "start_date": "2026-12-01"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "available": True,
        "free_units": 4,
        "product": "WL100",
        "path": "BAK-AKT",
        "site": None,
        "start_date": "2026-12-01",
    }
    for _ in range(4):
        allocate_capacity(
            product=net.wl100, holder=net.other_customer, start_date=START, path=net.path
        )
    body = customer_api.get(
        "/api/v1/availability/", {"product": "WL100", "path": "BAK-AKT", "start_date": "2026-12-01"}
    ).json()
    assert (body["available"], body["free_units"]) == (False, 0)
    transit = customer_api.get("/api/v1/availability/", {"product": "IPT10", "site": "BAK"}).json()
    assert (transit["site"], transit["free_units"]) == ("BAK", 2)


def test_only_operators_see_where_the_next_sale_would_go(customer_api, network_api, net):
    query = {"product": "WL100", "path": "BAK-AKT", "start_date": "2026-12-01"}
    assert "proposed" not in customer_api.get("/api/v1/availability/", query).json()
    proposed = network_api.get("/api/v1/availability/", query).json()["proposed"]
    assert proposed == [
        {"resource": "BAK-CLS FP1", "start": -2, "end": 2},
        {"resource": "CLS-AKT FP1", "start": -2, "end": 2},
    ]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "product"),
        ({"product": "NOPE", "path": "BAK-AKT"}, "product"),
        ({"product": "WL100"}, "path"),
        ({"product": "WL100", "path": "NOWHERE"}, "path"),
        ({"product": "IPT10", "path": "BAK-AKT"}, "site"),
        ({"product": "WL100", "path": "BAK-AKT", "start_date": "tomorrow"}, "start_date"),
        ({"product": "WL100", "path": "BAK-AKT", "start_date": "1900-01-01"}, "start_date"),
        ({"product": "WL100\x00", "path": "BAK-AKT"}, "product"),
    ],
)
def test_bad_availability_questions_get_a_400_naming_the_field(customer_api, net, query, field):
    response = customer_api.get("/api/v1/availability/", query)
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    assert field in body["errors"]


def test_customers_cannot_read_the_detailed_inventory_or_change_anything(customer_api, net):
    assert customer_api.get("/api/v1/fiber-pairs/").status_code == 403
    assert customer_api.get("/api/v1/lit-carriers/").status_code == 403
    assert customer_api.get("/api/v1/sites/").status_code == 200
    response = customer_api.post(
        "/api/v1/sites/",
        {"code": "X-POP", "name": "x", "kind": "pop", "country": "AZ", "operator": "AZT"},
        format="json",
    )
    assert response.status_code == 403
    assert (
        customer_api.patch("/api/v1/sites/BAK/", {"name": "mine"}, format="json").status_code == 403
    )
    assert customer_api.delete("/api/v1/paths/BAK-AKT/").status_code == 403
    assert Site.objects.get(code="BAK").name == "Baku"


def test_an_operator_changes_its_own_sites_only(network_api, net):
    created = network_api.post(
        "/api/v1/sites/",
        {"code": "GNJ-POP", "name": "Ganja PoP", "kind": "pop", "country": "AZ", "operator": "AZT"},
        format="json",
    )
    assert created.status_code == 201, created.content
    for_another = network_api.post(
        "/api/v1/sites/",
        {"code": "ATY-POP", "name": "Atyrau", "kind": "pop", "country": "KZ", "operator": "KTC"},
        format="json",
    )
    assert for_another.status_code == 400
    assert for_another.json()["errors"]["operator"] == ["You can only name your own organisation."]
    # KTC's site reads fine but is not there to change: 404, as if it did not exist.
    assert network_api.get("/api/v1/sites/AKT/").status_code == 200
    assert network_api.patch("/api/v1/sites/AKT/", {"name": "x"}, format="json").status_code == 404
    assert (
        network_api.patch("/api/v1/sites/BAK/", {"name": "Baku PoP"}, format="json").status_code
        == 200
    )
    assert Site.objects.get(code="AKT").name == "Aktau"


def test_finance_staff_cannot_edit_the_network(finance_api, net):
    assert finance_api.get("/api/v1/fiber-pairs/").status_code == 200
    assert finance_api.patch("/api/v1/sites/BAK/", {"name": "x"}, format="json").status_code == 403


def test_a_site_in_use_cannot_be_deleted(network_api, net):
    response = network_api.delete("/api/v1/sites/BAK/")
    assert response.status_code == 409
    assert response.json()["type"] == "in_use"
    assert Site.objects.filter(code="BAK").exists()


def test_ownership_is_changed_by_platform_admins_and_must_sum_to_100(network_api, net):
    from ..conftest import session_client

    shares = [{"operator": "AZT", "percent": "60"}, {"operator": "KTC", "percent": "40"}]
    url = "/api/v1/segments/CLS-AKT/ownership/"
    # Ownership moves every operator's revenue share: no operator rewrites it alone.
    assert (
        network_api.post(
            url, {"valid_from": "2027-01-01", "shares": shares}, format="json"
        ).status_code
        == 403
    )
    assert (
        network_api.patch(
            "/api/v1/segments/CLS-AKT/", {"settlement_weight": "1"}, format="json"
        ).status_code
        == 403
    )

    admin = session_client(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    bad = admin.post(
        url,
        {"valid_from": "2027-01-01", "shares": [{**shares[0]}, {**shares[1], "percent": "30"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"shares": ["The shares sum to 90%, not 100%."]}
    for valid_from in ("2027-01-01", "2028-01-01"):  # a second change works as well as the first
        good = admin.post(url, {"valid_from": valid_from, "shares": shares}, format="json")
        assert good.status_code == 200, good.content
    assert good.json()["ownership"] == [
        {"operator": "AZT", "percent": "60.000"},
        {"operator": "KTC", "percent": "40.000"},
    ]
    unknown = admin.post(
        url,
        {"valid_from": "2027-01-01", "shares": [{"operator": "Nobody\x00", "percent": "100"}]},
        format="json",
    )
    assert unknown.status_code == 400


def test_a_segment_that_paths_run_over_keeps_its_ends(net):
    from ..conftest import session_client

    admin = session_client(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    response = admin.patch("/api/v1/segments/CLS-AKT/", {"z_site": "BAK"}, format="json")
    assert response.status_code == 400
    assert "BAK-AKT run over this segment" in response.json()["detail"]
    moved_end = admin.patch("/api/v1/paths/BAK-AKT/", {"z_site": "CLS"}, format="json")
    assert moved_end.status_code == 400
    assert "does not end" in moved_end.json()["detail"]


def test_a_path_must_chain_and_nothing_is_saved_otherwise(network_api, net):
    bad = network_api.post(
        "/api/v1/paths/",
        {
            "code": "AKT-BAK",
            "name": "back",
            "a_site": "AKT",
            "z_site": "BAK",
            "segment_codes": ["BAK-CLS", "CLS-AKT"],
        },
        format="json",
    )
    assert bad.status_code == 400
    assert "does not continue" in bad.json()["errors"]["segments"][0]
    assert not Path.objects.filter(code="AKT-BAK").exists()
    unknown = network_api.post(
        "/api/v1/paths/",
        {
            "code": "AKT-BAK",
            "name": "back",
            "a_site": "AKT",
            "z_site": "BAK",
            "segment_codes": ["NOPE"],
        },
        format="json",
    )
    assert unknown.json()["errors"] == {"segment_codes": ["No segment with code NOPE."]}
    good = network_api.post(
        "/api/v1/paths/",
        {
            "code": "AKT-BAK",
            "name": "back",
            "a_site": "AKT",
            "z_site": "BAK",
            "segment_codes": ["CLS-AKT", "BAK-CLS"],
        },
        format="json",
    )
    assert good.status_code == 201, good.content
    assert [s["code"] for s in good.json()["segments"]] == ["CLS-AKT", "BAK-CLS"]


def test_prices_are_validated_and_changed_by_finance(finance_api, network_api, net):
    body = {
        "product": "WL100",
        "path": "BAK-AKT",
        "term_months": 36,
        "valid_from": "2026-01-01",
        "mrc": "10500",
        "nrc": "5000",
    }
    missing_currency = finance_api.post("/api/v1/prices/", body, format="json")
    assert missing_currency.status_code == 400
    assert "currency" in missing_currency.json()["errors"]
    overlapping = finance_api.post(
        "/api/v1/prices/", {**body, "term_months": 12, "currency": "USD"}, format="json"
    )
    assert overlapping.status_code == 400
    assert "same period" in overlapping.json()["errors"]["valid_from"][0]
    assert (
        network_api.post("/api/v1/prices/", {**body, "currency": "USD"}, format="json").status_code
        == 403
    )
    created = finance_api.post("/api/v1/prices/", {**body, "currency": "USD"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["mrc"] == {"amount": "10500.00", "currency": "USD"}
    assert Price.objects.count() == 2


def test_a_fiber_pair_plan_cannot_drop_spectrum_that_is_held(network_api, net):
    allocate_capacity(product=net.wl100, holder=net.customer, start_date=START, path=net.path)
    response = network_api.patch(
        f"/api/v1/fiber-pairs/{net.fp_sea.pk}/", {"band_start_slot": 2}, format="json"
    )
    assert response.status_code == 400
    assert "would not fit the plan" in response.json()["detail"]
    net.fp_sea.refresh_from_db()
    assert net.fp_sea.band_start_slot == -2
    widened = network_api.patch(
        f"/api/v1/fiber-pairs/{net.fp_sea.pk}/", {"band_end_slot": 30}, format="json"
    )
    assert widened.status_code == 200
    assert widened.json()["channels"] == 8


def test_lighting_a_carrier_takes_spectrum_and_makes_ethernet_sellable(
    network_api, customer_api, net
):
    query = {"product": "ETH10", "path": "BAK-AKT", "start_date": "2026-12-01"}
    assert customer_api.get("/api/v1/availability/", query).json()["free_units"] == 0
    created = network_api.post(
        "/api/v1/lit-carriers/",
        {
            "path": "BAK-AKT",
            "name": "LC1",
            "operator": "AZT",
            "capacity_gbps": 100,
            "spectrum_ghz": "50",
            "start_date": "2026-01-01",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["tributary_slots"] == 80
    assert LitCarrier.objects.get().spectrum.spectrum.count() == 2
    assert customer_api.get("/api/v1/availability/", query).json()["free_units"] == 10


def test_lighting_a_carrier_where_no_spectrum_is_left_is_a_409(network_api, net):
    for _ in range(4):
        allocate_capacity(product=net.wl100, holder=net.customer, start_date=START, path=net.path)
    response = network_api.post(
        "/api/v1/lit-carriers/",
        {
            "path": "BAK-AKT",
            "name": "LC1",
            "operator": "AZT",
            "capacity_gbps": 100,
            "spectrum_ghz": "50",
            "start_date": "2026-12-01",
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["type"] == "capacity_unavailable"
    assert not LitCarrier.objects.exists()


def test_a_platform_admin_session_may_edit_any_site(net):
    from ..conftest import session_client

    admin = session_client(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    response = admin.patch("/api/v1/sites/AKT/", {"name": "Aktau PoP"}, format="json")
    assert response.status_code == 200
    other = session_client(UserFactory(organisation=CustomerFactory(), role=Role.CUSTOMER_ADMIN))
    assert other.patch("/api/v1/sites/AKT/", {"name": "x"}, format="json").status_code == 403


def test_only_a_carrier_lit_by_the_start_date_carries_ethernet(network_api, customer_api, net):
    from leasing.services.capacity import light_carrier

    unlit = LitCarrier.objects.create(
        path=net.path, name="LC8", operator=net.azt, capacity_gbps=100, spectrum_ghz=50
    )
    query = {"product": "ETH10", "path": "BAK-AKT", "start_date": "2026-12-01"}
    assert customer_api.get("/api/v1/availability/", query).json()["free_units"] == 0
    light_carrier(carrier=unlit, start_date=datetime.date(2030, 1, 1))
    assert customer_api.get("/api/v1/availability/", query).json()["free_units"] == 0
    later = customer_api.get("/api/v1/availability/", {**query, "start_date": "2030-01-01"}).json()
    assert later["free_units"] == 10
    # Once lit, a carrier keeps its path, rate and spectrum.
    response = network_api.patch(
        f"/api/v1/lit-carriers/{unlit.pk}/", {"capacity_gbps": 400}, format="json"
    )
    assert response.status_code == 400
    assert "keeps its path, rate and spectrum" in response.json()["detail"]
    assert (
        network_api.patch(
            f"/api/v1/lit-carriers/{unlit.pk}/", {"capacity_gbps": 150}, format="json"
        ).status_code
        == 400
    )


def test_a_fiber_pair_carrying_sales_cannot_be_retired(network_api, net):
    allocate_capacity(product=net.wl100, holder=net.customer, start_date=START, path=net.path)
    response = network_api.patch(
        f"/api/v1/fiber-pairs/{net.fp_sea.pk}/", {"is_active": False}, format="json"
    )
    assert response.status_code == 400
    assert "still carries 1 reservation" in response.json()["errors"]["is_active"][0]
    net.fp_sea.refresh_from_db()
    assert net.fp_sea.is_active


@pytest.mark.postgres
@pytest.mark.parametrize(
    "url",
    [
        "/network/paths/BAK%00AKT/",
        "/services/TCFO%00X/",
        "/api/v1/paths/BAK%00AKT/",
        "/api/v1/availability/?product=WL%00&path=BAK-AKT",
    ],
)
def test_nul_bytes_in_addresses_are_refused_not_a_500(client, net, url):
    client.force_login(UserFactory(organisation=net.customer, role=Role.CUSTOMER_MEMBER))
    assert 400 <= client.get(url).status_code < 500


def test_finance_staff_keep_the_catalog_and_prices_read_back_as_money(finance_api, net):
    created = finance_api.post(
        "/api/v1/products/",
        {
            "code": "WL800",
            "name": "800G",
            "kind": "wavelength",
            "commercial_form": "lease",
            "bandwidth_mbps": 800000,
            "spectrum_ghz": "150",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert (
        finance_api.patch(
            "/api/v1/products/WL800/", {"name": "800G wavelength"}, format="json"
        ).status_code
        == 200
    )
    price = finance_api.get(f"/api/v1/prices/{net.price.pk}/").json()
    assert price["mrc"] == {"amount": "12500.00", "currency": "USD"}
    changed = finance_api.patch(
        f"/api/v1/prices/{net.price.pk}/", {"valid_to": "2027-01-01"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["valid_to"] == "2027-01-01"
    assert changed.json()["mrc"] == {"amount": "12500.00", "currency": "USD"}


def test_the_schema_tells_price_reads_from_price_writes(client):
    import yaml

    components = yaml.safe_load(client.get("/api/schema/").content)["components"]["schemas"]
    assert components["Price"]["properties"]["mrc"]["allOf"] == [
        {"$ref": "#/components/schemas/Money"}
    ]
    assert components["PriceWriteRequest"]["properties"]["mrc"]["type"] == "string"
