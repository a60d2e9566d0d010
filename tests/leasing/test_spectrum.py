"""The capacity maths on its own: ranges, grids, first fit, counting."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leasing.spectrum import (
    Resource,
    UnitRange,
    count_free_units,
    first_fit,
    merge,
    slot_start_thz,
    slots_for_ghz,
)

C_BAND = UnitRange(-144, 240)


def test_the_grid_is_anchored_at_193_1_thz():
    assert slot_start_thz(0) == Decimal("193.1")
    assert slot_start_thz(-144) == Decimal("191.3")
    assert slot_start_thz(240) == Decimal("196.1")
    assert C_BAND.width // 4 == 96  # 96 channels of 50 GHz


@pytest.mark.parametrize(
    ("ghz", "slots"), [(50, 4), (75, 6), (Decimal("37.5"), 3), (Decimal("12.6"), 2), (100, 8)]
)
def test_spectrum_needs_whole_slots(ghz, slots):
    assert slots_for_ghz(ghz) == slots


def test_a_fixed_grid_takes_whole_aligned_channels():
    fixed_50 = Resource(key="fp", band=C_BAND, step=4)
    assert fixed_50.footprint(-144, 4) == UnitRange(-144, -140)
    assert fixed_50.footprint(-143, 4) is None  # off the channel grid
    assert fixed_50.footprint(-144, 6) == UnitRange(-144, -136)  # 75 GHz takes two channels
    assert fixed_50.footprint(236, 4) == UnitRange(236, 240)  # the last channel
    assert fixed_50.footprint(240, 4) is None  # past the band edge
    assert fixed_50.footprint(-148, 4) is None  # below it


def test_band_edges_on_a_flexible_grid():
    flex = Resource(key="fp", band=C_BAND, step=1)
    assert flex.footprint(234, 6) == UnitRange(234, 240)
    assert flex.footprint(235, 6) is None
    full = Resource(key="fp", band=C_BAND, step=1, occupied=(UnitRange(-144, 234),))
    placement = first_fit([[full]], 6)
    assert placement.hops == (("fp", UnitRange(234, 240)),)
    assert first_fit([[full]], 7) is None


def test_first_fit_needs_the_same_spectrum_on_every_hop():
    a = Resource(key="a", band=C_BAND, step=4, occupied=(UnitRange(-144, -136),))
    b = Resource(key="b", band=C_BAND, step=4, occupied=(UnitRange(-136, -128),))
    placement = first_fit([[a], [b]], 4)
    assert placement.start == -128
    assert placement.hops == (("a", UnitRange(-128, -124)), ("b", UnitRange(-128, -124)))


def test_first_fit_picks_another_fiber_pair_of_a_hop_when_the_first_is_taken():
    taken = Resource(key="fp1", band=C_BAND, step=4, occupied=(C_BAND,))
    free = Resource(key="fp2", band=C_BAND, step=1)
    other_segment = Resource(key="fp3", band=C_BAND, step=4)
    placement = first_fit([[taken, free], [other_segment]], 4)
    assert placement.hops == (("fp2", UnitRange(-144, -140)), ("fp3", UnitRange(-144, -140)))


def test_a_segment_without_fiber_pairs_has_no_capacity():
    assert first_fit([[Resource(key="a", band=C_BAND)], []], 4) is None
    assert count_free_units([[Resource(key="a", band=C_BAND)], []], 4) == 0


def test_counting_free_units():
    assert count_free_units([[Resource(key="fp", band=C_BAND, step=4)]], 4) == 96
    assert count_free_units([[Resource(key="fp", band=C_BAND, step=4)]], 6) == 48
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
    resource = Resource(key="fp", band=C_BAND, step=step, occupied=tuple(occupied))
    placement = first_fit([[resource]], width)
    if placement is None:
        return
    ((_, units),) = placement.hops
    assert C_BAND.contains(units)
    assert (units.start - C_BAND.start) % step == 0
    assert units.width % step == 0 and units.width >= width
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
