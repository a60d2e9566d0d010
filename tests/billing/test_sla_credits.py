"""SLA credits: monthly availability from the outages on a service's path segments, over the
days it runs, and the credit the contract's tiers give on the MRC, to the cent.

The golden lease runs 16-31 October (16 days, 384 hours, Baku time). Outages: the sea segment
10:00-20:00 and the land segment 15:00-22:00 on 20 October (overlapping: 12 hours down), and
one on 10 October, before the service ran. Availability 100 x 372 / 384 = 96.875%: below the
99.0% tier, so 25% of the MRC 6,451.61 = 1,612.9025 -> -1,612.90; VAT 18% -> -290.32.
"""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.choices import LineKind
from billing.models import Invoice
from billing.services.runs import invoice_totals, start_run
from billing.services.uptime import downtime_seconds, monthly_uptime
from leasing.models import Contract, Outage

pytestmark = pytest.mark.django_db
BAKU = zoneinfo.ZoneInfo("Asia/Baku")


def _at(day: int, hour: int) -> datetime.datetime:
    return datetime.datetime(2026, 10, day, hour, tzinfo=BAKU)


@pytest.fixture
def outages(october):
    for segment, start, end in (
        (october.sea, _at(20, 10), _at(20, 20)),
        (october.land, _at(20, 15), _at(20, 22)),
        (october.sea, _at(10, 0), _at(11, 0)),  # before the lease ran
    ):
        Outage.objects.create(
            segment=segment, started_at=start, ended_at=end, description="cut", recorded_by="noc"
        )
    return october


def test_availability_counts_overlapping_outages_once_over_the_days_the_service_runs(outages):
    contract = Contract.objects.get(service=outages.lease)
    assert monthly_uptime(contract, "2026-10", "Asia/Baku") == Decimal("96.875")
    assert monthly_uptime(contract, "2026-09", "Asia/Baku") is None  # not running yet
    transit = Contract.objects.get(service=outages.transit)
    assert monthly_uptime(transit, "2026-10", "Asia/Baku") is None  # no path to be down on


def test_downtime_of_open_and_nested_outages():
    start, end = _at(1, 0), _at(2, 0)
    assert (
        downtime_seconds([(_at(1, 1), _at(1, 5)), (_at(1, 2), _at(1, 3))], start, end) == 4 * 3600
    )
    assert downtime_seconds([(_at(1, 22), None)], start, end) == 2 * 3600  # still down
    assert downtime_seconds([(_at(2, 1), None)], start, end) == 0


def test_the_sla_credit_is_billed_taxed_and_split_to_the_cent(
    outages, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    invoice = Invoice.objects.get(customer=outages.domestic)
    credit = invoice.lines.get(kind=LineKind.SLA_CREDIT)
    assert (credit.amount, credit.tax_amount) == (Decimal("-1612.90"), Decimal("-290.32"))
    assert "96.875%" in credit.description
    # -1,612.90 by AZT 420/800 and KTC 380/800: 846.7725 / 766.1275, the odd cent to KTC.
    assert {a.operator.name: a.amount for a in credit.allocations.all()} == {
        "AZT": Decimal("-846.77"),
        "KTC": Decimal("-766.13"),
    }
    totals = invoice_totals(invoice)
    assert (totals.subtotal.amount, totals.tax.amount, totals.total.amount) == (
        Decimal("9838.71"),
        Decimal("1770.97"),
        Decimal("11609.68"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    assert invoice.lines.filter(kind=LineKind.SLA_CREDIT).count() == 1  # billed once


def test_an_open_outage_counts_only_up_to_now_or_the_end_of_the_period():
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    started = now - 3 * hour
    # The current month (it ends in the future): down from the start until now, not beyond.
    assert (
        abs(downtime_seconds([(started, None)], now - 10 * hour, now + 100 * hour) - 3 * 3600) <= 5
    )
    # A future month: nothing has happened in it yet.
    assert downtime_seconds([(started, None)], now + hour, now + 100 * hour) == 0
    # A past month: up to its end.
    assert downtime_seconds([(started - 10 * hour, None)], started - 20 * hour, started) == 36000


def test_the_current_months_availability_counts_an_open_outage_until_now(outages):
    contract = Contract.objects.get(service=outages.lease)
    now = timezone.now()
    period = now.astimezone(BAKU).strftime("%Y-%m")
    month_start = now.astimezone(BAKU).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    Outage.objects.create(
        segment=outages.sea, started_at=month_start, description="cut", recorded_by="noc"
    )
    next_month = (month_start + datetime.timedelta(days=32)).replace(day=1)
    total = (next_month - month_start).total_seconds()
    low = Decimal(100 * (total - (timezone.now() - month_start).total_seconds() - 5) / total)
    # Downtime counts whole seconds (``downtime_seconds``): at most what had passed at ``now``.
    high = Decimal(100 * (total - int((now - month_start).total_seconds())) / total)
    availability = monthly_uptime(contract, period, "Asia/Baku")
    assert low - Decimal("0.001") <= availability <= high
    # The month after: the open outage has not reached it yet.
    assert monthly_uptime(contract, next_month.strftime("%Y-%m"), "Asia/Baku") == 100
