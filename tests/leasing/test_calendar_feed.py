"""Each customer's iCalendar feed: a secret address shown once, served without sign-in, only
its own items, parsed back with icalendar; a new address replaces the old."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from leasing.models import CalendarFeed, Outage
from leasing.services.maintenance import (
    cancel_maintenance,
    complete_maintenance,
    start_maintenance,
    update_maintenance,
)

from .maintenance_world import add_maintenance_world
from .test_maintenance import _plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(sales_net: SimpleNamespace) -> SimpleNamespace:
    w = add_maintenance_world(sales_net)
    w.land_work = _plan(w, segments=[w.land], days=10)
    w.sea_work = _plan(w, segments=[w.sea], days=12)
    started = timezone.now() - datetime.timedelta(days=3)
    w.cut = Outage.objects.create(
        segment=w.sea,
        started_at=started,
        ended_at=started + datetime.timedelta(hours=2),
        description="Anchor drag",
        recorded_by="noc",
    )
    return w


def _feed_url(user) -> str:
    client = Client()
    client.force_login(user)
    page = client.post(reverse("calendar-feed-new"), {"confirmed": "yes"})
    assert page.status_code == 200
    [url] = re.findall(r"<code>(http[^<]+\.ics)</code>", page.content.decode())
    return url


def _events(url: str) -> dict[str, object]:
    response = Client().get(url)  # no sign-in
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}, response.content.decode()


def test_the_feed_lists_the_organisations_maintenance_and_outages(world):
    url = _feed_url(world.buyer)
    events, raw = _events(url)
    land, sea = world.land_work, world.sea_work
    assert set(events) == {
        f"maintenance-{land.pk}@tcfo-portal",
        f"maintenance-{sea.pk}@tcfo-portal",
        f"outage-{world.cut.pk}@tcfo-portal",
    }
    event = events[f"maintenance-{land.pk}@tcfo-portal"]
    assert event.decoded("DTSTART") == land.window_start
    assert event.decoded("DTEND") == land.window_end
    utc = land.window_start.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{utc}" in raw.replace("\r\n ", "")
    assert str(event["SUMMARY"]) == f"Planned maintenance {land.reference}: Loss of service"
    description = str(event["DESCRIPTION"])
    assert "Impact: Loss of service" in description and "Reason: Splice repair" in description
    assert world.a_wave.circuit_id in description
    assert world.b_wave.circuit_id not in raw  # B's circuit is B's business
    assert (str(event["STATUS"]), int(event["SEQUENCE"])) == ("CONFIRMED", 0)
    assert "LAST-MODIFIED" in event
    outage = events[f"outage-{world.cut.pk}@tcfo-portal"]
    assert str(outage["SUMMARY"]) == "Outage on CLS-AKT"
    assert world.a_wave.circuit_id in str(outage["DESCRIPTION"])


def test_updates_bump_the_sequence_and_cancelled_work_says_so(world):
    url = _feed_url(world.buyer)
    update_maintenance(maintenance=world.land_work, actor=world.noc, impact="degraded")
    cancel_maintenance(maintenance=world.sea_work, actor=world.noc, reason="Ship unavailable")
    events, _ = _events(url)
    land = events[f"maintenance-{world.land_work.pk}@tcfo-portal"]
    sea = events[f"maintenance-{world.sea_work.pk}@tcfo-portal"]
    assert (int(land["SEQUENCE"]), str(land["STATUS"])) == (1, "CONFIRMED")
    assert "Degraded" in str(land["SUMMARY"])
    assert (int(sea["SEQUENCE"]), str(sea["STATUS"])) == (1, "CANCELLED")


def test_completed_work_shows_when_it_actually_ran_not_on_its_planned_day(world):
    url = _feed_url(world.buyer)
    land = world.land_work  # planned ten days ahead; done today, early
    start_maintenance(maintenance=land, actor=world.noc, note="Crew free early")
    events, _ = _events(url)
    running = events[f"maintenance-{land.pk}@tcfo-portal"]
    land.refresh_from_db()
    assert running.decoded("DTSTART") == land.started_at.replace(microsecond=0)
    assert running.decoded("DTEND") == land.window_end
    assert int(running["SEQUENCE"]) == 1  # new times: calendars take them only with a higher one
    complete_maintenance(maintenance=land, actor=world.noc)
    events, _ = _events(url)
    done = events[f"maintenance-{land.pk}@tcfo-portal"]
    land.refresh_from_db()
    assert done.decoded("DTSTART") == land.started_at.replace(microsecond=0)
    assert done.decoded("DTEND") == land.completed_at.replace(microsecond=0)
    assert done.decoded("DTEND").date() != land.window_start.date()
    assert int(done["SEQUENCE"]) == 2
    description = str(done["DESCRIPTION"])
    planned = f"{land.window_start.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    assert f"Planned window: {planned} to " in description
    assert f"Completed: {land.completed_at:%Y-%m-%d %H:%M} UTC" in description
    assert "Status: Completed" in description


def test_each_feed_shows_only_its_organisation_and_unknown_tokens_are_404(world):
    b_events, b_raw = _events(_feed_url(world.b_user))
    # B's service runs over land only: the land work, not the sea work nor the sea outage
    assert set(b_events) == {f"maintenance-{world.land_work.pk}@tcfo-portal"}
    assert world.b_wave.circuit_id in b_raw and world.a_wave.circuit_id not in b_raw
    assert Client().get(reverse("calendar-feed", kwargs={"token": "x" * 43})).status_code == 404


def test_a_new_address_replaces_the_old_one_and_only_admins_make_one(world):
    old = _feed_url(world.buyer)
    new = _feed_url(world.buyer)
    assert old != new
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    assert CalendarFeed.objects.filter(organisation=world.customer).count() == 1
    assert len(CalendarFeed.objects.get().token_hash) == 64  # only the hash is kept
    member = Client()
    member.force_login(world.c_user)  # a customer member
    assert member.post(reverse("calendar-feed-new")).status_code == 403
    staff = Client()
    staff.force_login(world.noc)
    assert staff.post(reverse("calendar-feed-new")).status_code == 403
