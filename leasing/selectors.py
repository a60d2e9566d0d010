"""Reads of the network and catalog that more than one view or service needs."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from organisations.models import Organisation

from .models import OwnershipShare, Path, PathSegment, Price, Product, Segment, SegmentOwnership


def ownership_on(segment: Segment, on: datetime.date) -> dict[Organisation, Decimal]:
    """Each operator's percentage of ``segment`` on ``on``; empty before its first ownership.

    Uses ``segment.ownerships`` prefetched with their shares (``paths_with_segments``) if present.
    """
    candidates = [o for o in segment.ownerships.all() if o.valid_from <= on]
    if not candidates:
        return {}
    current = max(candidates, key=lambda o: o.valid_from)
    return {share.operator: share.percent for share in current.shares.all()}


def path_operator_shares(segments: list[Segment], on: datetime.date) -> dict[Organisation, Decimal]:
    """An operator's share of a path: sum(weight x ownership) / sum(weight), as fractions of 1.

    Segments without an ownership on ``on`` are left out of both sums.
    """
    weighted: dict[Organisation, Decimal] = {}
    total_weight = Decimal(0)
    for segment in segments:
        owners = ownership_on(segment, on)
        if not owners:
            continue
        total_weight += segment.weight
        for operator, percent in owners.items():
            weighted[operator] = weighted.get(operator, Decimal(0)) + segment.weight * percent / 100
    if not total_weight:
        return {}
    return {operator: value / total_weight for operator, value in weighted.items()}


def segments_with_ownership() -> QuerySet[Segment]:
    shares = OwnershipShare.objects.select_related("operator")
    return Segment.objects.select_related("a_site", "z_site").prefetch_related(
        Prefetch(
            "ownerships",
            queryset=SegmentOwnership.objects.prefetch_related(Prefetch("shares", queryset=shares)),
        )
    )


def paths_with_segments() -> QuerySet[Path]:
    """Paths with their sites, ordered segments and the segments' ownerships, in 4 queries."""
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
