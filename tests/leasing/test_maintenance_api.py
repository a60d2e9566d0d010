"""``/api/v1/maintenance/``: staff schedule, change and step it; customers read what affects
them, with only their own circuits; filters; times need an offset."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from leasing.models import Maintenance
from organisations.choices import Role

from ..conftest import key_client
from .maintenance_world import add_maintenance_world

pytestmark = pytest.mark.django_db
URL = "/api/v1/maintenance/"


@pytest.fixture
def world(sales_net: SimpleNamespace) -> SimpleNamespace:
    w = add_maintenance_world(sales_net)
    w.azt_api = key_client(w.azt, Role.OPERATOR_NETWORK)[0]
    w.ktc_api = key_client(w.ktc, Role.OPERATOR_NETWORK)[0]
    w.third_api = key_client(w.third, Role.OPERATOR_NETWORK)[0]
    w.a_api = key_client(w.customer, Role.CUSTOMER_ADMIN)[0]
    w.b_api = key_client(w.b_customer, Role.CUSTOMER_ADMIN)[0]
    w.rival_api = key_client(w.other_customer, Role.CUSTOMER_ADMIN)[0]
    return w


def _body(segments, days=15, hours=4, **extra):
    start = (timezone.now() + datetime.timedelta(days=days)).replace(microsecond=0)
    return {
        "segments": segments,
        "window_start": start.isoformat(),
        "window_end": (start + datetime.timedelta(hours=hours)).isoformat(),
        "impact": "loss_of_service",
        "reason": "Repeater swap",
        **extra,
    }


def _schedule(client, segments, **kw):
    response = client.post(URL, _body(segments, **kw), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_staff_schedule_and_customers_read_only_their_circuits(world):
    land = _schedule(world.azt_api, ["BAK-CLS"])
    assert land["status"] == "scheduled" and land["segments"] == ["BAK-CLS"]
    assert land["circuit_ids"] == sorted([world.a_wave.circuit_id, world.b_wave.circuit_id])
    assert land["history"][0]["action"] == "scheduled"
    a = world.a_api.get(f"{URL}{land['id']}/").json()
    assert a["circuit_ids"] == [world.a_wave.circuit_id]
    assert (a["history"], a["created_by"]) == ([], None)
    b = world.b_api.get(URL).json()
    assert [row["circuit_ids"] for row in b["results"]] == [[world.b_wave.circuit_id]]
    # the rival's service ended: not affected, the maintenance is a 404 to it
    assert world.rival_api.get(f"{URL}{land['id']}/").status_code == 404
    assert world.rival_api.get(URL).json()["count"] == 0


def test_an_operator_holding_no_share_is_refused(world):
    response = world.ktc_api.post(URL, _body(["BAK-CLS"]), format="json")
    assert response.status_code == 403
    assert response.json()["type"] == "permission_denied"
    assert world.third_api.post(URL, _body(["CLS-AKT"]), format="json").status_code == 403
    assert world.a_api.post(URL, _body(["CLS-AKT"]), format="json").status_code == 403
    assert not Maintenance.objects.exists()
    sea = _schedule(world.azt_api, ["CLS-AKT"])
    # the third operator sees none of it, KTC (a share of sea) does
    assert world.third_api.get(f"{URL}{sea['id']}/").status_code == 404
    assert world.third_api.post(f"{URL}{sea['id']}/cancel/", {"reason": "x"}).status_code == 404
    assert world.ktc_api.get(f"{URL}{sea['id']}/").status_code == 200


def test_times_need_an_offset_and_keep_it(world):
    naive = _body(["BAK-CLS"])
    naive["window_start"] = naive["window_start"][:19]
    response = world.azt_api.post(URL, naive, format="json")
    assert response.status_code == 400
    assert "offset" in response.json()["errors"]["window_start"][0]
    day = timezone.localdate() + datetime.timedelta(days=5)
    body = {
        **_body(["BAK-CLS"]),
        "window_start": f"{day}T02:00:00+04:00",
        "window_end": f"{day}T05:00:00+04:00",
    }
    answer = world.azt_api.post(URL, body, format="json").json()
    start = datetime.datetime.fromisoformat(answer["window_start"])
    assert start == datetime.datetime.combine(
        day - datetime.timedelta(days=1), datetime.time(22), datetime.UTC
    )


def test_patch_and_actions_with_409_for_a_step_not_allowed(world):
    m = _schedule(world.azt_api, ["CLS-AKT"])
    url = f"{URL}{m['id']}/"
    patched = world.azt_api.patch(url, {"impact": "degraded", "note": "less"}, format="json")
    assert patched.status_code == 200
    assert (patched.json()["impact"], patched.json()["sequence"]) == ("degraded", 1)
    assert world.a_api.patch(url, {"impact": "at_risk"}, format="json").status_code == 403
    assert world.azt_api.post(f"{url}complete/", {}).status_code == 409
    assert world.azt_api.post(f"{url}start/", {"note": "on site"}).json()["status"] == (
        "in_progress"
    )
    conflict = world.azt_api.post(f"{url}cancel/", {"reason": "x"})
    assert conflict.status_code == 409 and conflict.json()["type"] == "invalid_transition"
    done = world.azt_api.post(f"{url}complete/", {}).json()
    assert done["status"] == "completed" and done["completed_at"]
    assert [h["action"] for h in done["history"]] == [
        "scheduled",
        "updated",
        "started",
        "completed",
    ]
    assert world.azt_api.patch(url, {"reason": "again"}, format="json").status_code == 409


def test_filters(world):
    land = _schedule(world.azt_api, ["BAK-CLS"], days=10)
    sea = _schedule(world.azt_api, ["CLS-AKT"], days=30)
    world.azt_api.post(f"{URL}{sea['id']}/cancel/", {"reason": "ship"})

    def ids(client, query):
        response = client.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return [row["id"] for row in response.json()["results"]]

    api = world.azt_api
    assert ids(api, "status=cancelled") == [sea["id"]]
    assert ids(api, "segment=BAK-CLS") == [land["id"]]
    assert ids(api, "path=BAK-CLS") == [land["id"]]
    assert set(ids(api, "path=BAK-AKT")) == {land["id"], sea["id"]}
    assert ids(api, f"circuit_id={world.b_wave.circuit_id}") == [land["id"]]
    later = (timezone.now() + datetime.timedelta(days=20)).date()
    assert ids(api, f"window_start_after={later}") == [sea["id"]]
    assert ids(api, f"window_start_before={later}") == [land["id"]]
    # a customer filtering by another's circuit learns nothing
    assert ids(world.a_api, f"circuit_id={world.b_wave.circuit_id}") == []
    assert world.azt_api.get(f"{URL}?status=nope").status_code == 400
