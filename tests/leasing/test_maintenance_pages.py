"""The portal's maintenance pages for network staff and the planned work page for every role:
they render empty and full, take times in a named zone, and step the lifecycle."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leasing.models import Maintenance

from .maintenance_world import add_maintenance_world
from .test_maintenance import _plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(sales_net: SimpleNamespace) -> SimpleNamespace:
    return add_maintenance_world(sales_net)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_render_with_nothing_scheduled(world):
    staff = _client(world.noc)
    page = staff.get(reverse("maintenance-list"))
    assert page.status_code == 200 and "Nothing scheduled." in page.content.decode()
    assert 'href="/network/maintenance/"' in page.content.decode()  # navigation
    for user in (world.buyer, world.noc, world.admin):
        page = _client(user).get(reverse("planned-work"))
        assert page.status_code == 200
        assert "No maintenance planned." in page.content.decode()
    customer_page = _client(world.buyer).get(reverse("planned-work")).content.decode()
    assert 'href="/planned-work/"' in customer_page
    assert "Make a new calendar address" in customer_page
    assert _client(world.buyer).get(reverse("maintenance-list")).status_code == 403


def test_pages_render_many_with_the_affected_services(world):
    items = [_plan(world, segments=[world.land], days=2 + i) for i in range(12)]
    page = _client(world.noc).get(reverse("maintenance-list")).content.decode()
    assert all(m.reference in page for m in items)
    detail = _client(world.noc).get(reverse("maintenance", kwargs={"pk": items[0].pk}))
    body = detail.content.decode()
    assert "Affected services (2)" in body
    assert world.a_wave.circuit_id in body and world.b_wave.circuit_id in body
    b_page = _client(world.b_user).get(reverse("planned-work")).content.decode()
    assert all(m.reference in b_page for m in items)
    assert world.b_wave.circuit_id in b_page and world.a_wave.circuit_id not in b_page


def test_schedule_in_a_named_zone_then_edit_start_complete(world):
    staff = _client(world.noc)
    day = timezone.localdate() + datetime.timedelta(days=14)
    form = {
        "segments": ["CLS-AKT"],
        "window_start": f"{day}T02:00",
        "window_end": f"{day}T06:00",
        "time_zone": "Asia/Baku",
        "impact": "degraded",
        "reason": "Amplifier swap",
    }
    with_naive = staff.post(reverse("maintenance-new"), {**form, "time_zone": ""})
    assert with_naive.status_code == 400 and not Maintenance.objects.exists()
    created = staff.post(reverse("maintenance-new"), form)
    assert created.status_code == 302
    maintenance = Maintenance.objects.get()
    assert maintenance.window_start == datetime.datetime.combine(
        day - datetime.timedelta(days=1), datetime.time(22), datetime.UTC
    )
    page = staff.get(created["Location"]).content.decode()
    assert "Affected services (1)" in page
    edit = staff.post(
        reverse("maintenance-edit", kwargs={"pk": maintenance.pk}),
        {
            "window_start": f"{day}T02:00",
            "window_end": f"{day}T07:00",
            "time_zone": "Asia/Baku",
            "impact": "degraded",
            "reason": "Amplifier swap",
            "note": "an hour more",
        },
    )
    assert edit.status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.window_end.astimezone(datetime.UTC).hour == 3
    assert set(maintenance.changes.last().changes) == {"window_end"}
    for step in ("start", "complete"):
        staff.post(reverse(f"maintenance-{step}", kwargs={"pk": maintenance.pk}), {"note": ""})
    maintenance.refresh_from_db()
    assert maintenance.status == "completed"
    refused = staff.post(
        reverse("maintenance-cancel", kwargs={"pk": maintenance.pk}),
        {"reason": "late"},
        follow=True,
    )
    assert "cannot become cancelled" in refused.content.decode()


def test_an_operator_holding_no_share_is_refused_in_the_portal(world):
    ktc = _client(world.ktc_noc)
    day = timezone.localdate() + datetime.timedelta(days=14)
    page = ktc.post(
        reverse("maintenance-new"),
        {
            "segments": ["BAK-CLS"],
            "window_start": f"{day}T02:00",
            "window_end": f"{day}T06:00",
            "time_zone": "UTC",
            "impact": "degraded",
            "reason": "x",
        },
    )
    assert page.status_code == 400 and "holds no share of BAK-CLS" in page.content.decode()
    land = _plan(world, segments=[world.land])
    assert ktc.get(reverse("maintenance", kwargs={"pk": land.pk})).status_code == 404
