"""Reads of the network and catalog that more than one view or service needs."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from typing import Any

from django.db.models import Case, F, Prefetch, Q, QuerySet, TextField, Value, When

from organisations.access import Actor, has_capability, visible_to
from organisations.choices import Capability
from organisations.models import Organisation

from .choices import AllocationStatus, NoteVisibility, SpectrumState
from .models import (
    CapacityAllocation,
    FiberPair,
    LitCarrier,
    OwnershipShare,
    Path,
    PathSegment,
    Price,
    Product,
    Segment,
    SegmentOwnership,
    SegmentWeight,
    Site,
    SiteOwnership,
    SpectrumReservation,
)
from .models.capacity import live_allocations_q
from .spectrum import SLOT_GHZ, UnitRange, merge, slot_start_thz


def ownership_on(segment: Segment, on: datetime.date) -> dict[Organisation, Decimal]:
    """Each operator's percentage of ``segment`` on ``on``; empty before its first ownership.

    Uses ``segment.ownerships`` prefetched with their shares (``paths_with_segments``) if present.
    """
    candidates = [o for o in segment.ownerships.all() if o.valid_from <= on]
    if not candidates:
        return {}
    current = max(candidates, key=lambda o: o.valid_from)
    return {share.operator: share.percent for share in current.shares.all()}


def weight_on(segment: Segment, on: datetime.date) -> Decimal:
    """The segment's settlement weight on ``on``: the dated weight in force, else (before the
    first one) ``Segment.weight``. Uses ``segment.weights`` prefetched if present."""
    candidates = [w for w in segment.weights.all() if w.valid_from <= on]
    if not candidates:
        return segment.weight
    return max(candidates, key=lambda w: w.valid_from).weight


def site_owner_on(site: Site, on: datetime.date) -> Organisation:
    """The operator owning ``site`` on ``on``: the dated owner in force, else (before the first
    one) ``Site.operator``. Uses ``site.ownerships`` prefetched if present."""
    candidates = [o for o in site.ownerships.all() if o.valid_from <= on]
    if not candidates:
        return site.operator
    return max(candidates, key=lambda o: o.valid_from).operator


def carrier_operator_on(carrier: LitCarrier, on: datetime.date) -> Organisation:
    """The operator running ``carrier`` on ``on``: the dated one in force, else (before the
    first) ``LitCarrier.operator``. Uses ``carrier.operators`` prefetched if present."""
    candidates = [o for o in carrier.operators.all() if o.valid_from <= on]
    if not candidates:
        return carrier.operator
    return max(candidates, key=lambda o: o.valid_from).operator


def path_operator_shares(segments: list[Segment], on: datetime.date) -> dict[Organisation, Decimal]:
    """An operator's share of a path on ``on``: sum(weight x ownership) / sum(weight), as
    fractions of 1, with each segment's weight and ownership in force that day.

    Segments without an ownership on ``on`` are left out of both sums.
    """
    weighted: dict[Organisation, Decimal] = {}
    total_weight = Decimal(0)
    for segment in segments:
        owners = ownership_on(segment, on)
        if not owners:
            continue
        weight = weight_on(segment, on)
        total_weight += weight
        for operator, percent in owners.items():
            weighted[operator] = weighted.get(operator, Decimal(0)) + weight * percent / 100
    if not total_weight:
        return {}
    return {operator: value / total_weight for operator, value in weighted.items()}


def route_changes(
    segments: list[Segment], site: Site | None, first: datetime.date, last: datetime.date
) -> list[datetime.date]:
    """The days in (first, last] on which an ownership, weight or site owner of the route
    changes, in order (from the prefetched rows): between two of them the shares are equal."""
    days: set[datetime.date] = set()
    for segment in segments:
        days.update(o.valid_from for o in segment.ownerships.all())
        days.update(w.valid_from for w in segment.weights.all())
    if site is not None:
        days.update(o.valid_from for o in site.ownerships.all())
    return sorted(day for day in days if first < day <= last)


def segments_with_ownership() -> QuerySet[Segment]:
    shares = OwnershipShare.objects.select_related("operator")
    return Segment.objects.select_related("a_site", "z_site").prefetch_related(
        Prefetch(
            "ownerships",
            queryset=SegmentOwnership.objects.prefetch_related(Prefetch("shares", queryset=shares)),
        ),
        Prefetch("weights", queryset=SegmentWeight.objects.all()),
    )


def sites_with_owners() -> QuerySet[Site]:
    """Sites with their owner today and their dated owners (for ``site_owner_on``)."""
    return Site.objects.select_related("operator").prefetch_related(
        Prefetch("ownerships", queryset=SiteOwnership.objects.select_related("operator"))
    )


def paths_with_segments() -> QuerySet[Path]:
    """Paths with their sites, ordered segments and the segments' ownerships and weights, in
    6 queries."""
    return Path.objects.select_related("a_site", "z_site").prefetch_related(
        Prefetch(
            "path_segments",
            queryset=PathSegment.objects.order_by("position").prefetch_related(
                Prefetch("segment", queryset=segments_with_ownership())
            ),
        )
    )


def chain_of(path: Path) -> list[Segment]:
    """The segments of ``path`` in order (from ``paths_with_segments`` without more queries)."""
    return [ps.segment for ps in sorted(path.path_segments.all(), key=lambda ps: ps.position)]


def prices_valid_on(on: datetime.date) -> QuerySet[Price]:
    return Price.objects.filter(valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on)
    )


def price_for(
    *,
    product: Product,
    term_months: int,
    on: datetime.date,
    path: Path | None = None,
    site: object | None = None,
) -> Price | None:
    """The price book line for this product, place and term valid on ``on``."""
    return (
        prices_valid_on(on)
        .filter(product=product, term_months=term_months, path=path, site=site)
        .first()
    )


@dataclass(frozen=True)
class HeldRange:
    """Units of a resource taken from some date on, and by what."""

    start: int
    end: int
    state: str
    holder: Organisation
    product: Product | None
    reference: str
    valid_from: datetime.date
    valid_to: datetime.date | None

    @property
    def frequencies(self) -> str:
        return f"{slot_start_thz(self.start)} to {slot_start_thz(self.end)} THz"

    @property
    def state_label(self) -> str:
        return SpectrumState(self.state).label


def spectrum_held(fiber_pairs: list[FiberPair], on: datetime.date) -> dict[int, list[HeldRange]]:
    """What is taken on each fiber pair from ``on`` on (what availability counts), in order."""
    held: dict[int, list[HeldRange]] = {fp.pk: [] for fp in fiber_pairs}
    rows = (
        SpectrumReservation.objects.filter(fiber_pair__in=fiber_pairs)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .filter(live_allocations_q("allocation__"))
        .select_related("allocation__holder", "allocation__product")
        .order_by("start")
    )
    for row in rows:
        allocation = row.allocation
        held[row.fiber_pair_id].append(
            HeldRange(
                start=row.start,
                end=row.end,
                state=SpectrumState.IN_SERVICE
                if allocation.status == AllocationStatus.ACTIVE
                else SpectrumState.RESERVED,
                holder=allocation.holder,
                product=allocation.product,
                reference=allocation.reference,
                valid_from=row.valid_from,
                valid_to=row.valid_to,
            )
        )
    return held


@dataclass(frozen=True)
class FiberPairUtilisation:
    fiber_pair: FiberPair
    band_ghz: Decimal
    in_service_ghz: Decimal
    reserved_ghz: Decimal

    @property
    def free_ghz(self) -> Decimal:
        return self.band_ghz - self.in_service_ghz - self.reserved_ghz

    @property
    def used_percent(self) -> Decimal:
        used = self.in_service_ghz + self.reserved_ghz
        return (
            (used * 100 / self.band_ghz).quantize(Decimal("0.1")) if self.band_ghz else Decimal(0)
        )


def _covered(ranges: list[UnitRange], band: UnitRange) -> list[UnitRange]:
    """The parts of ``band`` that ``ranges`` cover, merged (a range is counted once)."""
    clipped = [
        UnitRange(max(r.start, band.start), min(r.end, band.end))
        for r in ranges
        if r.overlaps(band)
    ]
    return merge(clipped)


def _width(ranges: list[UnitRange]) -> int:
    return sum(r.width for r in ranges)


def fiber_pair_utilisation(on: datetime.date) -> list[FiberPairUtilisation]:
    """In service, reserved (and not in service) and free spectrum of every active fiber pair,
    from ``on`` on. A slot taken by a service ending and its successor counts once."""
    fiber_pairs = list(
        FiberPair.objects.filter(is_active=True)
        .select_related("segment")
        .order_by("segment__code", "name")
    )
    held = spectrum_held(fiber_pairs, on)
    result = []
    for fiber_pair in fiber_pairs:
        band = fiber_pair.band
        taken = held[fiber_pair.pk]
        in_service = _covered(
            [UnitRange(t.start, t.end) for t in taken if t.state == SpectrumState.IN_SERVICE], band
        )
        anything = _covered([UnitRange(t.start, t.end) for t in taken], band)
        result.append(
            FiberPairUtilisation(
                fiber_pair=fiber_pair,
                band_ghz=band.width * SLOT_GHZ,
                in_service_ghz=_width(in_service) * SLOT_GHZ,
                reserved_ghz=(_width(anything) - _width(in_service)) * SLOT_GHZ,
            )
        )
    return result


@dataclass(frozen=True)
class PathUtilisation:
    path: Path
    design_capacity_gbps: int
    in_service_gbps: Decimal
    reserved_gbps: Decimal
    busiest_segment: Segment | None

    @property
    def free_gbps(self) -> Decimal:
        return self.design_capacity_gbps - self.in_service_gbps - self.reserved_gbps


def path_utilisation(paths: list[Path], on: datetime.date) -> list[PathUtilisation]:
    """Capacity in service on ``on`` and reserved from then on, against each path's ceiling.

    In service: active sales running on ``on``. Reserved: holds, and active sales that start
    later. Sales on every path count on each segment they run over; a path reports its busiest
    segment, and its ceiling is the lowest design capacity of its segments.
    """
    segments_of = {
        path_id: [segment_id for _, segment_id in rows]
        for path_id, rows in groupby(
            PathSegment.objects.order_by("path_id").values_list("path_id", "segment_id"),
            key=lambda row: row[0],
        )
    }
    allocations = (
        CapacityAllocation.objects.filter(path__isnull=False, product__isnull=False)
        .filter(live_allocations_q())
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .values_list("path_id", "status", "valid_from", "product__bandwidth_mbps")
    )
    used: dict[tuple[int, str], int] = {}
    for path_id, status, valid_from, mbps in allocations:
        if valid_from > on:
            status = AllocationStatus.HELD  # committed, not yet running: reserved
        for segment_id in segments_of.get(path_id, []):
            used[(segment_id, status)] = used.get((segment_id, status), 0) + mbps

    def on_segment(segment: Segment, status: str) -> Decimal:
        return Decimal(used.get((segment.pk, status), 0)) / 1000

    result = []
    for path in paths:
        chain = chain_of(path)
        busiest = max(
            chain,
            key=lambda seg: (
                on_segment(seg, AllocationStatus.ACTIVE) + on_segment(seg, AllocationStatus.HELD)
            ),
            default=None,
        )
        result.append(
            PathUtilisation(
                path=path,
                design_capacity_gbps=min((seg.design_capacity_gbps for seg in chain), default=0),
                in_service_gbps=on_segment(busiest, AllocationStatus.ACTIVE)
                if busiest
                else Decimal(0),
                reserved_gbps=on_segment(busiest, AllocationStatus.HELD) if busiest else Decimal(0),
                busiest_segment=busiest,
            )
        )
    return result


def assignment_prefetches(prefix: str = "") -> list[Prefetch]:
    """Load what ``allocation_assignment`` reads, for a whole list of allocations at once."""
    from .models import LitCapacityReservation, TransitPortReservation

    return [
        Prefetch(
            f"{prefix}spectrum", SpectrumReservation.objects.select_related("fiber_pair__segment")
        ),
        Prefetch(
            f"{prefix}lit_capacity", LitCapacityReservation.objects.select_related("carrier__path")
        ),
        Prefetch(
            f"{prefix}transit_ports", TransitPortReservation.objects.select_related("pool__site")
        ),
    ]


def allocation_assignment(allocation: CapacityAllocation) -> list[dict[str, object]]:
    """What an allocation holds, resource by resource, in words an engineer reads.

    Reads the allocation's reservations through ``assignment_prefetches`` when loaded so.
    """
    rows: list[dict[str, object]] = []
    for row in sorted(allocation.spectrum.all(), key=lambda r: r.pk):
        rows.append(
            {
                "resource": str(row.fiber_pair),
                "unit": "12.5 GHz slots",
                "start": row.start,
                "end": row.end,
                "detail": f"{slot_start_thz(row.start)} to {slot_start_thz(row.end)} THz",
            }
        )
    for row in allocation.lit_capacity.all():
        rows.append(
            {
                "resource": str(row.carrier),
                "unit": "tributary slots",
                "start": row.start,
                "end": row.end,
                "detail": f"{row.units.width} x 1.25 Gbit/s",
            }
        )
    for row in allocation.transit_ports.all():
        rows.append(
            {
                "resource": str(row.pool),
                "unit": "ports",
                "start": row.start,
                "end": row.end,
                "detail": f"port {row.start + 1}" if row.units.width == 1 else "",
            }
        )
    return rows


def assignment_in_words(row: dict[str, object]) -> str:
    """One row of ``allocation_assignment`` as an engineer says it: the units held, ends
    included ("12.5 GHz slots 4 to 7", "port 2"), and what they are."""
    start, end = int(row["start"]), int(row["end"])
    if row["unit"] == "ports":  # stored from 0; a pool's ports are numbered from 1
        held = f"port {start + 1}" if end - start == 1 else f"ports {start + 1} to {end}"
        return f"{held} of the pool"
    unit = str(row["unit"])
    held = f"{unit} {start} to {end - 1}" if end - start > 1 else f"{unit[:-1]} {start}"
    return f"{held}: {row['detail']}" if row["detail"] else held


def sees_internal_notes(actor: Actor | None) -> bool:
    """Operators' staff and platform admins read every note of an order's history; a customer
    only the notes written for it (``NoteVisibility.CUSTOMER``)."""
    return has_capability(actor, Capability.VIEW_INTERNAL)


def order_history(actor: Actor | None) -> Prefetch:
    """An order's steps, oldest first, as ``actor`` may read them: each with ``shown_note``,
    its note, or "" for an internal note and a customer. Pages, the API and anything else
    showing a history to someone read ``shown_note``, never ``note``."""
    from .models import OrderTransition

    shown: Any = F("note")
    if not sees_internal_notes(actor):
        shown = Case(
            When(note_visibility=NoteVisibility.CUSTOMER, then=F("note")),
            default=Value(""),
            output_field=TextField(),
        )
    steps = OrderTransition.objects.annotate(shown_note=shown).order_by("at", "pk")
    return Prefetch("transitions", queryset=steps)


def orders_with_terms() -> QuerySet:
    """Orders with their customer, billing party, quote terms, service and capacity."""
    from .models import Order

    return Order.objects.select_related(
        "customer",
        "billing_party",
        "quote__product",
        "quote__path",
        "quote__site",
        "service",
        "allocation",
    )


# Planned maintenance and outages: which services they affect, and who sees them. A service runs
# from midnight (UTC) of ``activated_on`` to midnight of ``terminated_on`` (the first day without
# it); it is affected by work on a segment of its path at a moment it runs (or will run).

_FAR_FUTURE = datetime.datetime(9999, 12, 31, tzinfo=datetime.UTC)


def _running_during(start: datetime.datetime, end: datetime.datetime, prefix: str = "") -> Q:
    """Services that run at some moment of [start, end)."""
    last_day = (end - datetime.timedelta(microseconds=1)).astimezone(datetime.UTC).date()
    first_day = start.astimezone(datetime.UTC).date()
    return Q(**{f"{prefix}activated_on__lte": last_day}) & (
        Q(**{f"{prefix}terminated_on__isnull": True})
        | Q(**{f"{prefix}terminated_on__gt": first_day})
    )


def runs_during(service: Any, start: datetime.datetime, end: datetime.datetime | None) -> bool:
    """``_running_during`` for one service's dates (``end`` None: still open)."""
    end = end or _FAR_FUTURE
    begins = datetime.datetime.combine(service.activated_on, datetime.time(), datetime.UTC)
    if begins >= end:
        return False
    if service.terminated_on is None:
        return True
    return datetime.datetime.combine(service.terminated_on, datetime.time(), datetime.UTC) > start


def services_running_on(
    segments: Any, start: datetime.datetime, end: datetime.datetime | None
) -> QuerySet:
    """The services whose path uses one of ``segments`` (ids, or a queryset of segments) and
    which run at some moment of [start, end) (``end`` None: an outage that lasts, until now),
    with their customers, by circuit ID. One query."""
    from django.utils import timezone

    from .models import Service

    return (
        Service.objects.filter(path__path_segments__segment__in=segments)
        .filter(_running_during(start, end or timezone.now()))
        .select_related("customer")
        .distinct()
        .order_by("circuit_id")
    )


def affected_services(maintenance: Any) -> QuerySet:
    """The services whose path uses a segment of ``maintenance`` and which run (or will) during
    its window, with their customers."""
    return services_running_on(
        maintenance.segments.all(), maintenance.window_start, maintenance.window_end
    )


def _organisation_services_on(organisation: Organisation, segment_ref: str) -> QuerySet:
    from .models import Service

    return Service.objects.filter(customer=organisation, path__path_segments__segment=segment_ref)


def maintenance_visible_to_organisation(organisation: Organisation) -> QuerySet:
    """What an organisation is shown of planned maintenance: a customer, the maintenance that
    affects one of its services; an operator's staff, that on segments it holds or held a
    share of."""
    from django.db.models import Exists, OuterRef

    from .models import Maintenance, Service

    if organisation.is_operator:
        return Maintenance.objects.filter(
            pk__in=Maintenance.objects.filter(segments__in=Segment.ever_owned_by(organisation))
        )
    affected = Service.objects.filter(
        customer=organisation,
        path__path_segments__segment__maintenances=OuterRef("pk"),
        activated_on__lt=OuterRef("window_end"),
    ).filter(Q(terminated_on__isnull=True) | Q(terminated_on__gt=OuterRef("window_start")))
    return Maintenance.objects.filter(Exists(affected))


def outages_visible_to_organisation(organisation: Organisation) -> QuerySet:
    """The outages an organisation is shown: a customer, those on a segment of one of its
    services' paths while the service ran; an operator, those on segments it holds or held."""
    from django.db.models import Exists, OuterRef, Value
    from django.db.models.functions import Coalesce

    from .models import Outage, Service

    if organisation.is_operator:
        return Outage.objects.filter(segment__in=Segment.ever_owned_by(organisation))
    far = Value(_FAR_FUTURE)
    affected = Service.objects.filter(
        customer=organisation,
        path__path_segments__segment=OuterRef("segment"),
        activated_on__lt=Coalesce(OuterRef("ended_at"), far),
    ).filter(Q(terminated_on__isnull=True) | Q(terminated_on__gt=OuterRef("started_at")))
    return Outage.objects.filter(Exists(affected))


def maintenance_for(actor: Actor | None) -> QuerySet:
    """The maintenance ``actor`` may see (``maintenance_visible_to_organisation``; platform
    admins all of it), with its segments."""
    from organisations.access import is_platform_admin

    from .models import Maintenance

    if is_platform_admin(actor):
        queryset = Maintenance.objects.all()
    elif not has_capability(actor, Capability.VIEW_OWN_SERVICES) or actor.organisation is None:
        queryset = Maintenance.objects.none()
    else:
        queryset = maintenance_visible_to_organisation(actor.organisation)
    return queryset.prefetch_related(
        Prefetch("segments", queryset=Segment.objects.order_by("code"))
    )


def outages_for(actor: Actor | None) -> QuerySet:
    """The outages ``actor`` may see (``outages_visible_to_organisation``), with the segment."""
    from organisations.access import is_platform_admin

    from .models import Outage

    if is_platform_admin(actor):
        queryset = Outage.objects.all()
    elif not has_capability(actor, Capability.VIEW_OWN_SERVICES) or actor.organisation is None:
        queryset = Outage.objects.none()
    else:
        queryset = outages_visible_to_organisation(actor.organisation)
    return queryset.select_related("segment")


def affected_circuits(
    maintenances: list[Any], organisation: Organisation | None = None
) -> dict[int, list[str]]:
    """Per maintenance, the circuit IDs of the services it affects (only ``organisation``'s
    when given: a customer never reads another's), in one query."""
    from .models import Service

    found: dict[int, set[str]] = {m.pk: set() for m in maintenances}
    if not maintenances:
        return {}
    by_pk = {m.pk: m for m in maintenances}
    rows = Service.objects.filter(path__path_segments__segment__maintenances__in=list(by_pk))
    if organisation is not None:
        rows = rows.filter(customer=organisation)
    for maintenance_id, circuit_id, activated_on, terminated_on in rows.values_list(
        "path__path_segments__segment__maintenances", "circuit_id", "activated_on", "terminated_on"
    ):
        m = by_pk[maintenance_id]
        service = _Dates(activated_on, terminated_on)
        if runs_during(service, m.window_start, m.window_end):
            found[maintenance_id].add(circuit_id)
    return {pk: sorted(ids) for pk, ids in found.items()}


def outage_circuits(
    outages: list[Any], organisation: Organisation | None = None
) -> dict[int, list[str]]:
    """Per outage, the circuit IDs of the services it hit (only ``organisation``'s when
    given), in one query."""
    from .models import Service

    if not outages:
        return {}
    segments = {o.segment_id for o in outages}
    rows = Service.objects.filter(path__path_segments__segment__in=segments)
    if organisation is not None:
        rows = rows.filter(customer=organisation)
    on_segment: dict[int, list[tuple[str, _Dates]]] = {}
    for segment_id, circuit_id, activated_on, terminated_on in rows.values_list(
        "path__path_segments__segment", "circuit_id", "activated_on", "terminated_on"
    ):
        on_segment.setdefault(segment_id, []).append(
            (circuit_id, _Dates(activated_on, terminated_on))
        )
    return {
        o.pk: sorted(
            {
                circuit
                for circuit, dates in on_segment.get(o.segment_id, [])
                if runs_during(dates, o.started_at, o.ended_at)
            }
        )
        for o in outages
    }


@dataclass(frozen=True)
class _Dates:
    activated_on: datetime.date
    terminated_on: datetime.date | None


def tickets_for(actor: Actor | None) -> QuerySet:
    """The trouble tickets ``actor`` sees (its customer's; an operator's network and finance
    staff those of services whose route it owns a share of today), with what lists show."""
    from .models import TroubleTicket

    queryset = TroubleTicket.objects.select_related(
        "service__product", "service__path", "service__site", "customer", "outage__segment"
    )
    return visible_to(queryset, actor)


def ticket_history(actor: Actor | None) -> Prefetch:
    """A ticket's steps, oldest first, as ``actor`` may read them: a customer never sees an
    internal note (its step, a note alone, is left out; a status change shows without it), as
    ``shown_note``."""
    from .models import TicketChange

    steps = TicketChange.objects.order_by("at", "pk")
    shown: Any = F("note")
    if not sees_internal_notes(actor):
        shown = Case(
            When(note_visibility=NoteVisibility.CUSTOMER, then=F("note")),
            default=Value(""),
            output_field=TextField(),
        )
        steps = steps.exclude(
            Q(note_visibility=NoteVisibility.INTERNAL) & Q(from_status=F("to_status"))
        )
    return Prefetch("changes", queryset=steps.annotate(shown_note=shown))
