"""The 95th percentile and the counter arithmetic on their own."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.counters import Reading, bucket_of, rate_between
from billing.percentile import nearest_rank, p95

rates = st.lists(st.integers(0, 10**12), min_size=1, max_size=3000)


@pytest.mark.parametrize(
    ("n", "rank"), [(8640, 8208), (8928, 8482), (8064, 7661), (1, 1), (20, 19), (21, 20)]
)
def test_the_nearest_rank(n, rank):
    assert nearest_rank(n) == rank


def test_a_30_day_month_discards_the_top_432():
    values = np.arange(1, 8641)
    rng = np.random.default_rng(7)
    rng.shuffle(values)
    assert p95(values) == 8208
    # The samples above the 95th are the ones not billed: exactly the top 5% (432 of 8640).
    assert int((values > p95(values)).sum()) == 432


@given(rates)
def test_it_equals_numpy_inverted_cdf(values):
    assert p95(values) == int(np.percentile(np.array(values), 95, method="inverted_cdf"))


@given(rates, st.randoms())
def test_it_does_not_depend_on_order_and_never_exceeds_the_largest(values, random):
    shuffled = list(values)
    random.shuffle(shuffled)
    assert p95(shuffled) == p95(values)
    assert p95(values) <= max(values)
    assert p95(values) in values


def test_no_samples_no_percentile():
    assert p95([]) is None


SPEED = 10_000_000_000  # 10G


def test_a_rate_is_octets_times_8_over_the_seconds():
    interval = rate_between(
        Reading(1000, 0, 0),
        Reading(1300, 375_000_000, 75_000_000),
        counter_bits=64,
        speed_bps=SPEED,
    )
    assert (interval.in_bps, interval.out_bps) == (10_000_000, 2_000_000)
    assert interval.bucket == bucket_of(1150) == 900
    assert interval.events == []


def test_a_32_bit_wrap_is_counted_and_recorded():
    before = Reading(0, 2**32 - 1_000, 0)
    after = Reading(300, 374_999_000, 0)  # 375,000,000 octets later, past 2^32
    interval = rate_between(before, after, counter_bits=32, speed_bps=SPEED)
    assert interval.in_bps == 10_000_000
    assert [e.kind for e in interval.events] == ["wrap"]


def test_a_reset_is_discarded_not_billed_as_a_spike():
    interval = rate_between(
        Reading(0, 10**15, 5), Reading(300, 1_000, 6), counter_bits=64, speed_bps=SPEED
    )
    assert interval.bucket is None and interval.in_bps is None
    assert [e.kind for e in interval.events] == ["reset"]
    # A 32-bit drop that would mean more than the port can carry is a reset too.
    interval = rate_between(
        Reading(0, 2**32 - 1, 0), Reading(300, 2**31, 0), counter_bits=32, speed_bps=10_000_000
    )
    assert [e.kind for e in interval.events] == ["reset"]


def test_a_rate_above_the_port_speed_is_clamped_and_recorded():
    interval = rate_between(
        Reading(0, 0, 0), Reading(300, 10**12, 0), counter_bits=64, speed_bps=SPEED
    )
    assert interval.in_bps == SPEED
    [clamp] = interval.events
    # 10^12 octets x 8 / 300 s = 26,666,666,666.67 bit/s, rounded half-up to a whole bit/s.
    assert (clamp.kind, clamp.detail) == (
        "clamp",
        {"direction": "in", "measured_bps": 26_666_666_667, "speed_bps": SPEED},
    )


def test_a_gap_stays_missing_and_time_must_move_forward():
    assert [
        e.kind
        for e in rate_between(
            Reading(0, 0, 0), Reading(900, 10, 10), counter_bits=64, speed_bps=SPEED
        ).events
    ] == ["gap"]
    assert [
        e.kind
        for e in rate_between(
            Reading(600, 0, 0), Reading(300, 10, 10), counter_bits=64, speed_bps=SPEED
        ).events
    ] == ["out_of_order"]
    late = rate_between(Reading(0, 0, 0), Reading(420, 420, 420), counter_bits=64, speed_bps=SPEED)
    assert (late.bucket, late.in_bps) == (0, 8)  # elapsed-time aware: 420 octets over 420 s


def test_a_64_bit_counter_wraps_too_when_it_was_near_the_top():
    before = Reading(0, 2**64 - 1_000, 0)
    interval = rate_between(before, Reading(300, 374_999_000, 0), counter_bits=64, speed_bps=SPEED)
    assert (interval.in_bps, [e.kind for e in interval.events]) == (10_000_000, ["wrap"])
