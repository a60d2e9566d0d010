"""Inventory rules: ownership sums, chained paths, prices, fiber pair plans."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from leasing.models import FiberPair, OwnershipShare, Path, Price, SegmentOwnership
from leasing.selectors import ownership_on, path_operator_shares, segments_with_ownership
from leasing.services.inventory import set_path_segments, set_segment_ownership
from tcfo_portal.exceptions import InvalidInput

from ..factories import CustomerFactory
from .conftest import OWNED_FROM

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "shares",
    [
        {"azt": "60", "ktc": "30"},
        {"azt": "60", "ktc": "50"},
        {"azt": "100", "ktc": "0"},
        {"azt": "-10", "ktc": "110"},
        {"azt": "33.3333", "ktc": "66.6667"},
        {"azt": "NaN", "ktc": "50"},
        {"azt": "half", "ktc": "50"},
        {},
    ],
)
def test_ownership_shares_must_sum_to_exactly_100(net, shares):
    before = SegmentOwnership.objects.count(), OwnershipShare.objects.count()
    with pytest.raises(InvalidInput) as error:
        set_segment_ownership(
            segment=net.sea,
            valid_from=datetime.date(2027, 1, 1),
            shares={getattr(net, name): value for name, value in shares.items()},
        )
    assert "shares" in error.value.errors
    assert (SegmentOwnership.objects.count(), OwnershipShare.objects.count()) == before


def test_only_operators_own_segments(net):
    with pytest.raises(InvalidInput, match="not a consortium operator"):
        set_segment_ownership(
            segment=net.sea, valid_from=OWNED_FROM, shares={CustomerFactory(): Decimal(100)}
        )


def test_ownership_changes_over_time(net):
    set_segment_ownership(
        segment=net.sea,
        valid_from=datetime.date(2027, 1, 1),
        shares={net.azt: Decimal("66.667"), net.ktc: Decimal("33.333")},
    )
    sea = segments_with_ownership().get(pk=net.sea.pk)
    assert ownership_on(sea, datetime.date(2023, 12, 31)) == {}
    assert ownership_on(sea, datetime.date(2026, 12, 31)) == {net.azt: 50, net.ktc: 50}
    assert ownership_on(sea, datetime.date(2027, 1, 1)) == {
        net.azt: Decimal("66.667"),
        net.ktc: Decimal("33.333"),
    }


def test_a_path_share_weighs_each_segment(net):
    land, sea = (
        segments_with_ownership().get(pk=net.land.pk),
        segments_with_ownership().get(pk=net.sea.pk),
    )
    shares = path_operator_shares([land, sea], datetime.date(2026, 6, 1))
    # land: weight 40 (its length), AZT 100%; sea: weight 760 (agreed), 50/50.
    assert shares[net.azt] == (40 + Decimal(380)) / 800
    assert shares[net.ktc] == Decimal(380) / 800
    assert sum(shares.values()) == 1


@pytest.mark.postgres
def test_postgresql_refuses_shares_that_do_not_sum_to_100_at_commit(net):
    ownership = SegmentOwnership.objects.get(segment=net.sea)
    with pytest.raises(IntegrityError, match="sum to 150"), transaction.atomic():
        ownership.shares.filter(operator=net.azt).update(percent=Decimal(100))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError, match="sum to 0"), transaction.atomic():
        SegmentOwnership.objects.create(segment=net.sea, valid_from=datetime.date(2030, 1, 1))
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_path_must_chain_its_segments_from_a_to_z(net):
    reversed_path = Path.objects.create(code="AKT-BAK", name="back", a_site=net.akt, z_site=net.bak)
    set_path_segments(path=reversed_path, segments=[net.sea, net.land])  # walked backwards: fine
    assert [s.code for s in reversed_path.ordered_segments()] == ["CLS-AKT", "BAK-CLS"]

    for segments, message in (
        ([net.land, net.sea], "does not continue"),
        ([net.sea], "does not end at the path's Z site"),
        ([net.land], "does not continue"),
        ([net.sea, net.sea, net.land], "each segment once"),
        ([], "at least one segment"),
    ):
        with pytest.raises(InvalidInput, match=message):
            set_path_segments(path=reversed_path, segments=segments)
    assert [s.code for s in reversed_path.ordered_segments()] == ["CLS-AKT", "BAK-CLS"]


def _price(net, **overrides):
    values = {
        "product": net.wl100,
        "path": net.path,
        "term_months": 36,
        "valid_from": datetime.date(2026, 1, 1),
        "currency": "USD",
        "mrc": Decimal("10500"),
        "nrc": Decimal("5000"),
    }
    values.update(overrides)
    return Price(**values)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"currency": ""}, "currency", "This field cannot be blank."),
        ({"currency": "usd"}, "currency", "ISO 4217"),
        ({"mrc": None}, "mrc", "needs this"),
        ({"nrc": Decimal("-1")}, "nrc", "negative"),
        ({"term_months": 24}, "term_months", "12, 36, 60"),
        ({"path": None}, "path", "priced on a path"),
        ({"valid_to": datetime.date(2025, 1, 1)}, "valid_to", "end after it starts"),
        ({"term_months": 12}, "valid_from", "same period"),
    ],
)
def test_bad_prices_are_refused_with_the_reason(net, overrides, field, message):
    price = _price(net, **overrides)
    with pytest.raises(ValidationError) as error:
        price.full_clean()
    assert message in " ".join(error.value.message_dict[field])


def test_transit_is_priced_at_a_site_with_commit_and_burst(net):
    price = Price(
        product=net.ipt10, path=net.path, term_months=12, valid_from=datetime.date(2026, 1, 1),
        currency="USD",
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        price.full_clean()
    assert set(error.value.message_dict) >= {
        "site",
        "commit_price_per_mbps",
        "burst_price_per_mbps",
    }


@pytest.mark.postgres
def test_postgresql_refuses_overlapping_prices(net):
    with pytest.raises(IntegrityError, match="price_no_overlapping_validity"), transaction.atomic():
        _price(net, term_months=12, valid_from=datetime.date(2026, 6, 1)).save()
    # The old price ends when the new one starts: both are fine.
    Price.objects.filter(pk=net.price.pk).update(valid_to=datetime.date(2026, 6, 1))
    _price(net, term_months=12, valid_from=datetime.date(2026, 6, 1)).save()


def test_a_fixed_grid_band_is_whole_channels(net):
    fiber_pair = FiberPair(
        segment=net.sea, name="FP9", grid="fixed_50", band_start_slot=0, band_end_slot=10
    )
    with pytest.raises(ValidationError, match="whole ITU channels"):
        fiber_pair.full_clean()
    fiber_pair.grid = "flex"
    fiber_pair.full_clean()


def test_the_segments_an_operator_owns_follow_the_ownership_in_force(net):
    """``Segment.owned_by`` (used by every operator's visibility) takes the ownership in force
    on the day: the latest one from that day or before, not any earlier one."""
    from leasing.models import Segment

    set_segment_ownership(
        segment=net.sea, valid_from=datetime.date(2027, 1, 1), shares={net.azt: Decimal(100)}
    )
    before, after = datetime.date(2026, 12, 31), datetime.date(2027, 1, 1)
    assert set(Segment.owned_by(net.ktc, before)) == {net.sea.pk}
    assert set(Segment.owned_by(net.ktc, after)) == set()
    assert set(Segment.owned_by(net.azt, after)) == {net.land.pk, net.sea.pk}
    assert set(Segment.owned_by(net.azt, OWNED_FROM - datetime.timedelta(days=1))) == set()


def test_a_lit_carriers_operator_is_dated(net):
    from leasing.models import LitCarrier
    from leasing.selectors import carrier_operator_on
    from leasing.services.inventory import set_carrier_operator

    carrier = LitCarrier.objects.create(
        path=net.path, name="C1", operator=net.azt, capacity_gbps=100, spectrum_ghz=50
    )
    set_carrier_operator(carrier=carrier, operator=net.ktc, valid_from=datetime.date(2026, 9, 1))
    carrier.refresh_from_db()
    assert carrier.operator == net.ktc  # the one in force today
    assert carrier_operator_on(carrier, datetime.date(2026, 8, 31)) == net.azt
    assert carrier_operator_on(carrier, datetime.date(2026, 9, 1)) == net.ktc
