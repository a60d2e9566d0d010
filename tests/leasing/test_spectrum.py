"""The capacity maths on its own: ranges, grids, first fit, counting."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leasing.spectrum import (
    Resource,
    UnitRange,
    channel_offset,
    count_free_units,
    first_fit,
    merge,
    slot_start_thz,
    slots_for_ghz,
)

C_BAND = UnitRange(-142, 242)  # 96 ITU channels of 50 GHz, 191.325 to 196.125 THz
FIXED_50 = {"step": 4, "grid_offset": channel_offset(4)}


def test_the_grid_is_anchored_at_193_1_thz():
    assert slot_start_thz(0) == Decimal("193.1")
    assert slot_start_thz(-142) == Decimal("191.325")
    assert slot_start_thz(242) == Decimal("196.125")
    assert C_BAND.width // 4 == 96
    # ITU channels are centred on 193.1 THz + n x spacing: their edges are half a channel off.
    assert (channel_offset(4), channel_offset(8), channel_offset(1)) == (-2, -4, 0)


@pytest.mark.parametrize(
    ("ghz", "slots"), [(50, 4), (75, 6), (Decimal("37.5"), 3), (Decimal("12.6"), 2), (100, 8)]
)
def test_spectrum_needs_whole_slots(ghz, slots):
    assert slots_for_ghz(ghz) == slots


def test_a_fixed_grid_takes_one_whole_itu_channel():
    fixed_50 = Resource(key="fp", band=C_BAND, **FIXED_50)
    assert fixed_50.footprint(-2, 4) == UnitRange(-2, 2)  # the channel centred on 193.1 THz
    assert fixed_50.footprint(0, 4) is None  # off the ITU grid
    assert fixed_50.footprint(-142, 3) == UnitRange(-142, -138)  # 37.5 GHz fills a channel
    assert fixed_50.footprint(-142, 6) is None  # 75 GHz does not pass a 50 GHz filter
    assert fixed_50.footprint(238, 4) == UnitRange(238, 242)  # the last channel
    assert fixed_50.footprint(242, 4) is None  # past the band edge
    assert fixed_50.footprint(-146, 4) is None  # below it
    fixed_100 = Resource(key="fp", band=UnitRange(-140, 244), step=8, grid_offset=channel_offset(8))
    assert fixed_100.footprint(-4, 6) == UnitRange(-4, 4)  # 75 GHz in a 100 GHz channel


def test_band_edges_on_a_flexible_grid():
    flex = Resource(key="fp", band=C_BAND, step=1)
    assert flex.footprint(236, 6) == UnitRange(236, 242)
    assert flex.footprint(237, 6) is None
    full = Resource(key="fp", band=C_BAND, step=1, occupied=(UnitRange(-142, 236),))
    placement = first_fit([[full]], 6)
    assert placement.hops == (("fp", UnitRange(236, 242)),)
    assert first_fit([[full]], 7) is None


def test_first_fit_needs_the_same_spectrum_on_every_hop():
    a = Resource(key="a", band=C_BAND, occupied=(UnitRange(-142, -134),), **FIXED_50)
    b = Resource(key="b", band=C_BAND, occupied=(UnitRange(-134, -126),), **FIXED_50)
    placement = first_fit([[a], [b]], 4)
    assert placement.start == -126
    assert placement.hops == (("a", UnitRange(-126, -122)), ("b", UnitRange(-126, -122)))


def test_first_fit_picks_another_fiber_pair_of_a_hop_when_the_first_is_taken():
    taken = Resource(key="fp1", band=C_BAND, occupied=(C_BAND,), **FIXED_50)
    free = Resource(key="fp2", band=C_BAND, step=1)
    other_segment = Resource(key="fp3", band=C_BAND, **FIXED_50)
    placement = first_fit([[taken, free], [other_segment]], 4)
    assert placement.hops == (("fp2", UnitRange(-142, -138)), ("fp3", UnitRange(-142, -138)))


def test_a_segment_without_fiber_pairs_has_no_capacity():
    assert first_fit([[Resource(key="a", band=C_BAND)], []], 4) is None
    assert count_free_units([[Resource(key="a", band=C_BAND)], []], 4) == 0


def test_counting_free_units():
    assert count_free_units([[Resource(key="fp", band=C_BAND, **FIXED_50)]], 4) == 96
    assert count_free_units([[Resource(key="fp", band=C_BAND, **FIXED_50)]], 6) == 0
    assert count_free_units([[Resource(key="fp", band=C_BAND, step=1)]], 6) == 64
    lit = Resource(key="odu4", band=UnitRange(0, 80), occupied=(UnitRange(0, 8),))
    assert count_free_units([[lit]], 8) == 9  # 10G circuits left on a 100G carrier
    assert count_free_units([[lit]], 80) == 0


def test_touching_ranges_do_not_overlap():
    assert not UnitRange(0, 4).overlaps(UnitRange(4, 8))
    assert UnitRange(0, 5).overlaps(UnitRange(4, 8))
    assert merge([UnitRange(4, 8), UnitRange(0, 4), UnitRange(10, 12)]) == [
        UnitRange(0, 8),
        UnitRange(10, 12),
    ]


ranges = st.builds(
    lambda start, width: UnitRange(start, start + width),
    st.integers(-150, 245),
    st.integers(1, 20),
)


@given(
    occupied=st.lists(ranges, max_size=15),
    width=st.integers(1, 12),
    step=st.sampled_from([1, 4, 8]),
)
def test_first_fit_never_overlaps_what_is_taken_and_stays_in_the_band(occupied, width, step):
    resource = Resource(
        key="fp", band=C_BAND, step=step, occupied=tuple(occupied), grid_offset=channel_offset(step)
    )
    placement = first_fit([[resource]], width)
    if placement is None:
        return
    ((_, units),) = placement.hops
    assert C_BAND.contains(units)
    assert (units.start - channel_offset(step)) % step == 0
    assert units.width == (step if step > 1 else width)
    assert not any(units.overlaps(r) for r in occupied)


@given(occupied=st.lists(ranges, max_size=15), width=st.integers(1, 12))
def test_on_one_flexible_resource_the_count_is_exact(occupied, width):
    """Brute force: the gaps between taken ranges, each holding floor(gap / width) units."""
    resource = Resource(key="fp", band=C_BAND, step=1, occupied=tuple(occupied))
    gaps, run = [], 0
    for slot in range(C_BAND.start, C_BAND.end):
        if any(r.start <= slot < r.end for r in occupied):
            gaps.append(run)
            run = 0
        else:
            run += 1
    gaps.append(run)
    assert count_free_units([[resource]], width) == sum(gap // width for gap in gaps)
    assert resource.occupied_units() == C_BAND.width - sum(gaps)


# --- i15-d2 begin ---
def test_possible_and_free_starts_and_their_words():
    from leasing.spectrum import describe_starts, free_starts, possible_starts

    fixed = Resource(key=1, band=UnitRange(-2, 14), step=4, grid_offset=-2)
    assert possible_starts([[fixed]], 4) == [-2, 2, 6, 10]
    taken = fixed.with_occupied(UnitRange(2, 6))
    assert free_starts([[taken]], 4) == [-2, 6, 10]
    assert describe_starts([-2, 2, 6, 10]) == "-2, 2, 6 or 10"
    assert describe_starts([]) == "none"
    assert describe_starts([3]) == "3"
    assert describe_starts(list(range(80))) == "from 0 to 79"
    assert describe_starts(list(range(-2, 300, 4))) == "from -2 to 298, every 4"


# --- i15-d2 end ---
