"""Planned maintenance: who may plan it, which services it affects, who is told (e-mail and
one event per organisation), the lifecycle in full, the reminder once, the start at the
window's start."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone

from events.choices import EventType
from events.models import Event
from leasing import maintenance_lifecycle as lifecycle
from leasing.choices import MaintenanceAction, MaintenanceImpact, MaintenanceStatus
from leasing.exceptions import NotPermitted
from leasing.models import Maintenance
from leasing.notifications import organisation_contacts
from leasing.selectors import affected_services
from leasing.services.inventory import set_segment_ownership
from leasing.services.maintenance import (
    cancel_maintenance,
    complete_maintenance,
    schedule_maintenance,
    send_reminders,
    share_day,
    start_due,
    start_maintenance,
    update_maintenance,
)
from leasing.tasks import MAINTENANCE_STARTER
from tcfo_portal.exceptions import DomainError, InvalidInput, InvalidTransition

from .maintenance_world import add_maintenance_world

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)
BAKU = zoneinfo.ZoneInfo("Asia/Baku")


@pytest.fixture
def world(sales_net: SimpleNamespace) -> SimpleNamespace:
    return add_maintenance_world(sales_net)


def _in(days: float) -> datetime.datetime:
    return (timezone.now() + datetime.timedelta(days=days)).replace(microsecond=0)


def _plan(w, *, segments=None, actor=None, days: float = 15, hours: int = 4, capture=None):
    start = _in(days)
    return schedule_maintenance(
        segments=segments or [w.land],
        window_start=start,
        window_end=start + hours * HOUR,
        impact=MaintenanceImpact.LOSS_OF_SERVICE,
        reason="Splice repair",
        actor=actor or w.noc,
    )


def _told(kind: EventType) -> dict[str, dict]:
    return {e.organisation.name: e.data for e in Event.objects.filter(type=kind)}


def test_affected_services_are_those_on_the_segments_running_in_the_window(world):
    land = _plan(world, segments=[world.land])
    sea = _plan(world, segments=[world.sea])
    assert list(affected_services(land)) == sorted(
        [world.a_wave, world.b_wave], key=lambda s: s.circuit_id
    )
    assert list(affected_services(sea)) == [world.a_wave]
    # C's service is ready for service in 20 days: a window after that affects it too
    later = _plan(world, segments=[world.sea], days=25)
    assert set(affected_services(later)) == {world.a_wave, world.future}


def test_scheduling_tells_exactly_the_affected_customers_by_mail_and_one_event_each(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        maintenance = _plan(world, segments=[world.land, world.sea])
    expected = {
        tuple(organisation_contacts(world.customer)),
        tuple(organisation_contacts(world.b_customer)),
    }
    assert {tuple(m.to) for m in mail.outbox} == expected
    assert all(
        m.subject.startswith(f"TCFO planned maintenance {maintenance.reference}")
        for m in mail.outbox
    )
    to_a = next(m for m in mail.outbox if world.buyer.email in m.to)
    assert world.a_wave.circuit_id in to_a.body
    assert world.b_wave.circuit_id not in to_a.body  # only A's own circuits
    told = _told(EventType.MAINTENANCE_SCHEDULED)
    assert set(told) == {world.customer.name, world.b_customer.name}
    assert told[world.customer.name]["circuit_ids"] == [world.a_wave.circuit_id]
    assert told[world.b_customer.name]["circuit_ids"] == [world.b_wave.circuit_id]
    assert told[world.customer.name]["url"] == f"/api/v1/maintenance/{maintenance.pk}/"
    assert told[world.b_customer.name]["segments"] == ["BAK-CLS", "CLS-AKT"]
    assert told[world.b_customer.name]["status"] == "scheduled"
    [step] = maintenance.changes.all()
    assert (step.action, step.by) == (MaintenanceAction.SCHEDULED, world.noc.username)


def test_only_operators_holding_a_share_of_every_segment_plan_work(world):
    with pytest.raises(NotPermitted):
        _plan(world, segments=[world.land], actor=world.ktc_noc)  # KTC holds none of land
    with pytest.raises(NotPermitted):
        _plan(world, segments=[world.land, world.sea], actor=world.ktc_noc)
    with pytest.raises(NotPermitted):
        _plan(world, segments=[world.sea], actor=world.third_noc)
    with pytest.raises(NotPermitted):
        _plan(world, segments=[world.sea], actor=world.buyer)  # a customer
    assert not Maintenance.objects.exists()
    assert _plan(world, segments=[world.sea], actor=world.ktc_noc).status == "scheduled"
    assert _plan(world, segments=[world.land], actor=world.admin).status == "scheduled"
    maintenance = _plan(world, segments=[world.land])
    for act in (
        lambda: cancel_maintenance(maintenance=maintenance, actor=world.ktc_noc, reason="x"),
        lambda: start_maintenance(maintenance=maintenance, actor=world.third_noc),
        lambda: update_maintenance(maintenance=maintenance, actor=world.ktc_noc, reason="y"),
    ):
        with pytest.raises(NotPermitted):
            act()
    maintenance.refresh_from_db()
    assert (maintenance.status, maintenance.reason) == ("scheduled", "Splice repair")


def test_window_rules_and_aware_times(world):
    now = timezone.now()
    cases = [
        (now - HOUR, now + HOUR, "window_start"),  # starts in the past
        (now + DAY, now + DAY, "window_end"),  # ends when it starts
        (now + DAY, now + DAY - HOUR, "window_end"),
        (now + DAY, now + DAY + 73 * HOUR, "window_end"),  # longer than 72 hours
    ]
    for start, end, field in cases:
        with pytest.raises(DomainError) as refused:
            schedule_maintenance(
                segments=[world.land],
                window_start=start,
                window_end=end,
                impact="degraded",
                reason="x",
                actor=world.noc,
            )
        assert field in refused.value.errors
    naive = datetime.datetime(2027, 1, 10, 2, 0)
    with pytest.raises(InvalidInput) as refused:
        schedule_maintenance(
            segments=[world.land],
            window_start=naive,
            window_end=naive + HOUR,
            impact="degraded",
            reason="x",
            actor=world.noc,
        )
    assert refused.value.errors == {"window_start": [refused.value.errors["window_start"][0]]}
    with pytest.raises(DomainError) as refused:
        schedule_maintenance(
            segments=[world.land],
            window_start=now + DAY,
            window_end=now + DAY + HOUR,
            impact="gone",
            reason=" ",
            actor=world.noc,
        )
    assert set(refused.value.errors) == {"impact", "reason"}
    # an offset is kept: 02:00 in Baku is 22:00 UTC the day before
    start = datetime.datetime.combine(timezone.localdate() + 5 * DAY, datetime.time(2), BAKU)
    m = schedule_maintenance(
        segments=[world.land],
        window_start=start,
        window_end=start + 2 * HOUR,
        impact="at_risk",
        reason="x",
        actor=world.noc,
    )
    m.refresh_from_db()
    assert m.window_start == start and m.window_start.astimezone(datetime.UTC).hour == 22
    assert not Maintenance.objects.exclude(pk=m.pk).exists()


# The expected lifecycle, written out in full: every status, every target.
EXPECTED = {
    "scheduled": {"in_progress", "cancelled"},
    "in_progress": {"completed"},
    "completed": set(),
    "cancelled": set(),
}


@pytest.mark.parametrize("from_status", list(EXPECTED))
@pytest.mark.parametrize("to_status", list(EXPECTED))
def test_lifecycle_table(world, from_status, to_status):
    maintenance = _plan(world)
    Maintenance.objects.filter(pk=maintenance.pk).update(status=from_status)
    maintenance.refresh_from_db()
    allowed = to_status in EXPECTED[from_status]
    if allowed:
        lifecycle.move(maintenance, to_status, by="t")
        maintenance.refresh_from_db()
        assert maintenance.status == to_status
        assert maintenance.changes.last().changes == {"status": [from_status, to_status]}
    else:
        with pytest.raises(InvalidTransition):
            lifecycle.move(maintenance, to_status, by="t")
        maintenance.refresh_from_db()
        assert maintenance.status == from_status
    assert set(lifecycle.ALLOWED) == set(MaintenanceStatus.values)


def test_steps_through_the_services_and_what_a_step_not_allowed_answers(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        maintenance = _plan(world)
        with pytest.raises(InvalidTransition):
            complete_maintenance(maintenance=maintenance, actor=world.noc)
        start_maintenance(maintenance=maintenance, actor=world.noc, note="Team on site")
        with pytest.raises(InvalidTransition):
            cancel_maintenance(maintenance=maintenance, actor=world.noc, reason="late")
        complete_maintenance(maintenance=maintenance, actor=world.noc)
        with pytest.raises(InvalidTransition):
            update_maintenance(maintenance=maintenance, actor=world.noc, reason="again")
    maintenance.refresh_from_db()
    assert maintenance.status == "completed"
    assert maintenance.started_at and maintenance.completed_at
    assert [c.action for c in maintenance.changes.all()] == ["scheduled", "started", "completed"]
    for kind in (EventType.MAINTENANCE_STARTED, EventType.MAINTENANCE_COMPLETED):
        assert set(_told(kind)) == {world.customer.name, world.b_customer.name}
    subjects = sorted({m.subject for m in mail.outbox})
    ref = maintenance.reference
    assert subjects == [
        f"TCFO planned maintenance {ref}: completed",
        f"TCFO planned maintenance {ref}: scheduled",
        f"TCFO planned maintenance {ref}: started",
    ]


def test_update_tells_customers_again_and_those_taken_out(
    world, django_capture_on_commit_callbacks
):
    maintenance = _plan(world, segments=[world.sea], days=15)
    announced = maintenance.announced_at
    with django_capture_on_commit_callbacks(execute=True):
        update_maintenance(
            maintenance=maintenance, actor=world.noc, reason="Repeater swap", note="scope"
        )
    maintenance.refresh_from_db()
    assert (maintenance.sequence, maintenance.announced_at) == (1, announced)  # window kept
    assert set(_told(EventType.MAINTENANCE_UPDATED)) == {world.customer.name}
    # moved after C's service goes live: C is told now; the window counts as announced now
    new_start = _in(25)
    with django_capture_on_commit_callbacks(execute=True):
        update_maintenance(
            maintenance=maintenance,
            actor=world.noc,
            window_start=new_start,
            window_end=new_start + 2 * HOUR,
        )
    maintenance.refresh_from_db()
    assert maintenance.sequence == 2 and maintenance.announced_at > announced
    updates = Event.objects.filter(type=EventType.MAINTENANCE_UPDATED).order_by("pk")
    assert [e.organisation.name for e in updates] == [
        world.customer.name,
        world.customer.name,
        world.c_customer.name,
    ]
    last = maintenance.changes.last()
    assert last.action == "updated" and set(last.changes) == {"window_start", "window_end"}
    with pytest.raises(DomainError):
        update_maintenance(maintenance=maintenance, actor=world.noc, reason="Repeater swap")


def test_cancel_needs_a_reason_and_tells_the_customers(world, django_capture_on_commit_callbacks):
    maintenance = _plan(world, segments=[world.sea])
    with pytest.raises(InvalidInput):
        cancel_maintenance(maintenance=maintenance, actor=world.noc, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        cancel_maintenance(maintenance=maintenance, actor=world.noc, reason="Ship unavailable")
    maintenance.refresh_from_db()
    assert maintenance.status == "cancelled" and maintenance.cancelled_at is not None
    assert _told(EventType.MAINTENANCE_CANCELLED) == {
        world.customer.name: _told(EventType.MAINTENANCE_CANCELLED)[world.customer.name]
    }
    assert [m.to for m in mail.outbox if "cancelled" in m.subject] == [
        organisation_contacts(world.customer)
    ]


def test_the_reminder_is_sent_once_a_day_before(world, django_capture_on_commit_callbacks):
    soon = _plan(world, segments=[world.sea], days=15)
    _plan(world, segments=[world.sea], days=3)  # not yet due
    now = soon.window_start - 20 * HOUR
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reminders(now=now) == 1
        assert send_reminders(now=now + HOUR) == 0
    soon.refresh_from_db()
    assert soon.reminder_sent_at == now
    reminders = Event.objects.filter(type=EventType.MAINTENANCE_REMINDER)
    assert [(e.organisation_id, e.subject_id) for e in reminders] == [
        (world.customer.pk, str(soon.pk))
    ]
    assert len([m for m in mail.outbox if "within a day" in m.subject]) == 1
    # announced less than a day ahead: the announcement was the notice, no reminder
    Maintenance.objects.filter(pk=soon.pk).update(reminder_sent_at=None, announced_at=now)
    assert send_reminders(now=now + HOUR) == 0
    assert Event.objects.filter(type=EventType.MAINTENANCE_REMINDER).count() == 1


def test_the_task_starts_maintenance_at_its_window_start(world):
    maintenance = _plan(world, segments=[world.sea], days=2)
    assert start_due(actor=MAINTENANCE_STARTER, now=maintenance.window_start - HOUR) == 0
    assert start_due(actor=MAINTENANCE_STARTER, now=maintenance.window_start) == 1
    assert start_due(actor=MAINTENANCE_STARTER, now=maintenance.window_start + HOUR) == 0
    maintenance.refresh_from_db()
    assert maintenance.status == "in_progress"
    assert maintenance.started_at == maintenance.window_start
    assert maintenance.changes.last().by == "maintenance task"
    assert set(_told(EventType.MAINTENANCE_STARTED)) == {world.customer.name}


def test_the_beat_tasks_start_and_remind(world):
    from leasing.tasks import remind_maintenance, start_due_maintenance

    due = _plan(world, segments=[world.sea], days=2)
    soon = _plan(world, segments=[world.land], days=0.5)
    Maintenance.objects.filter(pk=due.pk).update(window_start=timezone.now() - HOUR)
    Maintenance.objects.filter(pk=soon.pk).update(announced_at=timezone.now() - 5 * DAY)
    assert start_due_maintenance.delay().get() == 1
    assert remind_maintenance.delay().get() == 1
    assert remind_maintenance.delay().get() == 0
    due.refresh_from_db()
    soon.refresh_from_db()
    assert due.status == "in_progress" and soon.reminder_sent_at is not None


# --- review findings (area: maintenance) -------------------------------------------------------


def test_an_update_keeps_when_the_time_that_stays_in_the_window_was_announced(world):
    maintenance = _plan(world, segments=[world.sea], days=15, hours=4)
    start, end, announced = (
        maintenance.window_start,
        maintenance.window_end,
        maintenance.announced_at,
    )
    update_maintenance(maintenance=maintenance, actor=world.noc, window_end=end + 2 * HOUR)
    maintenance.refresh_from_db()
    moved = maintenance.announced_at
    assert moved > announced
    assert maintenance.spans() == [(start, end, announced), (end, end + 2 * HOUR, moved)]
    # shorter again, and a later start: what is left keeps its first announcement
    update_maintenance(
        maintenance=maintenance, actor=world.noc, window_start=start + HOUR, window_end=end
    )
    maintenance.refresh_from_db()
    assert maintenance.spans() == [(start + HOUR, end, announced)]


def test_shares_are_checked_on_the_utc_date_of_the_window_start_at_every_step(world):
    """From day D, Third owns the land segment: a window at 01:00 Baku time on D starts at
    21:00 UTC the day before, which is still AZT's, whichever zone it was typed in."""
    day = timezone.localdate() + 15 * DAY
    set_segment_ownership(segment=world.land, valid_from=day, shares={world.third: Decimal(100)})
    baku_night = datetime.datetime.combine(day, datetime.time(1), tzinfo=BAKU)
    assert share_day(baku_night) == day - DAY

    def plan(actor, start):
        return schedule_maintenance(
            segments=[world.land],
            window_start=start,
            window_end=start + HOUR,
            impact=MaintenanceImpact.LOSS_OF_SERVICE,
            reason="Splice repair",
            actor=actor,
        )

    with pytest.raises(NotPermitted):
        plan(world.third_noc, baku_night)
    maintenance = plan(world.noc, baku_night)
    cancel_maintenance(maintenance=maintenance, actor=world.noc, reason="Not needed")
    baku_morning = baku_night + 4 * HOUR  # 01:00 UTC on D
    with pytest.raises(NotPermitted):
        plan(world.noc, baku_morning)
    maintenance = plan(world.third_noc, baku_morning)
    update_maintenance(maintenance=maintenance, actor=world.third_noc, reason="Splice and test")
    cancel_maintenance(maintenance=maintenance, actor=world.third_noc, reason="Not needed")
