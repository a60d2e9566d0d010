"""Network staff record outages on the segments their operator owns a share of; bad input gets
the form back with its errors, and nobody else records them."""

import pytest

from leasing.models import Outage
from organisations.choices import Role

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def _outage(on, **change):
    return {
        "segment": on.pk,
        "started_at": "2026-10-20T10:00",
        "ended_at": "2026-10-20T20:00",
        "description": "Anchor drag",
        **change,
    }


def test_owners_network_staff_record_outages_of_their_segments(net, client):
    client.force_login(UserFactory(organisation=net.ktc, role=Role.OPERATOR_NETWORK))
    # KTC owns half the sea segment and none of the land one.
    response = client.post("/network/outages/", _outage(net.land))
    assert response.status_code == 400 and "holds no share of" in response.content.decode()
    assert client.post("/network/outages/", _outage(net.sea)).status_code == 302
    outage = Outage.objects.get()
    assert (outage.segment, outage.description, outage.ended_at.hour) == (
        net.sea,
        "Anchor drag",
        20,  # the portal's times are UTC
    )
    assert "Anchor drag" in client.get("/network/outages/").content.decode()

    for bad, message in (
        ({"ended_at": "2026-10-20T09:00"}, "ends after it starts"),
        ({"started_at": "2099-01-01T00:00", "ended_at": ""}, "once it has started"),
        ({"started_at": "yesterday"}, "Enter a valid date/time"),
        ({"description": ""}, "This field is required"),
        ({"segment": "999999"}, "Select a valid choice"),
    ):
        response = client.post("/network/outages/", _outage(net.sea, **bad))
        assert response.status_code == 400 and message in response.content.decode()
    assert Outage.objects.count() == 1


def test_customers_and_finance_staff_record_no_outages(net, client):
    for user in (
        UserFactory(organisation=net.customer, role=Role.CUSTOMER_ADMIN),
        UserFactory(organisation=net.azt, role=Role.OPERATOR_FINANCE),
    ):
        client.force_login(user)
        assert client.get("/network/outages/").status_code == 403
        assert client.post("/network/outages/", _outage(net.sea)).status_code == 403
    assert not Outage.objects.exists()
