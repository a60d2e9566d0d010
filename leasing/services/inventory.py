"""Changes to the network inventory that need more than one row to stay true."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from audit.services import log_created
from organisations.access import Actor, is_platform_admin
from organisations.models import Organisation
from tcfo_portal.exceptions import Conflict, InvalidInput

from ..exceptions import NotPermitted
from ..models import (
    EARLIEST,
    LitCarrier,
    LitCarrierOperator,
    OwnershipShare,
    Path,
    PathSegment,
    Segment,
    SegmentOwnership,
    SegmentWeight,
    Service,
    Site,
    SiteOwnership,
)


def validate_shares(shares: Mapping[Organisation, Decimal]) -> dict[Organisation, Decimal]:
    """Shares of operators, each above 0 and at most 100, summing to exactly 100;
    ``InvalidInput`` on ``shares`` otherwise."""
    if not shares:
        raise InvalidInput("shares", "Give at least one operator's share.")
    clean: dict[Organisation, Decimal] = {}
    for operator, raw in shares.items():
        if not operator.is_operator:
            raise InvalidInput("shares", f"{operator} is not a consortium operator.")
        try:
            percent = Decimal(str(raw))
        except InvalidOperation:
            raise InvalidInput("shares", f"“{raw}” is not a percentage.") from None
        if not percent.is_finite() or not Decimal(0) < percent <= Decimal(100):
            raise InvalidInput("shares", f"{operator}'s share must be above 0 and at most 100.")
        if percent != percent.quantize(Decimal("0.001")):
            raise InvalidInput("shares", f"{operator}'s share has more than 3 decimals.")
        clean[operator] = percent
    total = sum(clean.values(), Decimal(0))
    if total != 100:
        raise InvalidInput("shares", f"The shares sum to {total.normalize():f}%, not 100%.")
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
    shares = OwnershipShare.objects.bulk_create(
        OwnershipShare(ownership=ownership, operator=operator, percent=percent)
        for operator, percent in clean.items()
    )
    log_created(shares)
    return ownership


def validate_chain(a_site_id: int, z_site_id: int, segments: Sequence[Segment]) -> None:
    """The segments lead from site A to site Z, each starting where the previous one ended;
    ``InvalidInput`` on ``segments`` otherwise."""
    if not segments:
        raise InvalidInput("segments", "A path needs at least one segment.")
    if len({segment.pk for segment in segments}) != len(segments):
        raise InvalidInput("segments", "A path uses each segment once.")
    here = a_site_id
    for position, segment in enumerate(segments, start=1):
        if here not in segment.ends():
            raise InvalidInput(
                "segments", f"Segment {position} ({segment.code}) does not continue the path."
            )
        here = segment.z_site_id if segment.a_site_id == here else segment.a_site_id
    if here != z_site_id:
        raise InvalidInput("segments", "The last segment does not end at the path's Z site.")


def refuse_chain_change(*, path: Path, segments: Sequence[Segment], actor: Actor | None) -> bool:
    """Whether ``segments`` change the chain of an existing ``path``; raises if they may not.

    A new path (no chain yet) takes any valid chain. Changing a chain moves every operator's
    share of the path's revenue, so only platform admins may (``NotPermitted``, 403), and never
    for a path that has carried a service, in any status (``Conflict``, 409): its invoices and
    settlements were split by that chain; create a new path instead.
    """
    current = list(
        PathSegment.objects.filter(path=path)
        .order_by("position")
        .values_list("segment_id", flat=True)
    )
    if not current or current == [segment.pk for segment in segments]:
        return False
    if not is_platform_admin(actor):
        raise NotPermitted(
            f"The segments of {path.code} are consortium data: only platform admins change them.",
            errors={"segment_codes": ["Only platform admins change a path's segments."]},
        )
    if Service.objects.filter(path=path).exists():
        raise Conflict(
            f"{path.code} has carried services: its segments stay as they are; "
            "create a new path instead.",
            errors={"segment_codes": ["The path has carried services: create a new path."]},
        )
    return True


@transaction.atomic
def set_path_segments(
    *, path: Path, segments: Sequence[Segment], actor: Actor | None = None
) -> Path:
    """Make ``segments`` (in order) the chain of ``path``.

    Setting the chain of a new path is open to whoever may create it; changing an existing
    chain is refused as ``refuse_chain_change`` says (``actor`` ``None`` is the platform
    itself: demo data and management commands).
    """
    validate_chain(path.a_site_id, path.z_site_id, segments)
    path = Path.objects.select_for_update().get(pk=path.pk)
    if actor is not None:
        changes = refuse_chain_change(path=path, segments=segments, actor=actor)
        if not changes and path.path_segments.exists():
            return path
    path.path_segments.all().delete()
    chain = PathSegment.objects.bulk_create(
        PathSegment(path=path, segment=segment, position=position)
        for position, segment in enumerate(segments, start=1)
    )
    log_created(chain)
    return path


def _seed_history(model: type, lookup: dict, value: dict) -> None:
    """Before the first dated row of an object, record today's value as in force since ever,
    so a change from a later date leaves the days before it as they were."""
    if not model.objects.filter(**lookup).exists():
        model.objects.create(**lookup, **value, valid_from=EARLIEST)


@transaction.atomic
def set_site_owner(
    *, site: Site, operator: Organisation, valid_from: datetime.date
) -> SiteOwnership:
    """Record that ``operator`` owns ``site`` from ``valid_from`` (replacing an owner from that
    same date); ``Site.operator`` follows the owner in force today."""
    if not operator.is_operator:
        raise InvalidInput("operator", f"{operator} is not a consortium operator.")
    site = Site.objects.select_for_update().get(pk=site.pk)
    _seed_history(SiteOwnership, {"site": site}, {"operator_id": site.operator_id})
    row, _ = SiteOwnership.objects.update_or_create(
        site=site, valid_from=valid_from, defaults={"operator": operator}
    )
    today = SiteOwnership.objects.filter(site=site, valid_from__lte=timezone.localdate())
    current = today.order_by("-valid_from").values_list("operator_id", flat=True).first()
    if current is not None and current != site.operator_id:
        site.operator_id = current
        site.save(update_fields=["operator"])  # a save, so the audit log records it
    return row


@transaction.atomic
def set_segment_weight(
    *, segment: Segment, weight: Decimal, valid_from: datetime.date, note: str = ""
) -> SegmentWeight:
    """Record the settlement weight of ``segment`` from ``valid_from`` (replacing one from that
    same date); ``Segment.settlement_weight`` follows the weight in force today."""
    if weight <= 0:
        raise InvalidInput("weight", "A weight is above zero.")
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    _seed_history(SegmentWeight, {"segment": segment}, {"weight": segment.weight})
    row, _ = SegmentWeight.objects.update_or_create(
        segment=segment, valid_from=valid_from, defaults={"weight": weight, "note": note}
    )
    today = SegmentWeight.objects.filter(segment=segment, valid_from__lte=timezone.localdate())
    current = today.order_by("-valid_from").values_list("weight", flat=True).first()
    if current is not None and current != segment.settlement_weight:
        segment.settlement_weight = current
        segment.save(update_fields=["settlement_weight"])  # a save, so the audit log records it
    return row


@transaction.atomic
def set_carrier_operator(
    *, carrier: LitCarrier, operator: Organisation, valid_from: datetime.date
) -> LitCarrierOperator:
    """Record that ``operator`` runs ``carrier`` from ``valid_from``; ``LitCarrier.operator``
    follows the operator in force today."""
    if not operator.is_operator:
        raise InvalidInput("operator", f"{operator} is not a consortium operator.")
    carrier = LitCarrier.objects.select_for_update().get(pk=carrier.pk)
    _seed_history(LitCarrierOperator, {"carrier": carrier}, {"operator_id": carrier.operator_id})
    row, _ = LitCarrierOperator.objects.update_or_create(
        carrier=carrier, valid_from=valid_from, defaults={"operator": operator}
    )
    today = LitCarrierOperator.objects.filter(carrier=carrier, valid_from__lte=timezone.localdate())
    current = today.order_by("-valid_from").values_list("operator_id", flat=True).first()
    if current is not None and current != carrier.operator_id:
        carrier.operator_id = current
        carrier.save(update_fields=["operator"])  # a save, so the audit log records it
    return row
