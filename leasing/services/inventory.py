"""Changes to the network inventory that need more than one row to stay true."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction

from organisations.models import Organisation

from ..models import OwnershipShare, Path, PathSegment, Segment, SegmentOwnership


def validate_shares(shares: Mapping[Organisation, Decimal]) -> dict[Organisation, Decimal]:
    """Shares of operators, each above 0 and at most 100, summing to exactly 100."""
    if not shares:
        raise ValidationError({"shares": "Give at least one operator's share."})
    clean: dict[Organisation, Decimal] = {}
    for operator, raw in shares.items():
        if not operator.is_operator:
            raise ValidationError({"shares": f"{operator} is not a consortium operator."})
        try:
            percent = Decimal(str(raw))
        except InvalidOperation:
            raise ValidationError({"shares": f"“{raw}” is not a percentage."}) from None
        if not percent.is_finite() or not Decimal(0) < percent <= Decimal(100):
            raise ValidationError(
                {"shares": f"{operator}'s share must be above 0 and at most 100."}
            )
        if percent != percent.quantize(Decimal("0.001")):
            raise ValidationError({"shares": f"{operator}'s share has more than 3 decimals."})
        clean[operator] = percent
    total = sum(clean.values(), Decimal(0))
    if total != 100:
        raise ValidationError({"shares": f"The shares sum to {total.normalize():f}%, not 100%."})
    return clean


@transaction.atomic
def set_segment_ownership(
    *,
    segment: Segment,
    valid_from: datetime.date,
    shares: Mapping[Organisation, Decimal],
    note: str = "",
) -> SegmentOwnership:
    """Record who owns ``segment`` from ``valid_from`` on (until a later ownership).

    Replaces an ownership starting on the same date. Shares must sum to exactly 100%.
    """
    clean = validate_shares(shares)
    SegmentOwnership.objects.filter(segment=segment, valid_from=valid_from).delete()
    ownership = SegmentOwnership.objects.create(segment=segment, valid_from=valid_from, note=note)
    OwnershipShare.objects.bulk_create(
        OwnershipShare(ownership=ownership, operator=operator, percent=percent)
        for operator, percent in clean.items()
    )
    return ownership


def validate_chain(a_site_id: int, z_site_id: int, segments: Sequence[Segment]) -> None:
    """The segments lead from site A to site Z, each starting where the previous one ended."""
    if not segments:
        raise ValidationError({"segments": "A path needs at least one segment."})
    if len({segment.pk for segment in segments}) != len(segments):
        raise ValidationError({"segments": "A path uses each segment once."})
    here = a_site_id
    for position, segment in enumerate(segments, start=1):
        if here not in segment.ends():
            raise ValidationError(
                {"segments": f"Segment {position} ({segment.code}) does not continue the path."}
            )
        here = segment.z_site_id if segment.a_site_id == here else segment.a_site_id
    if here != z_site_id:
        raise ValidationError({"segments": "The last segment does not end at the path's Z site."})


@transaction.atomic
def set_path_segments(*, path: Path, segments: Sequence[Segment]) -> Path:
    """Make ``segments`` (in order) the chain of ``path``."""
    validate_chain(path.a_site_id, path.z_site_id, segments)
    path.path_segments.all().delete()
    PathSegment.objects.bulk_create(
        PathSegment(path=path, segment=segment, position=position)
        for position, segment in enumerate(segments, start=1)
    )
    return path
