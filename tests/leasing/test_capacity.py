"""Availability and allocation against the database: the inventory answers."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from leasing.choices import AllocationStatus
from leasing.exceptions import CapacityUnavailable, NotSellable
from leasing.models import (
    CapacityAllocation,
    FiberPair,
    LitCarrier,
    Path,
    SpectrumReservation,
)
from leasing.services.capacity import (
    allocate_capacity,
    check_availability,
    end_allocation,
    light_carrier,
    release_allocation,
)
from leasing.services.inventory import set_path_segments

from .conftest import START

pytestmark = pytest.mark.django_db


def _sell(net, product=None, start=START, **kwargs):
    return allocate_capacity(
        product=product or net.wl100, holder=net.customer, start_date=start, path=net.path, **kwargs
    )


def test_an_empty_path_has_every_channel_free(net):
    availability = check_availability(product=net.wl100, path=net.path, start_date=START)
    assert (availability.available, availability.free_units) == (True, 4)
    # 75 GHz does not pass the filter of a 50 GHz fixed-grid channel.
    assert check_availability(product=net.wl400, path=net.path, start_date=START).free_units == 0


def test_the_last_channel_sells_once(net):
    allocations = [_sell(net) for _ in range(4)]
    slots = {(r.fiber_pair_id, r.start) for a in allocations for r in a.spectrum.all()}
    assert len(slots) == 8  # 4 channels on each of the 2 segments, no two alike
    availability = check_availability(product=net.wl100, path=net.path, start_date=START)
    assert (availability.available, availability.free_units) == (False, 0)
    with pytest.raises(CapacityUnavailable):
        _sell(net)
    assert CapacityAllocation.objects.count() == 4


def test_a_wavelength_takes_the_same_spectrum_on_every_segment(net):
    # Channel 0 is taken on the subsea segment only (by a wavelength on a shorter path).
    sea_only = Path.objects.create(code="CLS-AKT", name="sea", a_site=net.cls, z_site=net.akt)
    set_path_segments(path=sea_only, segments=[net.sea])
    allocate_capacity(product=net.wl100, holder=net.customer, start_date=START, path=sea_only)

    allocation = _sell(net)
    assert {(r.fiber_pair_id, r.start, r.end) for r in allocation.spectrum.all()} == {
        (net.fp_land.pk, 2, 6),
        (net.fp_sea.pk, 2, 6),
    }
    assert check_availability(product=net.wl100, path=net.path, start_date=START).free_units == 2


def test_a_second_fiber_pair_adds_capacity(net):
    for segment in (net.land, net.sea):
        FiberPair.objects.create(
            segment=segment, name="FP2", grid="flex", band_start_slot=0, band_end_slot=12
        )
    # 4 channels on FP1 and 12 flexgrid slots (3 x 50 GHz) on FP2, on both segments.
    assert check_availability(product=net.wl100, path=net.path, start_date=START).free_units == 7
    # 75 GHz fits only the flexible grid: 6 slots each on FP2.
    assert check_availability(product=net.wl400, path=net.path, start_date=START).free_units == 2


def test_an_expired_hold_holds_nothing_and_is_released_by_the_next_sale(net):
    soon = timezone.now() + datetime.timedelta(hours=1)
    held = [_sell(net, status=AllocationStatus.HELD, expires_at=soon) for _ in range(4)]
    assert check_availability(product=net.wl100, path=net.path, start_date=START).free_units == 0
    expired = held.pop(0)
    CapacityAllocation.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    # The expired hold is not counted although its rows are still there...
    assert SpectrumReservation.objects.filter(allocation=expired).exists()
    assert check_availability(product=net.wl100, path=net.path, start_date=START).free_units == 1
    # ...and the next sale releases it and takes its channel: no clash in the database.
    sale = _sell(net)
    expired.refresh_from_db()
    assert expired.status == AllocationStatus.RELEASED
    assert not SpectrumReservation.objects.filter(allocation=expired).exists()
    assert sale.spectrum.first().start == -2
    assert all(CapacityAllocation.objects.get(pk=a.pk).is_live() for a in held)


def test_released_capacity_is_free_again(net):
    allocations = [_sell(net) for _ in range(4)]
    release_allocation(allocation=allocations[0])
    assert check_availability(product=net.wl100, path=net.path, start_date=START).free_units == 1
    again = release_allocation(allocation=allocations[0])
    assert again.status == AllocationStatus.RELEASED


def test_an_ending_service_frees_its_capacity_from_its_end_date(net):
    allocations = [_sell(net, start=datetime.date(2026, 1, 1)) for _ in range(4)]
    end_allocation(allocation=allocations[0], on=datetime.date(2027, 1, 1))
    before = check_availability(
        product=net.wl100, path=net.path, start_date=datetime.date(2026, 12, 31)
    )
    after = check_availability(
        product=net.wl100, path=net.path, start_date=datetime.date(2027, 1, 1)
    )
    assert (before.free_units, after.free_units) == (0, 1)
    # A sale from the end date on takes the freed channel; one starting before it cannot.
    with pytest.raises(CapacityUnavailable):
        _sell(net, start=datetime.date(2026, 12, 15))
    _sell(net, start=datetime.date(2027, 1, 1))


def test_ethernet_needs_a_lit_carrier_and_never_oversells_it(net):
    assert check_availability(product=net.eth10, path=net.path, start_date=START).free_units == 0
    carrier = LitCarrier.objects.create(
        path=net.path, name="LC1", operator=net.azt, capacity_gbps=100, spectrum_ghz=50
    )
    light_carrier(carrier=carrier, start_date=datetime.date(2025, 1, 1))
    # The carrier's own spectrum is taken: one channel fewer for wavelengths.
    assert check_availability(product=net.wl100, path=net.path, start_date=START).free_units == 3
    assert check_availability(product=net.eth10, path=net.path, start_date=START).free_units == 10
    for _ in range(10):
        _sell(net, product=net.eth10)
    with pytest.raises(CapacityUnavailable):
        _sell(net, product=net.eth10)


def test_transit_is_sold_by_the_port_at_a_site(net):
    assert check_availability(product=net.ipt10, site=net.bak, start_date=START).free_units == 2
    for _ in range(2):
        allocate_capacity(product=net.ipt10, holder=net.customer, start_date=START, site=net.bak)
    with pytest.raises(CapacityUnavailable):
        allocate_capacity(product=net.ipt10, holder=net.customer, start_date=START, site=net.bak)
    with pytest.raises(NotSellable):
        check_availability(product=net.ipt10, start_date=START)
    with pytest.raises(NotSellable):
        check_availability(product=net.wl100, site=net.bak, start_date=START)


@pytest.mark.postgres
def test_the_database_refuses_a_double_allocation_whatever_the_code_does(net):
    first = _sell(net)
    row = first.spectrum.get(fiber_pair=net.fp_sea)
    rogue = CapacityAllocation.objects.create(
        holder=net.other_customer, status=AllocationStatus.ACTIVE, valid_from=START
    )
    overlapping = {"allocation": rogue, "fiber_pair": net.fp_sea, "valid_from": START}
    with pytest.raises(IntegrityError, match="spectrum_no_double_allocation"), transaction.atomic():
        SpectrumReservation.objects.create(start=row.start + 2, end=row.end + 2, **overlapping)
    # Neighbouring spectrum, or the same spectrum after the first one ends, is allowed.
    SpectrumReservation.objects.create(start=row.end, end=row.end + 4, **overlapping)
    first.spectrum.update(valid_to=datetime.date(2027, 1, 1))
    SpectrumReservation.objects.create(
        allocation=rogue, fiber_pair=net.fp_sea, start=row.start, end=row.end,
        valid_from=datetime.date(2027, 1, 1),
    )  # fmt: skip
    assert connection.vendor == "postgresql"
