"""The back office refuses what the services refuse."""

import pytest

from leasing.models import (
    CapacityAllocation,
    LitCarrier,
    OwnershipShare,
    Path,
    Price,
    SegmentOwnership,
)
from leasing.services.capacity import allocate_capacity
from organisations.choices import Role

from ..factories import UserFactory
from .conftest import START

pytestmark = pytest.mark.django_db

MODELS = [
    "site", "segment", "segmentownership", "path", "fiberpair", "litcarrier", "transitportpool",
    "product", "price", "capacityallocation", "spectrumreservation", "litcapacityreservation",
    "transitportreservation", "outage", "siteownership", "segmentweight", "litcarrieroperator",
]  # fmt: skip


@pytest.fixture
def admin_client(client, net):
    client.force_login(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    return client


def _inline(prefix: str, rows: list[dict], total_forms: int = 3) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(total_forms),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def test_every_leasing_model_has_an_admin(admin_client):
    for model in MODELS:
        assert admin_client.get(f"/admin/leasing/{model}/").status_code == 200, model


def test_the_admin_refuses_shares_that_do_not_sum_to_100(admin_client, net):
    before = SegmentOwnership.objects.count()
    body = {"segment": net.sea.pk, "valid_from": "2027-01-01", "note": ""}
    shares = [{"operator": net.azt.pk, "percent": "60"}, {"operator": net.ktc.pk, "percent": "30"}]
    response = admin_client.post(
        "/admin/leasing/segmentownership/add/", {**body, **_inline("shares", shares)}
    )
    assert response.status_code == 200
    assert "The shares sum to 90%, not 100%." in response.content.decode()
    assert SegmentOwnership.objects.count() == before

    shares[1]["percent"] = "40"
    response = admin_client.post(
        "/admin/leasing/segmentownership/add/", {**body, **_inline("shares", shares)}
    )
    assert response.status_code == 302
    assert OwnershipShare.objects.filter(ownership__valid_from="2027-01-01").count() == 2


def test_the_admin_refuses_a_path_whose_segments_do_not_chain(admin_client, net):
    body = {
        "code": "AKT-BAK",
        "name": "back",
        "a_site": net.akt.pk,
        "z_site": net.bak.pk,
        "is_active": "on",
    }
    rows = [{"segment": net.land.pk, "position": "1"}, {"segment": net.sea.pk, "position": "2"}]
    response = admin_client.post(
        "/admin/leasing/path/add/", {**body, **_inline("path_segments", rows)}
    )
    assert response.status_code == 200
    assert "does not continue the path" in response.content.decode()
    assert not Path.objects.filter(code="AKT-BAK").exists()


def test_the_admin_refuses_a_price_without_a_currency(admin_client, net):
    response = admin_client.post(
        "/admin/leasing/price/add/",
        {
            "product": net.wl100.pk,
            "path": net.path.pk,
            "term_months": "36",
            "valid_from": "2026-01-01",
            "currency": "",
            "mrc": "1",
            "nrc": "1",
        },
    )
    assert response.status_code == 200
    assert Price.objects.count() == 1


def test_a_carrier_added_in_the_admin_is_lit(admin_client, net):
    response = admin_client.post(
        "/admin/leasing/litcarrier/add/",
        {
            "path": net.path.pk,
            "name": "LC9",
            "operator": net.azt.pk,
            "capacity_gbps": "100",
            "spectrum_ghz": "50",
            "is_active": "on",
            "lit_from": "2026-01-01",
        },
    )
    assert response.status_code == 302
    carrier = LitCarrier.objects.get(name="LC9")
    assert carrier.spectrum.spectrum.count() == 2


def test_allocations_are_released_through_the_service_only(admin_client, net):
    allocation = allocate_capacity(
        product=net.wl100, holder=net.customer, start_date=START, path=net.path
    )
    assert (
        admin_client.get(f"/admin/leasing/capacityallocation/{allocation.pk}/change/").status_code
        == 200
    )
    assert admin_client.get("/admin/leasing/spectrumreservation/add/").status_code == 403
    response = admin_client.post(
        "/admin/leasing/capacityallocation/",
        {"action": "release_selected", "_selected_action": [allocation.pk]},
    )
    assert response.status_code == 302
    allocation.refresh_from_db()
    assert allocation.status == "released"
    assert not allocation.spectrum.exists()
    assert CapacityAllocation.objects.count() == 1


def test_a_site_owner_added_in_the_admin_is_dated_and_today_follows(admin_client, net):
    import datetime

    from leasing.models import Site, SiteOwnership

    response = admin_client.post(
        "/admin/leasing/siteownership/add/",
        {"site": net.bak.pk, "operator": net.ktc.pk, "valid_from": "2026-09-01"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rows = SiteOwnership.objects.filter(site=net.bak).order_by("valid_from")
    assert [(r.operator.name, r.valid_from) for r in rows] == [
        ("AZT", datetime.date(2000, 1, 1)),  # what was true before, kept
        ("KTC", datetime.date(2026, 9, 1)),
    ]
    assert Site.objects.get(pk=net.bak.pk).operator == net.ktc


def test_the_admin_keeps_the_chain_of_a_path_that_carried_a_service(admin_client, sales_net):
    import datetime

    from leasing.models import PathSegment

    from ..billing.conftest import _sale

    net = sales_net
    _sale(
        net,
        net.customer,
        net.wl100,
        datetime.date(2026, 8, 1),
        datetime.date(2026, 8, 1),
        term_months=12,
        path=net.path,
    )
    land, sea = PathSegment.objects.filter(path=net.path).order_by("position")
    body = {
        "code": "BAK-AKT",
        "name": "Baku - Aktau",
        "a_site": net.bak.pk,
        "z_site": net.akt.pk,
        "is_active": "on",
        "path_segments-TOTAL_FORMS": "2",
        "path_segments-INITIAL_FORMS": "2",
        "path_segments-MIN_NUM_FORMS": "0",
        "path_segments-MAX_NUM_FORMS": "1000",
    }
    from leasing.models import Segment

    direct = Segment.objects.create(
        code="CLS-AKT-2",
        name="sea 2",
        a_site=net.cls,
        z_site=net.akt,
        medium="subsea",
        length_km=400,
        design_capacity_gbps=4000,
    )
    for i, (row, segment) in enumerate(((land, net.land), (sea, direct))):
        body.update(
            {
                f"path_segments-{i}-id": row.pk,
                f"path_segments-{i}-path": net.path.pk,
                f"path_segments-{i}-segment": segment.pk,
                f"path_segments-{i}-position": row.position,
            }
        )
    response = admin_client.post(f"/admin/leasing/path/{net.path.pk}/change/", body)
    assert response.status_code == 200
    assert "create a new path" in response.content.decode()
    assert list(
        PathSegment.objects.filter(path=net.path)
        .order_by("position")
        .values_list("segment__code", flat=True)
    ) == ["BAK-CLS", "CLS-AKT"]
