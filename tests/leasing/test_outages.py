"""Network staff record outages on the segments their operator owns a share of; bad input gets
the form back with its errors, and nobody else records them."""

import datetime

import pytest
from django.utils import timezone

from leasing.choices import OutageAction
from leasing.models import Outage
from leasing.services.inventory import set_segment_ownership
from organisations.choices import Role

from ..conftest import key_client
from ..factories import OperatorFactory, UserFactory

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
    # Times are typed in the reader's zone (tests/leasing/test_times_and_formats.py): UTC here.
    client.force_login(
        UserFactory(organisation=net.ktc, role=Role.OPERATOR_NETWORK, time_zone="UTC")
    )
    # KTC owns half the sea segment and none of the land one.
    response = client.post("/network/outages/", _outage(net.land))
    assert response.status_code == 400 and "holds no share of" in response.content.decode()
    assert client.post("/network/outages/", _outage(net.sea)).status_code == 302
    outage = Outage.objects.get()
    assert (outage.segment, outage.description, outage.ended_at.hour) == (
        net.sea,
        "Anchor drag",
        20,  # typed in the reader's zone, UTC
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


def _open(net, segment=None, **change):
    fields = {
        "segment": segment or net.sea,
        "started_at": datetime.datetime(2026, 10, 20, 10, tzinfo=datetime.UTC),
        "ended_at": None,
        "description": "Anchor drag",
        "recorded_by": "noc",
        **change,
    }
    return Outage.objects.create(**fields)


def test_network_staff_end_and_correct_outages_in_the_portal_with_history(net, client):
    user = UserFactory(
        organisation=net.ktc, role=Role.OPERATOR_NETWORK, username="ktc-noc", time_zone="UTC"
    )
    client.force_login(user)
    outage = _open(net)
    page = client.get("/network/outages/").content.decode()
    assert f"/network/outages/{outage.pk}/#end" in page
    assert f"/network/outages/{outage.pk}/#correct" in page

    url = f"/network/outages/{outage.pk}/"
    for bad, message in (
        ({"ended_at": "2026-10-20T09:00"}, "ends after it starts"),
        ({"ended_at": "2099-01-01T00:00"}, "not in the future"),
        ({"ended_at": "soon"}, "Enter a valid date/time"),
    ):
        response = client.post(url + "end/", bad)
        body = response.content.decode()
        assert response.status_code == 400 and message in body
        assert f'value="{bad["ended_at"]}"' in body  # the form keeps what was typed
    assert client.post(url + "end/", {"ended_at": "2026-10-20T18:30"}).status_code == 302
    outage.refresh_from_db()
    assert outage.ended_at == datetime.datetime(2026, 10, 20, 18, 30, tzinfo=datetime.UTC)
    response = client.post(url + "end/", {"ended_at": "2026-10-20T19:00"})
    assert response.status_code == 400 and "ended" in response.content.decode()

    correction = {
        "started_at": "2026-10-20T09:45",
        "ended_at": "2026-10-20T18:30",
        "description": "Anchor drag near CLS",
        "reason": "",
    }
    response = client.post(url + "correct/", correction)
    body = response.content.decode()
    assert response.status_code == 400 and "This field is required" in body
    assert 'value="Anchor drag near CLS"' in body
    response = client.post(
        url + "correct/", {**correction, "started_at": "2099-01-01T00:00", "reason": "r"}
    )
    assert response.status_code == 400 and "once it has started" in response.content.decode()
    correction["reason"] = "NOC log shows the first alarm at 09:45"
    assert client.post(url + "correct/", correction).status_code == 302
    outage.refresh_from_db()
    assert (outage.started_at.hour, outage.started_at.minute) == (9, 45)
    assert outage.description == "Anchor drag near CLS"

    history = list(outage.changes.all())
    assert [h.action for h in history] == [OutageAction.ENDED, OutageAction.CORRECTED]
    assert {h.by for h in history} == {"ktc-noc"}
    assert history[1].reason == "NOC log shows the first alarm at 09:45"
    assert history[1].changes == {
        "started_at": ["2026-10-20T10:00:00+00:00", "2026-10-20T09:45:00+00:00"],
        "description": ["Anchor drag", "Anchor drag near CLS"],
    }
    page = client.get(url).content.decode()
    assert "NOC log shows the first alarm" in page and "Corrected" in page


def test_only_owners_on_the_date_end_or_correct_in_the_portal(net, client):
    outage = _open(net, segment=net.land)  # AZT's alone
    client.force_login(UserFactory(organisation=net.ktc, role=Role.OPERATOR_NETWORK))
    response = client.post(f"/network/outages/{outage.pk}/end/", {"ended_at": "2026-10-21T00:00"})
    assert response.status_code == 400 and "holds no share of" in response.content.decode()
    client.force_login(UserFactory(organisation=net.azt, role=Role.OPERATOR_FINANCE))
    assert client.get(f"/network/outages/{outage.pk}/").status_code == 403
    assert not Outage.objects.get().changes.exists()


@pytest.fixture
def noc_api(net):
    return key_client(net.ktc, Role.OPERATOR_NETWORK)


def test_outages_api_records_ends_and_corrects_with_history(net, noc_api):
    api, key = noc_api
    body = {"segment": "CLS-AKT", "started_at": "2026-10-20T10:00:00Z", "description": "cut"}
    created = api.post("/api/v1/outages/", body, format="json")
    assert created.status_code == 201, created.json()
    outage = created.json()
    assert outage["ended_at"] is None and outage["history"][0]["action"] == "recorded"
    assert outage["recorded_by"] == f"API key {key.prefix} (KTC)"

    url = f"/api/v1/outages/{outage['id']}/"
    for bad, field in (
        ({"ended_at": "2026-10-20T09:00:00Z"}, "ended_at"),
        ({"ended_at": "2099-10-20T09:00:00Z"}, "ended_at"),
        ({"ended_at": "later"}, "ended_at"),
        ({}, "ended_at"),
    ):
        response = api.post(url + "end/", bad, format="json")
        assert response.status_code == 400, response.json()
        assert field in response.json()["errors"] and response.json()["detail"]
    ended = api.post(url + "end/", {"ended_at": "2026-10-20T16:00:00Z"}, format="json")
    assert ended.status_code == 200 and ended.json()["ended_at"] == "2026-10-20T16:00:00Z"
    again = api.post(url + "end/", {"ended_at": "2026-10-20T17:00:00Z"}, format="json")
    assert again.status_code == 400 and again.json()["type"] == "invalid_request"

    no_reason = api.post(url + "correct/", {"ended_at": "2026-10-20T15:00:00Z"}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    backwards = api.post(
        url + "correct/",
        {"ended_at": "2026-10-20T09:00:00Z", "reason": "typo"},
        format="json",
    )
    assert backwards.status_code == 400 and "ended_at" in backwards.json()["errors"]
    corrected = api.post(
        url + "correct/", {"ended_at": "2026-10-20T15:00:00Z", "reason": "typo"}, format="json"
    )
    assert corrected.status_code == 200, corrected.json()
    history = corrected.json()["history"]
    assert [h["action"] for h in history] == ["recorded", "ended", "corrected"]
    assert history[2]["changes"] == {
        "ended_at": ["2026-10-20T16:00:00+00:00", "2026-10-20T15:00:00+00:00"]
    }
    assert history[2]["reason"] == "typo"
    reopened = api.post(url + "correct/", {"ended_at": None, "reason": "still down"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["ended_at"] is None
    assert api.get(url).json()["history"][-1]["changes"]["ended_at"][1] is None


def test_outages_api_refuses_other_operators_outages_and_future_starts(net, noc_api):
    api, _ = noc_api
    land = _open(net, segment=net.land)  # AZT's alone: KTC never held a share
    assert api.get(f"/api/v1/outages/{land.pk}/").status_code == 404
    response = api.post(f"/api/v1/outages/{land.pk}/end/", {"ended_at": "2026-10-21T00:00:00Z"})
    assert response.status_code == 404 and response.json()["type"] == "not_found"
    assert [o["id"] for o in api.get("/api/v1/outages/").json()["results"]] == []
    refused = api.post(
        "/api/v1/outages/",
        {"segment": "BAK-CLS", "started_at": "2026-10-20T10:00:00Z", "description": "cut"},
        format="json",
    )
    assert refused.status_code == 403 and refused.json()["type"] == "permission_denied"
    future = api.post(
        "/api/v1/outages/",
        {"segment": "CLS-AKT", "started_at": "2099-10-20T10:00:00Z", "description": "cut"},
        format="json",
    )
    assert future.status_code == 400 and "started_at" in future.json()["errors"]
    # A customer reads outages (those that hit its services: none here) but records none.
    customer = key_client(net.customer)[0]
    assert customer.get("/api/v1/outages/").json()["results"] == []
    assert customer.get(f"/api/v1/outages/{land.pk}/").status_code == 404
    assert customer.post(f"/api/v1/outages/{land.pk}/end/").status_code == 403
    assert not land.changes.exists()


def test_customers_read_the_outages_that_hit_their_services_with_their_own_circuits(sales_net):
    from leasing.services.orders import (
        acknowledge_order,
        complete_order,
        create_quote,
        place_order,
        start_provisioning,
    )

    from .conftest import START
    from .test_orders import RFS, _completed

    net = sales_net
    service = _completed(net)  # live from 10 December
    quote = create_quote(
        customer=net.other_customer,
        product=net.wl100,
        path=net.path,
        term_months=12,
        start_date=START,
        by="rival",
    )
    order = place_order(quote=quote, by="rival")
    acknowledge_order(order=order, by="ops")
    start_provisioning(order=order, by="ops")
    rival_service = complete_order(order=order, by="ops", ready_for_service_date=RFS)

    def outage(day: int, month: int = 12) -> Outage:
        start = datetime.datetime(2026, month, day, 10, tzinfo=datetime.UTC)
        return Outage.objects.create(
            segment=net.land,
            started_at=start,
            ended_at=start + datetime.timedelta(hours=2),
            description="Anchor drag",
            recorded_by="noc",
        )

    before, hit = outage(20, month=10), outage(15)
    customer = key_client(net.customer)[0]
    listed = customer.get("/api/v1/outages/").json()["results"]
    assert [o["id"] for o in listed] == [hit.pk]  # not the one before its service ran
    assert listed[0]["circuit_ids"] == [service.circuit_id]  # never the rival's
    assert (listed[0]["recorded_by"], listed[0]["history"]) == (None, [])
    assert customer.get(f"/api/v1/outages/{before.pk}/").status_code == 404
    # The network staff read both circuits, the author and the history.
    noc = key_client(net.azt, role=Role.OPERATOR_NETWORK)[0]
    seen = noc.get(f"/api/v1/outages/{hit.pk}/").json()
    assert seen["circuit_ids"] == sorted([service.circuit_id, rival_service.circuit_id])
    assert seen["recorded_by"] == "noc"


def test_a_former_owner_acts_only_on_outages_of_days_it_owned(net):
    """KTC sells its half of the sea segment to a newcomer from 1 November 2026."""
    newcomer = OperatorFactory(name="NEW")
    set_segment_ownership(
        segment=net.sea,
        valid_from=datetime.date(2026, 11, 1),
        shares={net.azt: 50, newcomer: 50},
    )
    before = _open(net, started_at=datetime.datetime(2026, 10, 30, tzinfo=datetime.UTC))
    after = _open(net, started_at=datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC))
    ktc = key_client(net.ktc, Role.OPERATOR_NETWORK)[0]
    end = {"ended_at": "2026-11-03T00:00:00Z"}
    assert ktc.post(f"/api/v1/outages/{before.pk}/end/", end, format="json").status_code == 200
    # It still sees the segment's later outages (it co-owned the segment) but may not end them.
    response = ktc.post(f"/api/v1/outages/{after.pk}/end/", end, format="json")
    assert response.status_code == 403
    new = key_client(newcomer, Role.OPERATOR_NETWORK)[0]
    r = new.post(f"/api/v1/outages/{after.pk}/end/", end, format="json")
    assert r.status_code == 200, r.json()
    assert new.get(f"/api/v1/outages/{before.pk}/").status_code == 200
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=None)
    from ..conftest import session_client

    fix = {"started_at": "2026-10-29T00:00:00Z", "reason": "earlier alarm"}
    response = session_client(admin).post(
        f"/api/v1/outages/{before.pk}/correct/", fix, format="json"
    )
    assert response.status_code == 200
    assert Outage.objects.get(pk=before.pk).started_at.day == 29
    assert timezone.now() > Outage.objects.get(pk=before.pk).started_at


# --- i15-d2 begin ---
def test_the_outage_form_offers_the_segments_the_operator_holds_a_share_of(net, client):
    """The form offers what ``outage_segments`` gives, the rule ``record_outage`` enforces."""
    from django.urls import reverse

    from leasing.services.outages import outage_segments

    ktc_staff = UserFactory(organisation=net.ktc, role=Role.OPERATOR_NETWORK)
    client.force_login(ktc_staff)
    form = client.get(reverse("outages")).context["form"]
    offered = [value for value, _ in form.fields["segment"].widget.choices if value]
    assert offered == [net.sea.pk] == [s.pk for s in outage_segments(ktc_staff)]
    html = client.get(reverse("outages")).content.decode()
    assert "CLS-AKT" in html and "BAK-CLS" not in html

    azt_staff = UserFactory(organisation=net.azt, role=Role.OPERATOR_NETWORK)
    assert list(outage_segments(azt_staff)) == [net.land, net.sea]
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN)
    assert list(outage_segments(admin)) == [net.land, net.sea]
    finance = UserFactory(organisation=net.azt, role=Role.OPERATOR_FINANCE)
    assert list(outage_segments(finance)) == []


# --- i15-d2 end ---
