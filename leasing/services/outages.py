"""Outages on segments, recorded, ended and corrected by the network staff of an operator that
owns a share of the segment (or a platform admin); monthly availability and SLA credits are
computed from them. Every change leaves an ``OutageChange`` row: who, when, from what to what,
and why (a correction needs a reason)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from events.choices import EventType
from organisations.access import Actor, describe_actor, has_capability, is_platform_admin
from organisations.choices import Capability
from tcfo_portal.exceptions import DomainError

from ..choices import OutageAction
from ..events import outage_changed
from ..exceptions import NotPermitted
from ..models import Outage, OutageChange, Segment

DESCRIPTION_MAX = 300
REASON_MAX = 300


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def share_day(moment: datetime.datetime) -> datetime.date:
    """The day whose segment shares decide who acts on an outage: the UTC date of its start,
    however the time was typed (as for planned maintenance)."""
    return moment.astimezone(datetime.UTC).date()


def outage_segments(actor: Actor | None, on: datetime.date | None = None) -> QuerySet[Segment]:
    """The segments ``actor`` records and changes outages of, for outages starting on ``on``
    (default: ``share_day`` of now), in code order: every segment for platform admins; for
    network staff, those their operator holds a share of that day; none for anyone else. What
    the portal's form offers, and the rule ``may_act_on`` checks."""
    on = on or share_day(timezone.now())
    segments = Segment.objects.order_by("code")
    if is_platform_admin(actor):
        return segments
    operator = getattr(actor, "organisation", None)
    if (
        not has_capability(actor, Capability.MANAGE_INVENTORY)
        or operator is None
        or not operator.is_operator
    ):
        return segments.none()
    return segments.filter(pk__in=Segment.owned_by(operator, on))


def may_act_on(actor: Actor | None, segment: Segment, on: datetime.date) -> bool:
    """May ``actor`` record or change outages of ``segment`` that start on ``on``
    (``outage_segments``' rule)?"""
    return outage_segments(actor, on).filter(pk=segment.pk).exists()


def _refuse_unless_may_act(actor: Actor | None, segment: Segment, on: datetime.date) -> None:
    if not may_act_on(actor, segment, on):
        who = getattr(actor, "organisation", None) or "You"
        raise NotPermitted(
            f"{who} holds no share of {segment.code} on {on}: its owners record its outages."
        )


def _check_times(
    started_at: datetime.datetime, ended_at: datetime.datetime | None
) -> dict[str, list[str]]:
    """The errors of an outage's times: no start or end in the future, no end before start."""
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if started_at > now:
        errors["started_at"] = ["An outage is recorded once it has started."]
    if ended_at is not None:
        if ended_at > now:
            errors["ended_at"] = ["An outage is ended once it has ended: not in the future."]
        elif ended_at <= started_at:
            errors["ended_at"] = ["An outage ends after it starts."]
    return errors


@transaction.atomic
def record_outage(
    *,
    segment: Segment,
    started_at: datetime.datetime,
    ended_at: datetime.datetime | None,
    description: str,
    actor: Actor | None,
) -> Outage:
    """Record that ``segment`` carried nothing from ``started_at`` to ``ended_at`` (open while
    it lasts). ``actor`` must be allowed on the segment on the start's date (``may_act_on``);
    neither time may lie in the future and the end comes after the start. Raises
    ``NotPermitted`` (403) or ``DomainError`` with field errors."""
    _refuse_unless_may_act(actor, segment, share_day(started_at))
    errors = _check_times(started_at, ended_at)
    if not description.strip():
        errors["description"] = ["Say what happened."]
    if errors:
        raise DomainError("The outage is not valid.", errors=errors)
    by = describe_actor(actor)
    outage = Outage.objects.create(
        segment=segment,
        started_at=started_at,
        ended_at=ended_at,
        description=description.strip()[:DESCRIPTION_MAX],
        recorded_by=by,
    )
    OutageChange.objects.create(
        outage=outage,
        action=OutageAction.RECORDED,
        changes={
            "started_at": [None, _iso(started_at)],
            "ended_at": [None, _iso(ended_at)],
            "description": [None, outage.description],
        },
        by=by,
    )
    outage_changed(outage, EventType.OUTAGE_STARTED)
    if outage.ended_at is not None:  # recorded after the fact: it has ended too
        outage_changed(outage, EventType.OUTAGE_ENDED)
    return outage


@transaction.atomic
def end_outage(*, outage: Outage, ended_at: datetime.datetime, actor: Actor | None) -> Outage:
    """Close an open outage at ``ended_at`` (after its start, not in the future).

    Refuses an outage that has ended already (correct it instead) with a ``DomainError``.
    """
    outage = Outage.objects.select_for_update().select_related("segment").get(pk=outage.pk)
    _refuse_unless_may_act(actor, outage.segment, share_day(outage.started_at))
    if outage.ended_at is not None:
        raise DomainError(
            f"This outage ended at {outage.ended_at:%Y-%m-%d %H:%M} already: correct it instead.",
            errors={"ended_at": ["The outage has ended already."]},
        )
    errors = _check_times(outage.started_at, ended_at)
    if errors:
        raise DomainError("The end is not valid.", errors={"ended_at": errors["ended_at"]})
    outage.ended_at = ended_at
    outage.save(update_fields=["ended_at"])
    OutageChange.objects.create(
        outage=outage,
        action=OutageAction.ENDED,
        changes={"ended_at": [None, _iso(ended_at)]},
        by=describe_actor(actor),
    )
    outage_changed(outage, EventType.OUTAGE_ENDED)
    return outage


_UNSET: Any = object()


@transaction.atomic
def correct_outage(
    *,
    outage: Outage,
    reason: str,
    actor: Actor | None,
    started_at: datetime.datetime = _UNSET,
    ended_at: datetime.datetime | None = _UNSET,
    description: str = _UNSET,
) -> Outage:
    """Change an outage's start, end (``None`` reopens it) and/or description, saying why.

    Only the fields given change. The actor must be allowed on the segment on both the old and
    the new start's date; times follow the rules of ``record_outage``. Writes one history row
    with each changed field's before and after; a correction that changes nothing is refused.
    """
    outage = Outage.objects.select_for_update().select_related("segment").get(pk=outage.pk)
    _refuse_unless_may_act(actor, outage.segment, share_day(outage.started_at))
    new_start = outage.started_at if started_at is _UNSET else started_at
    new_end = outage.ended_at if ended_at is _UNSET else ended_at
    new_description = (
        outage.description
        if description is _UNSET
        else (description or "").strip()[:DESCRIPTION_MAX]
    )
    if share_day(new_start) != share_day(outage.started_at):
        _refuse_unless_may_act(actor, outage.segment, share_day(new_start))
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = ["Say why the outage is corrected."]
    if not new_description:
        errors["description"] = ["Say what happened."]
    # Only times that change are checked against now: an unchanged end stays valid.
    times = _check_times(new_start, new_end)
    if started_at is _UNSET:
        times.pop("started_at", None)
    if ended_at is _UNSET and started_at is _UNSET:
        times.pop("ended_at", None)
    errors.update(times)
    if errors:
        raise DomainError("The correction is not valid.", errors=errors)
    before = {
        "started_at": outage.started_at,
        "ended_at": outage.ended_at,
        "description": outage.description,
    }
    after = {"started_at": new_start, "ended_at": new_end, "description": new_description}
    changes = {
        field: [_iso(before[field]), _iso(after[field])]
        for field in before
        if before[field] != after[field]
    }
    if not changes:
        raise DomainError("The correction changes nothing.")
    outage.started_at, outage.ended_at, outage.description = new_start, new_end, new_description
    outage.save(update_fields=["started_at", "ended_at", "description"])
    OutageChange.objects.create(
        outage=outage,
        action=OutageAction.CORRECTED,
        changes=changes,
        reason=reason.strip()[:REASON_MAX],
        by=describe_actor(actor),
    )
    outage_changed(
        outage,
        EventType.OUTAGE_CORRECTED,
        also_from=before["started_at"],
        also_until=before["ended_at"],
        still_open_before=before["ended_at"] is None,
    )
    return outage
