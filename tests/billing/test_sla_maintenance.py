"""Planned maintenance and the SLA: outage time on a segment inside a maintenance window of that
segment, announced at least the contract's notice before the window, does not count; time
outside the window, under maintenance announced late, cancelled, or on another segment does.

The golden lease runs 16-31 October (384 hours, Baku time); the sea segment is down 10:00-20:00
on 20 October (10 hours, 36,000 s). A window 12:00-16:00 that day excuses 4 hours (14,400 s).
"""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.conf import settings

from billing.services.uptime import (
    downtime_seconds,
    monthly_uptime,
    outages_by_path,
    outside_windows,
)
from leasing.choices import MaintenanceStatus
from leasing.models import Contract, Maintenance, Outage
from leasing.models.maintenance import announced_spans_after, stored_spans

pytestmark = pytest.mark.django_db
BAKU = zoneinfo.ZoneInfo("Asia/Baku")
DAY = datetime.timedelta(days=1)


def _at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 10, day, hour, minute, second, tzinfo=BAKU)


@pytest.fixture
def cut(october):
    Outage.objects.create(
        segment=october.sea,
        started_at=_at(20, 10),
        ended_at=_at(20, 20),
        description="cut",
        recorded_by="noc",
    )
    october.contract = Contract.objects.get(service=october.lease)
    return october


def _maintenance(segment, *, notice_days: float, status=MaintenanceStatus.COMPLETED):
    start = _at(20, 12)
    maintenance = Maintenance.objects.create(
        window_start=start,
        window_end=_at(20, 16),
        impact="loss_of_service",
        reason="repeater",
        status=status,
        announced_at=start - datetime.timedelta(days=notice_days),
        created_by="noc",
    )
    maintenance.segments.set([segment])
    return maintenance


def _down(contract) -> int:
    outages = outages_by_path("2026-10")
    start, end = _at(16, 0), _at(32 - 1, 0) + DAY
    counted = outside_windows(
        outages[contract.service.path_id],
        outages.windows,
        datetime.timedelta(days=contract.maintenance_notice_days),
        end,
    )
    return downtime_seconds(counted, start, end)


def test_a_new_contract_copies_the_notice_setting(cut):
    assert cut.contract.maintenance_notice_days == settings.TCFO_MAINTENANCE_NOTICE_DAYS == 10


def test_without_maintenance_the_whole_outage_counts(cut):
    assert _down(cut.contract) == 36_000
    assert monthly_uptime(cut.contract, "2026-10", "Asia/Baku") == Decimal("97.395")


def test_maintenance_announced_in_time_excuses_its_window_only(cut):
    _maintenance(cut.sea, notice_days=10)  # exactly the notice: in time
    assert _down(cut.contract) == 36_000 - 14_400
    # 100 x (384 - 6) / 384 = 98.4375
    assert monthly_uptime(cut.contract, "2026-10", "Asia/Baku") == Decimal("98.437")


def test_maintenance_announced_late_counts(cut):
    _maintenance(cut.sea, notice_days=10 - 1 / 86400)  # a second short of ten days
    assert _down(cut.contract) == 36_000
    assert monthly_uptime(cut.contract, "2026-10", "Asia/Baku") == Decimal("97.395")
    # a contract with a shorter notice excuses it
    Contract.objects.filter(pk=cut.contract.pk).update(maintenance_notice_days=5)
    cut.contract.refresh_from_db()
    assert _down(cut.contract) == 21_600


def test_cancelled_maintenance_or_another_segment_excuses_nothing(cut):
    _maintenance(cut.sea, notice_days=30, status=MaintenanceStatus.CANCELLED)
    _maintenance(cut.land, notice_days=30)
    assert _down(cut.contract) == 36_000


def test_an_open_outage_is_excused_inside_the_window_and_counts_after_it(cut):
    Outage.objects.all().delete()
    Outage.objects.create(
        segment=cut.sea, started_at=_at(20, 14), description="open", recorded_by="noc"
    )
    _maintenance(cut.sea, notice_days=12)
    outages = outages_by_path("2026-10")
    counted = outside_windows(
        outages[cut.path.pk], outages.windows, datetime.timedelta(days=10), _at(21, 0)
    )
    # 14:00-16:00 inside the window; 16:00 until the bound (midnight) counts: 8 hours
    assert downtime_seconds(counted, _at(16, 0), _at(21, 0)) == 8 * 3600


# --- a window changed after it was announced (review findings, area: maintenance) ------------
# The cut is 10:00-20:00 on 20 October; the window 12:00-16:00 announced 30 days ahead. A
# change keeps the notice of the time that stays in the window; only added time is announced
# at the change, measured from when the added time starts.


def _changed(maintenance, *, start=None, end=None, at):
    """``update_maintenance``'s bookkeeping of a window change at ``at`` (the service refuses
    a window in the past, so the October world writes it directly)."""
    start, end = start or maintenance.window_start, end or maintenance.window_end
    spans = announced_spans_after(maintenance.spans(), start, end, at)
    Maintenance.objects.filter(pk=maintenance.pk).update(
        window_start=start, window_end=end, announced_at=at, announced_spans=stored_spans(spans)
    )


def test_extending_work_in_progress_keeps_the_announced_part_excused(cut):
    maintenance = _maintenance(cut.sea, notice_days=30)
    _changed(maintenance, end=_at(20, 18), at=_at(20, 15))  # during the work
    # 12:00-16:00 stays excused; the added 16:00-18:00 was announced late and counts
    assert _down(cut.contract) == 36_000 - 4 * 3600


def test_shortening_the_window_keeps_what_is_left_excused(cut):
    maintenance = _maintenance(cut.sea, notice_days=30)
    _changed(maintenance, end=_at(20, 14), at=_at(20, 13))
    assert _down(cut.contract) == 36_000 - 2 * 3600
    # a later start too: 13:00-14:00 is left, announced 30 days ahead
    _changed(Maintenance.objects.get(), start=_at(20, 13), at=_at(20, 12, 30))
    assert _down(cut.contract) == 36_000 - 3600


def test_added_time_counts_from_the_notice_it_had_to_the_second(cut):
    maintenance = _maintenance(cut.sea, notice_days=30)
    # the end moved to 17:00 exactly ten days before 16:00, when the added hour starts
    _changed(maintenance, end=_at(20, 17), at=_at(10, 16))
    assert _down(cut.contract) == 36_000 - 5 * 3600
    maintenance = _maintenance(cut.sea, notice_days=30)
    Maintenance.objects.exclude(pk=maintenance.pk).delete()
    # a second later: the added hour is late, the announced four hours are not
    _changed(maintenance, end=_at(20, 17), at=_at(10, 16, 0, 1))
    assert _down(cut.contract) == 36_000 - 4 * 3600
    # an earlier start announced in time excuses the hour before 12:00 as well
    _changed(Maintenance.objects.get(), start=_at(20, 11), at=_at(20, 11) - 10 * DAY)
    assert _down(cut.contract) == 36_000 - 5 * 3600


def test_time_taken_out_and_put_back_counts_from_when_it_was_put_back(cut):
    maintenance = _maintenance(cut.sea, notice_days=30)
    _changed(maintenance, end=_at(20, 14), at=_at(1, 0))
    _changed(Maintenance.objects.get(), end=_at(20, 16), at=_at(19, 0))
    assert _down(cut.contract) == 36_000 - 2 * 3600


def test_maintenance_completed_early_excuses_nothing_after_its_completion(cut):
    maintenance = _maintenance(cut.sea, notice_days=30)
    Maintenance.objects.filter(pk=maintenance.pk).update(completed_at=_at(20, 14))
    # 12:00-14:00 excused; the cut after the work was done counts
    assert _down(cut.contract) == 36_000 - 2 * 3600
    # completed before the window: nothing excused
    Maintenance.objects.filter(pk=maintenance.pk).update(completed_at=_at(20, 11))
    assert _down(cut.contract) == 36_000
    # cancelled maintenance excuses nothing, whatever its notice and stamps
    Maintenance.objects.filter(pk=maintenance.pk).update(
        status=MaintenanceStatus.CANCELLED, completed_at=None
    )
    assert _down(cut.contract) == 36_000
