"""Planned maintenance on segments: scheduled, updated, cancelled, started and completed by the
network staff of operators holding a share of every segment it touches (or a platform admin).

Customers of every affected service (``leasing.selectors.affected_services``) are told by
e-mail and by an event (one per organisation, naming only its own circuits) when it is
scheduled, changed, cancelled, a day before (``send_reminders``, once), when it starts (at
``window_start`` by ``start_due``, or earlier by staff) and when it is completed. Every step
leaves a ``MaintenanceChange``: who, when, what changed and why.

Times are aware datetimes: a naive one is refused (the forms and the API take an explicit
offset or zone; nothing is silently read as UTC).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from events.choices import EventType
from events.services.outbox import record_event, utc_iso
from organisations.access import Actor, describe_actor, has_capability, is_platform_admin
from organisations.choices import Capability
from organisations.models import Organisation
from tcfo_portal.exceptions import DomainError, InvalidInput

from .. import maintenance_lifecycle as lifecycle
from ..choices import MaintenanceAction, MaintenanceImpact, MaintenanceStatus
from ..exceptions import NotPermitted
from ..models import Maintenance, Segment
from ..models.maintenance import REASON_MAX, announced_spans_after, stored_spans
from ..notifications import notify_maintenance
from ..selectors import affected_services
from .outages import may_act_on, share_day

REMINDER_BEFORE = datetime.timedelta(days=1)
_UNSET: Any = object()

EVENT_OF: dict[str, EventType] = {
    "scheduled": EventType.MAINTENANCE_SCHEDULED,
    "updated": EventType.MAINTENANCE_UPDATED,
    "cancelled": EventType.MAINTENANCE_CANCELLED,
    "reminder": EventType.MAINTENANCE_REMINDER,
    "started": EventType.MAINTENANCE_STARTED,
    "completed": EventType.MAINTENANCE_COMPLETED,
}


def max_window() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.TCFO_MAINTENANCE_MAX_HOURS)


def may_act(actor: Actor | None, segments: Iterable[Segment], on: datetime.date) -> bool:
    """May ``actor`` plan work on all of ``segments`` on ``on`` (``share_day`` of the window's
    start)? Platform admins always; network staff of an operator holding a share of every one
    of them that day."""
    segments = list(segments)
    return bool(segments) and all(may_act_on(actor, segment, on) for segment in segments)


def plannable_segments(actor: Actor | None, on: datetime.date | None = None) -> QuerySet[Segment]:
    """The segments ``actor`` may plan work on on ``on`` (default: ``share_day`` of now), by
    ``may_act``'s rule: every segment for platform admins; for network staff, those their
    operator holds a share of that day; none for anyone else. What the portal's form offers;
    ``schedule_maintenance`` still checks the window's own day."""
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


def _refuse_unless_may_act(
    actor: Actor | None, segments: Iterable[Segment], on: datetime.date
) -> None:
    for segment in segments:
        if not may_act_on(actor, segment, on):
            who = getattr(actor, "organisation", None) or "You"
            raise NotPermitted(
                f"{who} holds no share of {segment.code} on {on}: its owners plan work on it."
            )


def _aware(value: datetime.datetime, field: str) -> datetime.datetime:
    if timezone.is_naive(value):
        raise InvalidInput(
            field, "Give the time with its offset or zone (e.g. 2026-12-01T02:00:00+04:00)."
        )
    return value


def _window_errors(
    start: datetime.datetime,
    end: datetime.datetime,
    *,
    now: datetime.datetime,
    start_changes: bool = True,
) -> dict[str, list[str]]:
    """The errors of a window: a start in the future (when it is set), the end after the start
    and in the future, at most ``TCFO_MAINTENANCE_MAX_HOURS`` long."""
    errors: dict[str, list[str]] = {}
    if start_changes and start <= now:
        errors["window_start"] = ["Planned work starts in the future."]
    if end <= start:
        errors["window_end"] = ["The window ends after it starts."]
    elif end <= now:
        errors["window_end"] = ["The window ends in the future."]
    elif end - start > max_window():
        hours = settings.TCFO_MAINTENANCE_MAX_HOURS
        errors["window_end"] = [f"A maintenance window is at most {hours} hours long."]
    return errors


def _clean_reason(reason: str, errors: dict[str, list[str]]) -> str:
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["Say what work is done."]
    return reason[:REASON_MAX]


def _clean_impact(impact: str, errors: dict[str, list[str]]) -> str:
    if impact not in MaintenanceImpact.values:
        errors["impact"] = [f"Choose one of {', '.join(MaintenanceImpact.values)}."]
    return impact


def maintenance_data(maintenance: Maintenance, circuit_ids: list[str]) -> dict[str, Any]:
    """A maintenance as an event carries it: the API's field names, only ``circuit_ids`` of the
    organisation told."""
    return {
        "id": maintenance.pk,
        "reference": maintenance.reference,
        "status": maintenance.status,
        "impact": maintenance.impact,
        "reason": maintenance.reason,
        "window_start": utc_iso(maintenance.window_start),
        "window_end": utc_iso(maintenance.window_end),
        "segments": sorted(s.code for s in maintenance.segments.all()),
        "circuit_ids": circuit_ids,
        "sequence": maintenance.sequence,
        "announced_at": utc_iso(maintenance.announced_at),
        "started_at": utc_iso(maintenance.started_at),
        "completed_at": utc_iso(maintenance.completed_at),
        "cancelled_at": utc_iso(maintenance.cancelled_at),
        "url": reverse("v1:maintenance-detail", args=[maintenance.pk]),
    }


def _affected_by_customer(maintenance: Maintenance) -> dict[Organisation, list[str]]:
    found: dict[Organisation, list[str]] = {}
    for service in affected_services(maintenance):
        found.setdefault(service.customer, []).append(service.circuit_id)
    return found


def _announce(
    maintenance: Maintenance,
    kind: str,
    *,
    note: str = "",
    also: Iterable[Organisation] = (),
) -> set[int]:
    """Tell the customers of every affected service (and ``also``: those an update took out)
    by event and e-mail, each of its own circuits. Returns the organisations told."""
    affected = _affected_by_customer(maintenance)
    for organisation in also:
        affected.setdefault(organisation, [])
    for customer, circuit_ids in sorted(affected.items(), key=lambda item: item[0].pk):
        record_event(
            type=EVENT_OF[kind],
            organisation=customer,
            subject_type="maintenance",
            subject_id=maintenance.pk,
            data=maintenance_data(maintenance, sorted(circuit_ids)),
        )
        notify_maintenance(
            maintenance, kind=kind, customer=customer, circuit_ids=sorted(circuit_ids), note=note
        )
    return {customer.pk for customer in affected}


def _refuse(errors: dict[str, list[str]], detail: str) -> None:
    if errors:
        raise DomainError(detail, errors=errors)


@transaction.atomic
def schedule_maintenance(
    *,
    segments: Iterable[Segment],
    window_start: datetime.datetime,
    window_end: datetime.datetime,
    impact: str,
    reason: str,
    actor: Actor | None,
) -> Maintenance:
    """Plan work on ``segments`` in [window_start, window_end) and tell the affected customers.

    ``actor`` must hold a share of every segment on the start's UTC date (``may_act``,
    ``share_day``); the window
    starts in the future, ends after it starts and is at most ``TCFO_MAINTENANCE_MAX_HOURS``
    long. Raises ``NotPermitted`` (403), ``InvalidInput`` for a naive time, ``DomainError``
    with field errors."""
    segments = sorted(set(segments), key=lambda s: s.code)
    _aware(window_start, "window_start")
    _aware(window_end, "window_end")
    errors: dict[str, list[str]] = {}
    if not segments:
        errors["segments"] = ["Name at least one segment."]
    else:
        _refuse_unless_may_act(actor, segments, share_day(window_start))
    now = timezone.now()
    errors.update(_window_errors(window_start, window_end, now=now))
    reason = _clean_reason(reason, errors)
    impact = _clean_impact(impact, errors)
    _refuse(errors, "The maintenance is not valid.")
    by = describe_actor(actor)
    maintenance = Maintenance.objects.create(
        window_start=window_start,
        window_end=window_end,
        impact=impact,
        reason=reason,
        announced_at=now,
        announced_spans=stored_spans([(window_start, window_end, now)]),
        created_by=by,
    )
    maintenance.segments.set(segments)
    lifecycle.record(
        maintenance,
        MaintenanceAction.SCHEDULED,
        by=by,
        changes={
            "segments": [None, [s.code for s in segments]],
            "window_start": [None, window_start],
            "window_end": [None, window_end],
            "impact": [None, impact],
            "reason": [None, reason],
        },
    )
    _announce(maintenance, "scheduled")
    return maintenance


def _locked(maintenance: Maintenance, actor: Actor | None) -> Maintenance:
    maintenance = lifecycle.lock(maintenance)
    _refuse_unless_may_act(actor, maintenance.segments.all(), share_day(maintenance.window_start))
    return maintenance


@transaction.atomic
def update_maintenance(
    *,
    maintenance: Maintenance,
    actor: Actor | None,
    note: str = "",
    window_start: datetime.datetime = _UNSET,
    window_end: datetime.datetime = _UNSET,
    impact: str = _UNSET,
    reason: str = _UNSET,
) -> Maintenance:
    """Change a scheduled maintenance's window, impact and/or reason (only the fields given),
    or move the end of one in progress; the customers affected before or after are told again.

    A moved window is announced now (``announced_at``; a moved start gets a new reminder),
    but only the time it adds counts as announced now for the SLA: time that stays inside the
    window keeps when it was first announced (``Maintenance.announced_spans``). So shortening
    the window, in either direction, or moving its start later loses no notice; extending the
    work in progress, or moving the window, announces the added time late unless that is the
    contract's notice before the added time starts. Time taken out and put back counts from
    when it was put back. A change that changes nothing is refused; a completed or cancelled
    maintenance is a 409."""
    maintenance = _locked(maintenance, actor)
    lifecycle.check_updatable(maintenance)
    before = {
        "window_start": maintenance.window_start,
        "window_end": maintenance.window_end,
        "impact": maintenance.impact,
        "reason": maintenance.reason,
    }
    errors: dict[str, list[str]] = {}
    after = dict(before)
    if window_start is not _UNSET:
        after["window_start"] = _aware(window_start, "window_start")
    if window_end is not _UNSET:
        after["window_end"] = _aware(window_end, "window_end")
    if impact is not _UNSET:
        after["impact"] = _clean_impact(impact, errors)
    if reason is not _UNSET:
        after["reason"] = _clean_reason(reason, errors)
    start_changes = after["window_start"] != before["window_start"]
    in_progress = maintenance.status == MaintenanceStatus.IN_PROGRESS
    if in_progress and start_changes:
        errors["window_start"] = ["The work has started: only its end may move."]
    if start_changes:
        _refuse_unless_may_act(actor, maintenance.segments.all(), share_day(after["window_start"]))
    if start_changes or after["window_end"] != before["window_end"]:
        errors.update(
            _window_errors(
                after["window_start"],
                after["window_end"],
                now=timezone.now(),
                start_changes=start_changes,
            )
        )
    _refuse(errors, "The change is not valid.")
    changes = {f: [before[f], after[f]] for f in before if before[f] != after[f]}
    if not changes:
        raise DomainError("The change changes nothing.")
    told_before = set(_affected_by_customer(maintenance))
    fields = list(changes)
    if "window_start" in changes or "window_end" in changes:
        now = timezone.now()
        spans = announced_spans_after(
            maintenance.spans(), after["window_start"], after["window_end"], now
        )
        maintenance.announced_spans = stored_spans(spans)
        maintenance.announced_at = now
        fields += ["announced_spans", "announced_at"]
    for field, (_, value) in changes.items():
        setattr(maintenance, field, value)
    if "window_start" in changes:
        maintenance.reminder_sent_at = None
        fields.append("reminder_sent_at")
    maintenance.sequence += 1
    maintenance.save(update_fields=[*fields, "sequence", "updated_at"])
    note = (note or "").strip()[:REASON_MAX]
    lifecycle.record(
        maintenance, MaintenanceAction.UPDATED, by=describe_actor(actor), changes=changes, note=note
    )
    _announce(maintenance, "updated", note=note, also=told_before)
    return maintenance


@transaction.atomic
def cancel_maintenance(
    *, maintenance: Maintenance, actor: Actor | None, reason: str
) -> Maintenance:
    """Cancel scheduled maintenance, saying why, and tell the affected customers. Only a
    scheduled one (409 otherwise: work in progress is completed)."""
    maintenance = _locked(maintenance, actor)
    reason = (reason or "").strip()[:REASON_MAX]
    if not reason:
        raise InvalidInput("reason", "Say why the maintenance is cancelled.")
    lifecycle.move(maintenance, MaintenanceStatus.CANCELLED, by=describe_actor(actor), note=reason)
    maintenance.sequence += 1
    maintenance.save(update_fields=["sequence"])
    _announce(maintenance, "cancelled", note=reason)
    return maintenance


@transaction.atomic
def start_maintenance(
    *, maintenance: Maintenance, actor: Actor | None, note: str = ""
) -> Maintenance:
    """Mark scheduled maintenance as started now (staff may start it early; ``start_due``
    starts it at its window's start) and tell the affected customers."""
    maintenance = _locked(maintenance, actor)
    note = (note or "").strip()[:REASON_MAX]
    lifecycle.move(maintenance, MaintenanceStatus.IN_PROGRESS, by=describe_actor(actor), note=note)
    _announce(maintenance, "started", note=note)
    return maintenance


@transaction.atomic
def complete_maintenance(
    *, maintenance: Maintenance, actor: Actor | None, note: str = ""
) -> Maintenance:
    """Mark maintenance in progress as completed now and tell the affected customers."""
    maintenance = _locked(maintenance, actor)
    note = (note or "").strip()[:REASON_MAX]
    lifecycle.move(maintenance, MaintenanceStatus.COMPLETED, by=describe_actor(actor), note=note)
    _announce(maintenance, "completed", note=note)
    return maintenance


def send_reminders(*, now: datetime.datetime | None = None) -> int:
    """Remind the affected customers of scheduled maintenance starting within a day, once per
    window (``reminder_sent_at``); maintenance announced less than a day ahead needs none (its
    announcement was the notice). Each in its own transaction. Returns how many were sent."""
    now = now or timezone.now()
    due = Maintenance.objects.filter(
        status=MaintenanceStatus.SCHEDULED,
        reminder_sent_at__isnull=True,
        window_start__gt=now,
        window_start__lte=now + REMINDER_BEFORE,
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            maintenance = (
                Maintenance.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, reminder_sent_at__isnull=True, status=MaintenanceStatus.SCHEDULED)
                .first()
            )
            if maintenance is None:
                continue
            maintenance.reminder_sent_at = now
            maintenance.save(update_fields=["reminder_sent_at"])
            if maintenance.notice <= REMINDER_BEFORE:
                continue
            lifecycle.record(maintenance, MaintenanceAction.REMINDED, by="maintenance task")
            _announce(maintenance, "reminder")
            sent += 1
    return sent


def start_due(*, actor: Actor, now: datetime.datetime | None = None) -> int:
    """Start every scheduled maintenance whose window has begun (as ``actor``, the task), each
    in its own transaction. Returns how many were started."""
    now = now or timezone.now()
    due = Maintenance.objects.filter(
        status=MaintenanceStatus.SCHEDULED, window_start__lte=now
    ).values_list("pk", flat=True)
    started = 0
    for pk in list(due):
        with transaction.atomic():
            maintenance = (
                Maintenance.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=MaintenanceStatus.SCHEDULED)
                .first()
            )
            if maintenance is None:
                continue
            lifecycle.move(
                maintenance,
                MaintenanceStatus.IN_PROGRESS,
                by=describe_actor(actor),
                note="Started at its window's start.",
                at=now,
            )
            _announce(maintenance, "started")
            started += 1
    return started
