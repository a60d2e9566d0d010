"""A path's chain of segments is consortium data: only platform admins change it, and never
once the path has carried a service (its revenue was split by that chain: a new path instead)."""

import datetime
from decimal import Decimal

import pytest

from leasing.choices import ServiceStatus
from leasing.models import Path, Segment
from organisations.choices import Role

from ..billing.conftest import _sale
from ..conftest import key_client, session_client
from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def direct(net):
    """A second way from Baku to Aktau: one segment straight across."""
    return Segment.objects.create(
        code="BAK-AKT-2",
        name="direct",
        a_site=net.bak,
        z_site=net.akt,
        medium="subsea",
        length_km=Decimal(400),
        design_capacity_gbps=4000,
    )


def _chain(path_code="BAK-AKT"):
    path = Path.objects.get(code=path_code)
    return [ps.segment.code for ps in path.path_segments.order_by("position")]


def test_network_staff_may_not_change_a_chain_but_may_rename_the_path(net, direct):
    api = key_client(net.azt, Role.OPERATOR_NETWORK)[0]
    response = api.patch("/api/v1/paths/BAK-AKT/", {"segment_codes": ["BAK-AKT-2"]}, format="json")
    assert response.status_code == 403
    body = response.json()
    assert body["type"] == "permission_denied" and "platform admins" in body["detail"]
    assert "segment_codes" in body["errors"]
    assert _chain() == ["BAK-CLS", "CLS-AKT"]
    assert Path.objects.get(code="BAK-AKT").name == "Baku - Aktau"  # nothing saved
    same = api.patch(
        "/api/v1/paths/BAK-AKT/",
        {"name": "Baku to Aktau", "segment_codes": ["BAK-CLS", "CLS-AKT"]},
        format="json",
    )
    assert same.status_code == 200 and same.json()["name"] == "Baku to Aktau"
    # A new path is where a new chain goes.
    created = api.post(
        "/api/v1/paths/",
        {"code": "BAK-AKT-D", "name": "direct", "a_site": "BAK", "z_site": "AKT",
         "segment_codes": ["BAK-AKT-2"]},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()


def test_a_platform_admin_changes_the_chain_of_a_path_that_carried_nothing(net, direct):
    admin = session_client(UserFactory(role=Role.PLATFORM_ADMIN, organisation=None))
    response = admin.patch(
        "/api/v1/paths/BAK-AKT/", {"segment_codes": ["BAK-AKT-2"]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert _chain() == ["BAK-AKT-2"]


def test_a_path_that_carried_a_service_keeps_its_chain(sales_net, direct):
    net = sales_net
    service = _sale(
        net,
        net.customer,
        net.wl100,
        datetime.date(2026, 8, 1),
        datetime.date(2026, 8, 1),
        term_months=12,
        path=net.path,
    )
    service.status = ServiceStatus.TERMINATED
    service.save()
    admin = session_client(UserFactory(role=Role.PLATFORM_ADMIN, organisation=None))
    response = admin.patch(
        "/api/v1/paths/BAK-AKT/", {"segment_codes": ["BAK-AKT-2"]}, format="json"
    )
    assert response.status_code == 409
    body = response.json()
    assert body["type"] == "conflict" and "create a new path" in body["detail"]
    assert _chain() == ["BAK-CLS", "CLS-AKT"]
