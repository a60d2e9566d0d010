"""Usage decisions (conflicts, counter resets, clamps, gaps...) as people read them, and the
one way a conflict is resolved: by network staff, before its month is billed, with a reason.

Ingest never overwrites a stored bucket: a sample with other rates is refused and recorded as a
``conflict`` (``usage_days.conflict``). Someone has to say which value counts. Network staff of
an operator that sees the service (``UsageEvent.operator_visibility``) choose: keep the value
stored, or take the value received (capped at the port's speed, as ingest caps). The bucket's
stored rates change, so the month's 95th percentile (``usage_percentiles``) and its rating use
the choice; who, when, why and the rates before and after are kept (``UsageResolution``).

Once the month is billed (a usage line of the contract on an invoice of that month, the 95th
frozen by an issued invoice, or the month closed for the billing party) the conflict can no
longer be resolved: what is issued never changes, and data that changes a frozen month is a
late adjustment's business.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction

from leasing.models import Contract, Service
from organisations.access import Actor, describe_actor, has_capability
from organisations.choices import Capability
from tcfo_portal.exceptions import DomainError, Forbidden, InvalidInput, InvalidTransition

from ..buckets import MISSING, day_and_index, pack, unpack
from ..choices import ConflictChoice, LineKind, UsageEventKind
from ..models import (
    InvoiceLine,
    PeriodClose,
    UsageDay,
    UsageEvent,
    UsagePercentile,
    UsageResolution,
)
from ..periods import local_date, period_of
from .usage_percentiles import record_percentiles, services_for_usage

REASON_MAX = 300
USAGE_LINES = (LineKind.TRANSIT_COMMIT, LineKind.TRANSIT_BURST)


def event_period(event: UsageEvent) -> str:
    """The billing month (``YYYY-MM``, in the billing party's time zone) of an event's bucket.
    The event comes with ``port__service__contract__billing_party`` loaded."""
    moment = datetime.datetime.fromtimestamp(event.ts, datetime.UTC)
    return period_of(local_date(moment, _time_zone(event.port.service)))


def _time_zone(service: Service) -> str:
    contract = getattr(service, "contract", None)
    return contract.billing_party.time_zone if contract is not None else "UTC"


@dataclass(frozen=True)
class Billed:
    """Why a month can no longer change for a service (empty ``why``: it can)."""

    why: str = ""

    def __bool__(self) -> bool:
        return bool(self.why)


def billed_already(service: Service, period: str) -> Billed:
    """Whether ``service``'s ``period`` is billed: closed for its billing party, its 95th frozen
    by an issued invoice, or a usage line of its contract on an invoice of the month (a draft
    too: a billing run run again does not rate a line twice)."""
    contract = getattr(service, "contract", None)
    if contract is None:
        return Billed()
    if PeriodClose.objects.filter(period=period, billing_party=contract.billing_party_id).exists():
        return Billed(f"{period} is closed for {contract.billing_party}")
    if UsagePercentile.objects.filter(
        service=service, period=period, frozen_at__isnull=False
    ).exists():
        return Billed(f"the 95th percentile of {period} is frozen by an issued invoice")
    line = (
        InvoiceLine.objects.filter(contract=contract, invoice__period=period, kind__in=USAGE_LINES)
        .select_related("invoice")
        .first()
    )
    if line is not None:
        return Billed(f"{period} is billed on invoice {line.invoice}")
    return Billed()


def resolvable(event: UsageEvent) -> bool:
    """A conflict nobody has resolved yet (whether its month is billed is asked on resolving)."""
    return event.kind == UsageEventKind.CONFLICT and not hasattr(event, "resolution")


def _pair(value: object) -> tuple[int, int] | None:
    try:
        a, b = value  # type: ignore[misc]
        return int(a), int(b)
    except (TypeError, ValueError):
        return None


@transaction.atomic
def resolve_conflict(
    *, event: UsageEvent, keep: str, reason: str, actor: Actor | None
) -> UsageResolution:
    """Resolve a usage conflict: the bucket keeps the value stored (``keep="stored"``) or takes
    the value received (``"received"``, capped at the port's speed), and the month's 95th is
    computed again from it where it is stored and not frozen.

    Refused: to anyone but operators' network staff (and platform admins) (``Forbidden``, 403);
    for an event the actor does not see (403; the portal and the API answer 404 before); for a
    decision that is not a conflict (400); without a reason (400, on ``reason``); for a conflict
    resolved already (409); once the bucket's month is billed or closed (409), saying why.
    Returns the resolution, which records who, when, why and the rates before and after.
    """
    if not has_capability(actor, Capability.INGEST_USAGE):
        raise Forbidden("Only operators' network staff resolve usage conflicts.")
    from ..selectors import usage_decisions_for

    event = (
        usage_decisions_for(actor)
        .filter(pk=event.pk)
        .select_related("port__service__contract__billing_party", "port__service__product")
        .first()
    )
    if event is None:
        raise Forbidden("Only the network staff of an operator that sees the service resolve it.")
    # The contract first, as a billing run's chunk locks it (``runs.bill_contracts``) until it
    # commits: a resolution waits for a chunk billing the month and then finds it billed below;
    # a chunk waits for a resolution and rates the bucket resolved. Never a month billed with
    # one value while the bucket and its 95th say another.
    contract = getattr(event.port.service, "contract", None)
    if contract is not None:
        Contract.objects.select_for_update().filter(pk=contract.pk).first()
    # One resolution per conflict, even for two people pressing at once.
    UsageEvent.objects.select_for_update().filter(pk=event.pk).first()
    if event.kind != UsageEventKind.CONFLICT:
        raise DomainError(
            f"Only a conflict is resolved: this is a {event.get_kind_display().lower()}, "
            "which ingest decided by the rules."
        )
    if keep not in ConflictChoice.values:
        raise InvalidInput("keep", "Choose stored or received.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why this value counts.", field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(f"At most {REASON_MAX} characters.", field="reason")
    done = UsageResolution.objects.filter(event=event).first()
    if done is not None:
        raise InvalidTransition(
            f"This conflict is resolved already, by {done.resolved_by} "
            f"({done.get_kept_display().lower()})."
        )
    service = event.port.service
    period = event_period(event)
    billed = billed_already(service, period)
    if billed:
        raise InvalidTransition(
            f"Too late to resolve: {billed.why}. A conflict is resolved before its month is "
            "billed; usage that changes a billed month is a late adjustment for finance."
        )
    day, index = day_and_index(event.ts)
    row = UsageDay.objects.select_for_update().filter(port=event.port, day=day).first()
    if row is None:
        raise DomainError("The bucket of this conflict holds no stored usage any more.")
    ins, outs = unpack(row.in_bps), unpack(row.out_bps)
    before = (int(ins[index]), int(outs[index]))
    if keep == ConflictChoice.RECEIVED:
        received = _pair(event.detail.get("received"))
        if received is None:
            raise DomainError("This conflict does not record the value received.")
        speed = event.port.speed_bps
        after = (min(received[0], speed), min(received[1], speed))
    else:
        after = before
    if after[0] == MISSING:
        raise DomainError("The bucket of this conflict holds no stored usage any more.")
    if after != before:
        ins[index], outs[index] = after
        row.in_bps, row.out_bps = pack(ins), pack(outs)
        row.save(update_fields=["in_bps", "out_bps"])
    resolution = UsageResolution.objects.create(
        event=event,
        kept=keep,
        before_in_bps=before[0] if before[0] != MISSING else None,
        before_out_bps=before[1] if before[1] != MISSING else None,
        in_bps=after[0],
        out_bps=after[1],
        reason=reason,
        resolved_by=describe_actor(actor),
    )
    if after != before and UsagePercentile.objects.filter(service=service, period=period).exists():
        # The stored 95th of a month not billed yet follows the bucket (a billing run computes
        # it again anyway; a page reading it meanwhile reads today's).
        record_percentiles(services=list(services_for_usage().filter(pk=service.pk)), period=period)
    return resolution
