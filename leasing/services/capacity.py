"""Availability and allocation of capacity: the inventory answers, never a guess.

A sale takes the same range on one resource of every hop (``leasing.spectrum``):

- wavelength: one hop per segment of the path, its fiber pairs as resources, the product's
  spectrum (rounded up to whole 12.5 GHz slots, and to whole channels on a fixed grid) as width;
- Ethernet: one hop, the path's operator-lit carriers, the product's tributary slots as width;
- IP transit: one hop, the site's port pool of the product's speed, one port as width.

What is taken from a date on is every reservation row valid on some day from that date whose
allocation is active, or held and not expired: a hold stops counting the moment it expires, and
expired holds are deleted when capacity is next allocated. A new sale is open-ended: it needs its
units free from its start date on.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import log_created
from organisations.models import Organisation
from tcfo_portal.exceptions import Conflict, DomainError
from tcfo_portal.formatting import format_date

from ..choices import AllocationStatus, ProductKind
from ..exceptions import CapacityUnavailable
from ..models import (
    CapacityAllocation,
    FiberPair,
    LitCapacityReservation,
    LitCarrier,
    Path,
    Product,
    Quote,
    Site,
    SpectrumReservation,
    TransitPortPool,
    TransitPortReservation,
)
from ..models.capacity import RangeReservation, live_allocations_q
from ..spectrum import (
    Placement,
    Resource,
    UnitRange,
    count_free_units,
    describe_starts,
    first_fit,
    free_starts,
    possible_starts,
    slots_for_ghz,
)


@dataclass(frozen=True)
class Availability:
    available: bool
    free_units: int
    placement: Placement | None


@dataclass(frozen=True)
class Demand:
    """What a sale needs: a range of ``width`` on one resource of each hop."""

    hops: list[list[Resource]]
    width: int
    reservation_model: type[RangeReservation]
    resource_field: str


def _resources(
    objects: list[models.Model],
    reservation_model: type[RangeReservation],
    resource_field: str,
    start_date: datetime.date,
) -> dict[int, Resource]:
    """Each object (fiber pair, carrier, pool) as a ``Resource`` with what is taken on it."""
    occupied: dict[int, list[UnitRange]] = {obj.pk: [] for obj in objects}
    taken = (
        reservation_model.objects.filter(**{f"{resource_field}__in": objects})
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start_date))
        .filter(live_allocations_q("allocation__"))
        .values_list(f"{resource_field}_id", "start", "end")
    )
    for resource_id, start, end in taken:
        occupied[resource_id].append(UnitRange(start, end))
    return {
        obj.pk: Resource(
            key=obj.pk,
            band=obj.band,
            step=obj.step,
            occupied=tuple(occupied[obj.pk]),
            grid_offset=obj.grid_offset,
        )
        for obj in objects
    }


def _locked(queryset: models.QuerySet, lock: bool) -> list[models.Model]:
    # Locking the resources (always in primary-key order, so two allocators never deadlock)
    # queues concurrent allocations on them; the exclusion constraints are the last guard.
    queryset = queryset.order_by("pk")
    return list(queryset.select_for_update() if lock else queryset)


def spectrum_demand(
    *, path: Path, width: int, start_date: datetime.date, lock: bool = False
) -> Demand:
    segments = path.ordered_segments()
    fiber_pairs = _locked(FiberPair.objects.filter(segment__in=segments, is_active=True), lock)
    resources = _resources(fiber_pairs, SpectrumReservation, "fiber_pair", start_date)
    hops = [
        [resources[fp.pk] for fp in fiber_pairs if fp.segment_id == segment.pk]
        for segment in segments
    ]
    return Demand(hops, width, SpectrumReservation, "fiber_pair")


def product_demand(
    *,
    product: Product,
    path: Path | None,
    site: Site | None,
    start_date: datetime.date,
    lock: bool = False,
) -> Demand:
    """What selling ``product`` on ``path`` (transit: at ``site``) from ``start_date`` needs."""
    path, site = product.sold_at(path=path, site=site)
    if site is not None:
        pools = _locked(
            TransitPortPool.objects.filter(site=site, port_speed_mbps=product.bandwidth_mbps), lock
        )
        resources = _resources(pools, TransitPortReservation, "pool", start_date)
        return Demand([list(resources.values())], 1, TransitPortReservation, "pool")

    if product.kind == ProductKind.WAVELENGTH:
        return spectrum_demand(
            path=path, width=slots_for_ghz(product.spectrum_ghz), start_date=start_date, lock=lock
        )
    # Only a carrier lit (its spectrum held) from the start date on, open-ended, carries a sale.
    lit = LitCarrier.objects.filter(
        path=path,
        is_active=True,
        spectrum__status=AllocationStatus.ACTIVE,
        spectrum__valid_from__lte=start_date,
        spectrum__valid_to__isnull=True,
    )
    carriers = _locked(lit, lock)
    resources = _resources(carriers, LitCapacityReservation, "carrier", start_date)
    return Demand(
        [list(resources.values())], product.tributary_slots, LitCapacityReservation, "carrier"
    )


def check_availability(
    *,
    product: Product,
    start_date: datetime.date,
    path: Path | None = None,
    site: Site | None = None,
) -> Availability:
    """Is ``product`` free on ``path`` (transit: at ``site``) from ``start_date``; how often?"""
    demand = product_demand(product=product, path=path, site=site, start_date=start_date)
    placement = first_fit(demand.hops, demand.width)
    free = count_free_units(demand.hops, demand.width) if placement else 0
    return Availability(available=placement is not None, free_units=free, placement=placement)


def quote_availability(quote: Quote) -> Availability | None:
    """What ``check_availability`` says of an open quote's product, place and start (what
    ordering it would hold), or None when the quote is ordered or expired, or its product is
    no longer sold there (``place_order`` then says why)."""
    if hasattr(quote, "order") or quote.is_expired:
        return None
    try:
        return check_availability(
            product=quote.product, start_date=quote.start_date, path=quote.path, site=quote.site
        )
    except DomainError:
        return None


def release_expired_holds(*, at: datetime.datetime | None = None) -> int:
    """Release every hold that has expired; return how many."""
    at = at or timezone.now()
    expired = CapacityAllocation.objects.filter(
        status=AllocationStatus.HELD, expires_at__isnull=False, expires_at__lte=at
    )
    count = 0
    for allocation in expired.only("pk"):
        release_allocation(allocation=allocation, at=at)
        count += 1
    return count


def _take(
    *,
    demand: Demand,
    placement: Placement,
    holder: Organisation,
    status: str,
    start_date: datetime.date,
    expires_at: datetime.datetime | None,
    reference: str,
    product: Product | None = None,
    path: Path | None = None,
    site: Site | None = None,
) -> CapacityAllocation:
    allocation = CapacityAllocation.objects.create(
        holder=holder,
        product=product,
        path=path,
        site=site,
        status=status,
        valid_from=start_date,
        expires_at=expires_at,
        reference=reference,
    )
    _store(demand, placement, allocation)
    return allocation


def _store(demand: Demand, placement: Placement, allocation: CapacityAllocation) -> None:
    """Write the reservation rows of ``placement`` for ``allocation``."""
    rows = [
        demand.reservation_model(
            allocation=allocation,
            start=units.start,
            end=units.end,
            valid_from=allocation.valid_from,
            valid_to=allocation.valid_to,
            **{f"{demand.resource_field}_id": resource_id},
        )
        for resource_id, units in placement.hops
    ]
    try:
        with transaction.atomic():
            demand.reservation_model.objects.bulk_create(rows)
    except IntegrityError as error:  # the database's exclusion constraint refused it
        raise CapacityUnavailable("The capacity is no longer available.") from error
    log_created(rows)


@transaction.atomic
def allocate_capacity(
    *,
    product: Product,
    holder: Organisation,
    start_date: datetime.date,
    path: Path | None = None,
    site: Site | None = None,
    status: str = AllocationStatus.HELD,
    expires_at: datetime.datetime | None = None,
    reference: str = "",
) -> CapacityAllocation:
    """Take the lowest free capacity for ``product`` from ``start_date`` on.

    Raises ``CapacityUnavailable`` (409) when none is free, also when a concurrent allocation
    took it first. A hold (``status`` held) stops holding at ``expires_at``.
    """
    path, site = product.sold_at(path=path, site=site)
    release_expired_holds()
    demand = product_demand(product=product, path=path, site=site, start_date=start_date, lock=True)
    placement = first_fit(demand.hops, demand.width)
    if placement is None:
        where = (site or path).code
        raise CapacityUnavailable(
            f"No {product.code} capacity is free on {where} from {start_date}."
        )
    return _take(
        demand=demand,
        placement=placement,
        holder=holder,
        status=status,
        start_date=start_date,
        expires_at=expires_at,
        reference=reference,
        product=product,
        path=path,
        site=site,
    )


@transaction.atomic
def light_carrier(
    *, carrier: LitCarrier, start_date: datetime.date, reference: str = ""
) -> CapacityAllocation:
    """Take the spectrum for an operator's own carrier along its path (active at once)."""
    if carrier.spectrum_id is not None:
        raise Conflict(f"{carrier} is lit already.")
    release_expired_holds()
    demand = spectrum_demand(
        path=carrier.path,
        width=slots_for_ghz(carrier.spectrum_ghz),
        start_date=start_date,
        lock=True,
    )
    placement = first_fit(demand.hops, demand.width)
    if placement is None:
        raise CapacityUnavailable(f"No spectrum is free on {carrier.path.code} for {carrier}.")
    allocation = _take(
        demand=demand,
        placement=placement,
        holder=carrier.operator,
        status=AllocationStatus.ACTIVE,
        start_date=start_date,
        expires_at=None,
        reference=reference or f"carrier {carrier.name}",
        path=carrier.path,
    )
    carrier.spectrum = allocation
    carrier.save(update_fields=["spectrum"])
    return allocation


RESERVATION_MODELS = (SpectrumReservation, LitCapacityReservation, TransitPortReservation)


@transaction.atomic
def move_allocation(
    *,
    allocation: CapacityAllocation,
    product: Product,
    start: int,
    path: Path | None = None,
    site: Site | None = None,
) -> CapacityAllocation:
    """Move what ``allocation`` holds to start at unit ``start`` (a spectrum slot, a tributary
    slot, a port) on every hop, on the first resource of each hop where it is free there."""
    allocation = CapacityAllocation.objects.select_for_update().get(pk=allocation.pk)
    if not allocation.is_live():
        raise CapacityUnavailable("This allocation no longer holds capacity.")
    for model in RESERVATION_MODELS:
        model.objects.filter(allocation=allocation).delete()
    demand = product_demand(
        product=product, path=path, site=site, start_date=allocation.valid_from, lock=True
    )
    placement = first_fit(demand.hops, demand.width, from_start=start)
    if placement is None or placement.start != start:
        raise CapacityUnavailable(_not_placeable(demand, start), field="start")
    _store(demand, placement, allocation)
    allocation.moved_at = timezone.now()
    allocation.save(update_fields=["moved_at"])
    return allocation


#: What the units of each kind of capacity are, as a person types them.
UNIT_NAMES = {
    SpectrumReservation: "12.5 GHz slot (0 = 193.1 THz)",
    LitCapacityReservation: "tributary slot",
    TransitPortReservation: "port (0 = port 1)",
}


def _not_placeable(demand: Demand, start: int) -> str:
    """Why ``demand`` cannot start at ``start``: off the band or the grid (naming the starts
    there are), or taken (naming the free ones)."""
    unit = UNIT_NAMES[demand.reservation_model]
    possible = possible_starts(demand.hops, demand.width)
    if start not in possible:
        return (
            f"{start} is not a start this capacity can take: it starts at a {unit} "
            f"{describe_starts(possible)}."
        )
    name = unit.split(" (")[0]
    return (
        f"{name[0].upper()}{name[1:]} {start} is taken on some hop; free starts: "
        f"{describe_starts(free_starts(demand.hops, demand.width))}."
    )


@transaction.atomic
def activate_allocation(*, allocation: CapacityAllocation) -> CapacityAllocation:
    """A hold becomes the capacity of a running service: it no longer expires."""
    allocation = CapacityAllocation.objects.select_for_update().get(pk=allocation.pk)
    if not allocation.is_live():
        raise CapacityUnavailable("This hold has expired or was released.")
    allocation.status = AllocationStatus.ACTIVE
    allocation.expires_at = None
    allocation.save(update_fields=["status", "expires_at"])
    return allocation


@transaction.atomic
def release_allocation(
    *, allocation: CapacityAllocation, at: datetime.datetime | None = None
) -> CapacityAllocation:
    """Free everything the allocation holds, at once (a hold dropped, an order cancelled)."""
    allocation = CapacityAllocation.objects.select_for_update().get(pk=allocation.pk)
    for model in RESERVATION_MODELS:
        model.objects.filter(allocation=allocation).delete()
    if allocation.status != AllocationStatus.RELEASED:
        allocation.status = AllocationStatus.RELEASED
        allocation.released_at = at or timezone.now()
        allocation.save(update_fields=["status", "released_at"])
    return allocation


@transaction.atomic
def end_allocation(*, allocation: CapacityAllocation, on: datetime.date) -> CapacityAllocation:
    """A service ends on ``on``: its capacity stays taken until then and is free from that day."""
    allocation = CapacityAllocation.objects.select_for_update().get(pk=allocation.pk)
    if on <= allocation.valid_from:
        return release_allocation(allocation=allocation)
    for model in RESERVATION_MODELS:
        # One save a reservation (a service holds a few), so the audit log records each end.
        for reservation in model.objects.filter(allocation=allocation):
            reservation.valid_to = on
            reservation.save(update_fields=["valid_to"])
    allocation.valid_to = on
    allocation.save(update_fields=["valid_to"])
    return allocation


RESOURCE_FIELDS = {
    SpectrumReservation: "fiber_pair",
    LitCapacityReservation: "carrier",
    TransitPortReservation: "pool",
}


@transaction.atomic
def change_allocation_end(
    *, allocation: CapacityAllocation, on: datetime.date | None
) -> CapacityAllocation:
    """A running service's end moves to ``on`` (None: it runs on, open-ended). Earlier frees
    the capacity sooner; later (or never) needs it free from the old end until the new one:
    ``CapacityUnavailable`` naming ``on`` when another sale holds it from the old end on."""
    allocation = CapacityAllocation.objects.select_for_update().get(pk=allocation.pk)
    old_end = allocation.valid_to
    if old_end is not None and (on is None or on > old_end):
        for model, resource_field in RESOURCE_FIELDS.items():
            for reservation in model.objects.filter(allocation=allocation):
                taken = model.objects.filter(
                    Q(valid_to__isnull=True) | Q(valid_to__gt=old_end),
                    live_allocations_q("allocation__"),
                    start__lt=reservation.end,
                    end__gt=reservation.start,
                    **{resource_field: getattr(reservation, f"{resource_field}_id")},
                ).exclude(allocation=allocation)
                if on is not None:
                    taken = taken.filter(valid_from__lt=on)
                if taken.exists():
                    raise _sold_from(old_end)
    for model in RESERVATION_MODELS:
        # One save a reservation, so the audit log records each change of its end.
        for reservation in model.objects.filter(allocation=allocation):
            reservation.valid_to = on
            try:
                with transaction.atomic():
                    reservation.save(update_fields=["valid_to"])
            except IntegrityError as error:  # the exclusion constraint: held meanwhile
                raise _sold_from(old_end) from error
    allocation.valid_to = on
    allocation.save(update_fields=["valid_to"])
    return allocation


def _sold_from(day: datetime.date | None) -> CapacityUnavailable:
    return CapacityUnavailable(
        f"The capacity is sold again from {format_date(day)}: the service can end on that day "
        "at the latest.",
        field="on",
    )
