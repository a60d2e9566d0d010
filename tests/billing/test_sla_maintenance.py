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

pytestmark = pytest.mark.django_db
BAKU = zoneinfo.ZoneInfo("Asia/Baku")
DAY = datetime.timedelta(days=1)


def _at(day: int, hour: int) -> datetime.datetime:
    return datetime.datetime(2026, 10, day, hour, tzinfo=BAKU)


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
