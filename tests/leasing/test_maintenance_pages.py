"""The portal's maintenance pages for network staff and the planned work page for every role:
they render empty and full, take times in a named zone, and step the lifecycle."""

from __future__ import annotations

import datetime
import re
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leasing.exceptions import NotPermitted
from leasing.models import Maintenance, Segment
from leasing.services.maintenance import start_maintenance
from organisations.choices import Role
from tcfo_portal.formatting import format_moment

from ..factories import UserFactory
from .maintenance_world import add_maintenance_world
from .test_maintenance import _plan

pytestmark = pytest.mark.django_db
CONFIRM_PAGE = 'name="confirmed" value="yes"'
YES = {"confirmed": "yes"}


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
        staff.post(
            reverse(f"maintenance-{step}", kwargs={"pk": maintenance.pk}), {"note": "", **YES}
        )
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
    assert page.status_code == 400 and not Maintenance.objects.exists()
    assert "BAK-CLS is not one of the available choices" in page.content.decode()
    land = _plan(world, segments=[world.land])
    assert ktc.get(reverse("maintenance", kwargs={"pk": land.pk})).status_code == 404


# --- what a person reads (the new-user pass) ----------------------------------------------------


def _segment_options(page) -> set[str]:
    body = page.content.decode()
    select = body[
        body.index('name="segments"') : body.index("</select>", body.index('name="segments"'))
    ]
    return set(re.findall(r'<option value="([^"]+)"', select))


def test_the_form_offers_only_the_segments_the_operator_holds_a_share_of(world):
    land, sea = world.land.code, world.sea.code
    assert _segment_options(_client(world.noc).get(reverse("maintenance-new"))) == {land, sea}
    assert _segment_options(_client(world.ktc_noc).get(reverse("maintenance-new"))) == {sea}
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN, is_staff=True)
    assert _segment_options(_client(admin).get(reverse("maintenance-new"))) == set(
        Segment.objects.values_list("code", flat=True)
    )
    # the service still refuses whoever holds no share, whatever the form offered
    with pytest.raises(NotPermitted):
        _plan(world, segments=[world.land], actor=world.ktc_noc)


def test_the_history_reads_as_labels_codes_and_utc_times(world):
    staff = _client(world.noc)
    day = timezone.localdate() + datetime.timedelta(days=14)
    form = {
        "segments": [world.land.code],
        "window_start": f"{day}T02:00",
        "window_end": f"{day}T06:00",
        "time_zone": "Asia/Baku",
        "impact": "degraded",
        "reason": "Amplifier swap",
    }
    maintenance_url = staff.post(reverse("maintenance-new"), form)["Location"]
    pk = Maintenance.objects.get().pk
    staff.post(
        reverse("maintenance-edit", kwargs={"pk": pk}),
        {**form, "window_end": f"{day}T07:00", "note": "an hour more"},
    )
    staff.post(reverse("maintenance-start", kwargs={"pk": pk}), {"note": "on site", **YES})
    staff.post(reverse("maintenance-complete", kwargs={"pk": pk}), {"note": "done", **YES})
    body = staff.get(maintenance_url).content.decode()
    history = body[body.index('data-testid="maintenance-history"') :]
    eve = day - datetime.timedelta(days=1)

    def at(day: datetime.date, hour: int) -> str:  # a UTC hour as the reader reads it
        moment = datetime.datetime.combine(day, datetime.time(hour), datetime.UTC)
        return format_moment(moment, world.noc.display_zone)

    assert f"Segments: {world.land.code}</li>" in history
    assert f"Window start: {at(eve, 22)}</li>" in history
    assert f"Window end: {at(day, 2)} &rarr; {at(day, 3)}" in history
    assert "Impact: Degraded service</li>" in history
    assert "Status: Scheduled &rarr; In progress" in history
    assert "Status: In progress &rarr; Completed" in history
    for raw in ("window_start", "[&#x27;", "+04:00", "+00:00", "in_progress", "T02:00"):
        assert raw not in history
    # beside the planned window, when the work actually started and ended
    m = Maintenance.objects.get()
    facts = body[body.index('data-testid="maintenance-facts"') : body.index("</dl>")]
    assert f"<dt>Planned window</dt><dd>{at(eve, 22)} &ndash; {at(day, 3)}</dd>" in facts
    started = format_moment(m.started_at, world.noc.display_zone)
    completed = format_moment(m.completed_at, world.noc.display_zone)
    assert f'data-testid="maintenance-started">{started}' in facts
    assert f'data-testid="maintenance-completed">{completed}' in facts


def test_irreversible_steps_ask_first_and_say_when_the_start_is_early(world):
    staff = _client(world.noc)
    m = _plan(world, segments=[world.land], days=3)
    url = reverse("maintenance", kwargs={"pk": m.pk})
    body = staff.get(url).content.decode()
    assert "data-confirm" not in body  # each asks on a page of its own (tcfo_portal.confirm)
    assert '<button type="submit">Start</button>' in body
    assert '<button type="submit" class="danger">Cancel the maintenance</button>' in body
    assert 'class="input' not in body and '<input type="text" id="start-note"' in body
    start = format_moment(m.window_start, world.noc.display_zone)
    asked = staff.post(reverse("maintenance-start", kwargs={"pk": m.pk}), {"note": ""})
    assert f"Its window starts {start}: this is before." in asked.content.decode()
    start_maintenance(maintenance=m, actor=world.noc)
    body = staff.get(url).content.decode()
    assert '<button type="submit">Complete</button>' in body and "data-confirm" not in body


def test_list_pages_title_their_tables_with_headings_and_show_the_zone(world):
    m = _plan(world, segments=[world.land], days=3)
    staff = _client(world.noc).get(reverse("maintenance-list")).content.decode()
    customer = _client(world.buyer).get(reverse("planned-work")).content.decode()
    for body, headings, reader in (
        (staff, ("Maintenance",), world.noc),
        (customer, ("Maintenance", "Outages"), world.buyer),
    ):
        assert "<caption>" not in body
        for heading in headings:
            assert f"<h2>{heading}</h2>" in body
        zone = reader.display_zone  # each reads the window in their zone, named
        window = (
            f"{format_moment(m.window_start, zone)} &ndash; {format_moment(m.window_end, zone)}"
        )
        assert window in body


def test_a_new_calendar_address_asks_first_when_it_replaces_one(world):
    from leasing.models import CalendarFeed

    buyer = _client(world.buyer)
    first = buyer.post(reverse("calendar-feed-new")).content.decode()  # nothing to replace
    assert CONFIRM_PAGE not in first and "<code>http" in first
    made = CalendarFeed.objects.get(organisation=world.buyer.organisation)
    asked = buyer.post(reverse("calendar-feed-new")).content.decode()
    assert CONFIRM_PAGE in asked and "Make a new calendar address?" in asked
    assert "The old address stops working" in asked
    assert CalendarFeed.objects.get(pk=made.pk).token_hash == made.token_hash  # unchanged
    back = buyer.post(reverse("calendar-feed-new"), {"confirmed": "no"})
    assert back["Location"] == reverse("planned-work")
    done = buyer.post(reverse("calendar-feed-new"), YES).content.decode()
    assert "<code>http" in done
    again = CalendarFeed.objects.get(organisation=world.buyer.organisation)
    assert again.token_hash != made.token_hash
    assert "data-confirm" not in buyer.get(reverse("planned-work")).content.decode()


def test_starting_and_completing_maintenance_ask_first_naming_what_happens(world):
    staff = _client(world.noc)
    maintenance = _plan(world)
    for step, said, status in (
        ("start", "The customers are told the work has begun", "in_progress"),
        ("complete", "told the work is over", "completed"),
    ):
        url = reverse(f"maintenance-{step}", kwargs={"pk": maintenance.pk})
        before = Maintenance.objects.get(pk=maintenance.pk).status
        asked = staff.post(url, {"note": "on site"}).content.decode()
        assert CONFIRM_PAGE in asked and said in asked and maintenance.reference in asked
        if step == "start":  # before its window: said
            assert "this is before" in asked
        assert Maintenance.objects.get(pk=maintenance.pk).status == before  # nothing done
        assert staff.post(url, {"note": "on site", **YES}).status_code == 302
        assert Maintenance.objects.get(pk=maintenance.pk).status == status
