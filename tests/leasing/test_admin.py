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
    "transitportreservation",
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
