"""Ingest and the month's 95th: golden months, duplicates, conflicts, counters."""

import datetime
import random

import pytest

from billing.choices import SampleDecision
from billing.models import UsageBatch, UsageEvent, UsagePercentile
from billing.services.usage import ingest
from billing.services.usage_percentiles import (
    freeze_percentile,
    month_usage,
    percentiles,
    record_percentiles,
    services_for_usage,
)
from leasing.choices import P95Rule
from organisations.access import describe_actor

from .conftest import transit_service

pytestmark = pytest.mark.django_db
BAKU = datetime.timezone(datetime.timedelta(hours=4))


def _month_start_utc(year: int, month: int) -> datetime.datetime:
    return datetime.datetime(year, month, 1, tzinfo=BAKU).astimezone(datetime.UTC)


def _samples(circuit_id, start, values, step=300):
    return [
        {
            "circuit_id": circuit_id,
            "ts": (start + datetime.timedelta(seconds=i * step)).isoformat(),
            "in_bps": value,
            "out_bps": value // 2,
        }
        for i, value in enumerate(values)
    ]


def _actor(net):
    return net.noc


def _result(net, period):
    service = services_for_usage().get(pk=net.transit.pk)
    return percentiles(month_usage([service], period)[service.pk])


@pytest.mark.parametrize(
    ("period", "buckets", "rank"),
    [("2026-09", 8640, 8208), ("2026-10", 8928, 8482), ("2026-02", 8064, 7661)],
)
def test_golden_months_by_length(usage, period, buckets, rank):
    year, month = map(int, period.split("-"))
    values = list(range(1, buckets + 1))
    random.Random(7).shuffle(values)
    result = ingest(
        samples=_samples(usage.transit.circuit_id, _month_start_utc(year, month), values),
        actor=usage.noc,
    )
    assert result.count("accepted") == buckets
    got = _result(usage, period)
    assert (got.samples, got.missing) == (buckets, 0)
    assert (got.p95_in_bps, got.p95_out_bps) == (rank, rank // 2)
    assert got.billable_bps == rank  # the greater of in and out


def test_the_month_is_the_billing_partys_calendar_month(usage):
    # 2026-10-01 00:00 in Baku is 2026-09-30 20:00 UTC: that bucket belongs to October.
    first = _month_start_utc(2026, 10)
    assert first.isoformat() == "2026-09-30T20:00:00+00:00"
    ingest(
        samples=_samples(
            usage.transit.circuit_id, first - datetime.timedelta(minutes=5), [111, 222]
        ),
        actor=usage.noc,
    )
    october, september = _result(usage, "2026-10"), _result(usage, "2026-09")
    assert (october.samples, october.p95_in_bps) == (1, 222)
    assert (september.samples, september.p95_in_bps) == (1, 111)


def test_activation_mid_month_counts_from_the_activation_and_missing_is_not_zero(usage):
    late = transit_service(usage, activated_on=datetime.date(2026, 10, 16))
    start = datetime.datetime(2026, 10, 16, tzinfo=datetime.UTC)
    values = [1_000_000] * 100 + [5_000_000] * 10
    result = ingest(samples=_samples(late.circuit_id, start, values), actor=usage.noc)
    assert result.count("accepted") == 110
    before = ingest(
        samples=_samples(late.circuit_id, start - datetime.timedelta(minutes=5), [9]),
        actor=usage.noc,
    )
    assert before.results[0].reason == "outside the service's active period"
    service = services_for_usage().get(pk=late.pk)
    got = percentiles(month_usage([service], "2026-10")[service.pk])
    # 16 Oct 00:00 UTC to 31 Oct 20:00 UTC (1 Nov in Baku): 15 days 20 hours of buckets.
    assert got.samples + got.missing == (15 * 24 + 20) * 12
    assert got.samples == 110
    assert got.p95_in_bps == 5_000_000  # rank ceil(0.95 x 110) = 105: missing buckets are not zeros


def test_the_same_bucket_twice_is_a_duplicate_and_another_value_is_refused(usage):
    start = _month_start_utc(2026, 10)
    first = ingest(
        samples=_samples(usage.transit.circuit_id, start, [100, 200, 300]), actor=usage.noc
    )
    assert [r.status for r in first.results] == ["accepted"] * 3
    again = ingest(
        samples=_samples(usage.transit.circuit_id, start, [100, 999, 300]), actor=usage.noc
    )
    assert [r.status for r in again.results] == ["duplicate", "rejected", "duplicate"]
    assert (
        again.results[1].reason == "conflict: the bucket already holds 200 bit/s in, 100 bit/s out"
    )
    conflict = UsageEvent.objects.get(kind="conflict")
    assert conflict.detail == {"stored": [200, 100], "received": [999, 499]}
    got = _result(usage, "2026-10")
    assert (got.samples, got.p95_in_bps) == (3, 300)
    batch = UsageBatch.objects.latest("pk")
    assert (batch.accepted, batch.duplicates, batch.rejected) == (0, 2, 1)
    assert batch.submitted_by == describe_actor(usage.noc)


def test_one_bad_sample_never_drops_the_good_ones(usage):
    start = _month_start_utc(2026, 10)
    good = _samples(usage.transit.circuit_id, start, [100, 200])
    bad = [
        "not an object",
        {**good[0], "ts": "yesterday"},
        {**good[0], "ts": "2026-10-01T00:00:00"},  # no offset
        {**good[0], "ts": (start + datetime.timedelta(seconds=17)).isoformat()},
        {**good[0], "in_bps": -1},
        {**good[0], "in_bps": 1.5},
        {**good[0], "in_bps": True},
        {**good[0], "circuit_id": "TCFO-NOPE-000001"},
        {"circuit_id": good[0]["circuit_id"], "ts": good[0]["ts"], "in_bps": 1, "in_octets": 1},
        {**good[0], "ts": "2099-01-01T00:00:00Z"},
        {**good[0], "port": "nope"},
    ]
    result = ingest(samples=bad + good, actor=usage.noc)
    statuses = [r.status for r in result.results]
    assert statuses == ["rejected"] * len(bad) + ["accepted", "accepted"]
    assert all(r.reason for r in result.results[: len(bad)])
    assert _result(usage, "2026-10").samples == 2


def test_another_operators_or_a_customers_circuit_is_unknown(usage):
    from organisations.choices import Role

    from ..factories import OperatorFactory, UserFactory

    stranger = UserFactory(organisation=OperatorFactory(), role=Role.OPERATOR_NETWORK)
    result = ingest(
        samples=_samples(usage.transit.circuit_id, _month_start_utc(2026, 10), [5]), actor=stranger
    )
    assert result.results[0].reason == f"unknown circuit {usage.transit.circuit_id}"
    # A decision, as every result holds (not merely a status that reads the same).
    assert result.results[0].decision is SampleDecision.REJECTED
    assert result.results[0].decision.label == "Refused: the reason says why"


def test_counters_become_rates_with_wraps_resets_and_clamps_recorded(usage):
    circuit = usage.transit.circuit_id
    t0 = _month_start_utc(2026, 10) + datetime.timedelta(seconds=10)

    def reading(seconds, octets_in, octets_out):
        return {
            "circuit_id": circuit,
            "ts": (t0 + datetime.timedelta(seconds=seconds)).isoformat(),
            "in_octets": octets_in,
            "out_octets": octets_out,
        }

    result = ingest(
        samples=[
            reading(0, 0, 0),  # baseline
            reading(300, 375_000_000, 37_500_000),  # 10 Mbit/s in, 1 out
            reading(600, 375_000_000 + 750_000_000, 75_000_000),  # 20 Mbit/s in
            reading(900, 1_000, 80_000_000),  # in went down: a reset, discarded
            reading(1200, 1_000 + 10**12, 80_000_000),  # 26.7 Gbit/s on a 10G port: clamped
        ],
        actor=usage.noc,
    )
    assert [r.status for r in result.results] == ["accepted"] * 5
    assert "baseline" in result.results[0].reason
    assert "reset" in result.results[3].reason
    assert sorted(UsageEvent.objects.values_list("kind", flat=True)) == ["clamp", "reset"]
    service = services_for_usage().get(pk=usage.transit.pk)
    month = month_usage([service], "2026-10")[service.pk]
    present = month.in_bps[month.present]
    assert list(present) == [10_000_000, 20_000_000, 10_000_000_000]
    again = ingest(samples=[reading(1200, 1_000 + 10**12, 80_000_000)], actor=usage.noc)
    assert again.results[0].status == "duplicate"


def test_the_rule_of_the_contract_decides_the_billable_figure(usage):
    start = _month_start_utc(2026, 10)
    samples = [
        {
            "circuit_id": usage.transit.circuit_id,
            "ts": (start + datetime.timedelta(minutes=5 * i)).isoformat(),
            "in_bps": 100 if i % 2 else 10,
            "out_bps": 10 if i % 2 else 100,
        }
        for i in range(40)
    ]
    ingest(samples=samples, actor=usage.noc)
    greater = _result(usage, "2026-10")
    assert (greater.p95_in_bps, greater.p95_out_bps, greater.billable_bps) == (100, 100, 100)
    contract = usage.transit.contract
    contract.p95_rule = P95Rule.SUM
    contract.save()
    assert _result(usage, "2026-10").billable_bps == 110


def test_a_frozen_result_never_changes(usage):
    start = _month_start_utc(2026, 10)
    ingest(samples=_samples(usage.transit.circuit_id, start, [100]), actor=usage.noc)
    service = services_for_usage().get(pk=usage.transit.pk)
    stored = record_percentiles(services=[service], period="2026-10")[service.pk]
    assert stored.billable_bps == 100
    freeze_percentile(percentile=stored)
    ingest(
        samples=_samples(usage.transit.circuit_id, start + datetime.timedelta(minutes=5), [900]),
        actor=usage.noc,
    )
    again = record_percentiles(services=[service], period="2026-10")[service.pk]
    assert (again.billable_bps, again.samples) == (100, 1)
    assert UsagePercentile.objects.get().samples == 1


def test_several_ports_of_a_service_are_summed_per_bucket(usage):
    from billing.models import UsagePort

    for name in ("bak-pe1:xe-0/0/1", "bak-pe2:xe-0/0/1"):
        UsagePort.objects.create(service=usage.transit, name=name)
    start = _month_start_utc(2026, 10)
    samples = []
    for port, values in (("bak-pe1:xe-0/0/1", [100, 200, 300]), ("bak-pe2:xe-0/0/1", [10, 20])):
        for row in _samples(usage.transit.circuit_id, start, values):
            samples.append({**row, "port": port})
    unnamed = _samples(usage.transit.circuit_id, start, [1])
    result = ingest(samples=samples + unnamed, actor=usage.noc)
    assert [r.status for r in result.results] == ["accepted"] * 5 + ["rejected"]
    assert result.results[-1].reason.endswith("has 2 ports: name the port")
    service = services_for_usage().get(pk=usage.transit.pk)
    month = month_usage([service], "2026-10")[service.pk]
    assert list(month.in_bps[month.present]) == [110, 220, 300]  # a port without data adds nothing
