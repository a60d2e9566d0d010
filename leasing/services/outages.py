"""Outages on segments, recorded by the network staff of an operator that owns a share of the
segment (or a platform admin); monthly availability and SLA credits are computed from them."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from organisations.models import Organisation
from tcfo_portal.exceptions import DomainError

from ..models import Outage, Segment


@transaction.atomic
def record_outage(
    *,
    segment: Segment,
    started_at: datetime.datetime,
    ended_at: datetime.datetime | None,
    description: str,
    operator: Organisation | None,
    by: str,
) -> Outage:
    """Record that ``segment`` carried nothing from ``started_at`` to ``ended_at`` (open while
    it lasts). ``operator`` is the recorder's organisation, ``None`` for a platform admin."""
    errors: dict[str, list[str]] = {}
    if operator is not None and segment.pk not in Segment.owned_by(operator, started_at.date()):
        raise DomainError(
            f"{operator} holds no share of {segment.code}: its owners record its outages."
        )
    if started_at > timezone.now():
        errors["started_at"] = ["An outage is recorded once it has started."]
    if ended_at is not None and ended_at <= started_at:
        errors["ended_at"] = ["An outage ends after it starts."]
    if not description.strip():
        errors["description"] = ["Say what happened."]
    if errors:
        raise DomainError("The outage is not valid.", errors=errors)
    return Outage.objects.create(
        segment=segment,
        started_at=started_at,
        ended_at=ended_at,
        description=description.strip()[:300],
        recorded_by=by,
    )


@transaction.atomic
def end_outage(*, outage: Outage, ended_at: datetime.datetime, by: str) -> Outage:
    """Close an open outage."""
    outage = Outage.objects.select_for_update().get(pk=outage.pk)
    if outage.ended_at is not None:
        raise DomainError(f"This outage ended at {outage.ended_at:%Y-%m-%d %H:%M} already.")
    if ended_at <= outage.started_at:
        raise DomainError(
            "An outage ends after it starts.", errors={"ended_at": ["After the start."]}
        )
    outage.ended_at = ended_at
    outage.save(update_fields=["ended_at"])
    return outage
