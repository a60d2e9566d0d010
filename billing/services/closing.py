"""Closing a month: billed only once it has ended, its figures frozen once closed, and data that
arrives later kept as a late adjustment for finance to bill (debit note) or dismiss (domain.md 6a).

- ``require_ended``: a month is billed (a run started, an invoice issued) only after it has
  ended in the billing party's time zone.
- ``close_period``: the billing party's finance staff close a month whose invoices are all
  issued; its 95ths and uptimes are frozen and the settlement of its pairs is stored.
- ``note_late_usage`` / ``note_late_outages``: usage or outages for a frozen month change no
  frozen figure; each (contract, month) concerned becomes an open ``LateAdjustment`` with the
  amount today's data would change.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import Min, Q, QuerySet
from django.utils import timezone

from leasing.choices import CommercialForm
from leasing.models import Contract, Outage
from organisations.access import Actor
from organisations.models import Organisation
from organisations.selectors import consortium_operators
from tcfo_portal.exceptions import Conflict, DomainError
from tcfo_portal.money import round_money

from ..choices import BillingRunStatus, InvoiceStatus, LateKind, LateStatus
from ..events import usage_late
from ..models import (
    BillingRun,
    Invoice,
    LateAdjustment,
    PeriodClose,
    ServiceUptime,
    UsagePercentile,
    UsagePort,
)
from ..periods import has_ended, period_of, period_span
from .acting import require_finance_of
from .rating import burst_charge, prorated
from .uptime import monthly_uptime, outages_by_path, sla_credit_percent
from .usage_percentiles import month_usage, percentiles, record_percentiles, services_for_usage

ZERO = Decimal("0.00")


def require_ended(period: str, parties: Iterable[Organisation], now: datetime.datetime) -> None:
    """Refuse (400, on ``period``) unless the month has ended in every party's time zone."""
    for party in parties:
        if not has_ended(period, party.time_zone, now):
            end = period_span(period, party.time_zone)[1]
            raise DomainError(
                f"{period} has not ended for {party}: bill it from {end:%Y-%m-%d %H:%M}"
                f" {party.time_zone}.",
                errors={"period": [f"A month that has ended ({party.time_zone})."]},
            )


def billing_parties() -> list[Organisation]:
    """The operators that may bill (a run covers them all)."""
    return list(consortium_operators())


def closed_parties(period: str) -> set[int]:
    """Ids of the billing parties that closed ``period``."""
    return set(PeriodClose.objects.filter(period=period).values_list("billing_party", flat=True))


def record_uptime(
    contracts: list[Contract], period: str, outages: dict | None = None
) -> dict[int, Decimal | None]:
    """Each lease's uptime in ``period`` as billing uses it: the frozen figure if there is one,
    else computed now and stored."""
    frozen = {
        a.contract_id: a.uptime
        for a in ServiceUptime.objects.filter(
            contract__in=contracts, period=period, frozen_at__isnull=False
        )
    }
    todo = [c for c in contracts if c.pk not in frozen]
    if todo and outages is None:
        outages = outages_by_path(period)
    computed = {c.pk: monthly_uptime(c, period, c.billing_party.time_zone, outages) for c in todo}
    ServiceUptime.objects.bulk_create(
        [
            ServiceUptime(contract_id=pk, period=period, uptime=value)
            for pk, value in computed.items()
        ],
        update_conflicts=True,
        unique_fields=["contract", "period"],
        update_fields=["uptime", "computed_at"],
    )
    return frozen | computed


def freeze_figures(*, contracts: list[Contract], period: str) -> None:
    """Freeze the 95ths and uptimes ``contracts`` were billed with in ``period``."""
    now = timezone.now()
    transit = [c.service_id for c in contracts if c.kind == CommercialForm.USAGE]
    if transit:
        stored = set(
            UsagePercentile.objects.filter(service__in=transit, period=period).values_list(
                "service", flat=True
            )
        )
        missing = [pk for pk in transit if pk not in stored]
        if missing:
            record_percentiles(
                services=list(services_for_usage().filter(pk__in=missing)), period=period
            )
        UsagePercentile.objects.filter(
            service__in=transit, period=period, frozen_at__isnull=True
        ).update(frozen_at=now)
    leases = [c for c in contracts if c.kind == CommercialForm.LEASE and c.mrc is not None]
    if leases:
        record_uptime(leases, period)
        ServiceUptime.objects.filter(
            contract__in=leases, period=period, frozen_at__isnull=True
        ).update(frozen_at=now)


def invoice_contracts(invoice: Invoice) -> list[Contract]:
    """The contracts billed on an invoice, loaded for rating."""
    return list(
        Contract.objects.filter(invoice_lines__invoice=invoice)
        .select_related("service__product", "service__path", "service__site", "billing_party")
        .prefetch_related("sla_tiers")
        .distinct()
    )


@transaction.atomic
def close_period(*, period: str, billing_party: Organisation, actor: Actor) -> PeriodClose:
    """Close ``period`` for ``billing_party``: refused until the month has ended there, its
    billing run is done and none of its invoices is a draft. Freezes the figures of every
    contract it billed that month and stores its settlement statements as they stand."""
    by = require_finance_of(actor, billing_party)
    require_ended(period, [billing_party], timezone.now())
    run = BillingRun.objects.filter(period=period).first()
    if run is None or run.status != BillingRunStatus.DONE:
        raise DomainError(f"Bill {period} first: its billing run has not completed.")
    drafts = Invoice.objects.filter(
        billing_party=billing_party, period=period, status=InvoiceStatus.DRAFT
    ).count()
    if drafts:
        raise DomainError(
            f"{drafts} invoice(s) of {period} are still drafts: issue or delete them first."
        )
    contracts = list(
        Contract.objects.filter(billing_party=billing_party, invoice_lines__invoice__period=period)
        .select_related("service__product", "service__path", "billing_party")
        .prefetch_related("sla_tiers")
        .distinct()
    )
    freeze_figures(contracts=contracts, period=period)
    from .settlement import settlement_statements

    statements = [
        {
            "first": s.first.name,
            "second": s.second.name,
            "currency": s.currency,
            "first_owes": str(s.first_owes),
            "second_owes": str(s.second_owes),
        }
        for s in settlement_statements(period=period, operator=billing_party)
    ]
    try:
        with transaction.atomic():
            return PeriodClose.objects.create(
                period=period, billing_party=billing_party, closed_by=by, settlement=statements
            )
    except IntegrityError:
        raise Conflict(f"{period} is closed for {billing_party} already.") from None


# --- late data ------------------------------------------------------------------------------


def billed_reference(contract: Contract, period: str, kind: str, frozen: object) -> object:
    """The figure already billed for (contract, month, kind): the frozen one, or what the last
    adjustment billed (by a debit or credit note) moved it to. A new late adjustment bills only
    the difference from it, so nothing is billed twice; a dismissed one moved nothing."""
    last = (
        LateAdjustment.objects.filter(
            contract=contract, period=period, kind=kind, status=LateStatus.BILLED
        )
        .order_by("-resolved_at", "-pk")
        .values_list("current_value", flat=True)
        .first()
    )
    return frozen if last is None else last


def _open_adjustment(
    contract: Contract, period: str, kind: str, billed: object, current: object, amount: Decimal
) -> bool:
    """Open (or bring up to date) the late adjustment of ``contract``'s ``period``; return
    whether it is new or today's figure changed (the customer is told only then)."""
    key = {"contract": contract, "period": period, "kind": kind, "status": LateStatus.OPEN}
    before = LateAdjustment.objects.filter(**key).values_list("current_value", flat=True).first()
    adjustment, created = LateAdjustment.objects.update_or_create(
        **key,
        defaults={
            "billed_value": billed,
            "current_value": current,
            "amount": amount,
            "currency": contract.currency,
        },
    )
    adjustment.refresh_from_db(fields=["current_value"])
    return created or adjustment.current_value != before


class LateMonth(NamedTuple):
    """A frozen month of a service that usage was just stored in: the service's ports among
    the days written and the month's span (UNIX seconds, from ``first`` up to ``last``)."""

    circuit_id: str
    period: str
    ports: frozenset[int]
    first: int
    last: int


def note_late_usage(days: Iterable[tuple[int, int]]) -> list[LateMonth]:
    """Usage just stored on ``days`` ((port id, UTC day number)) that falls in a month whose
    95th is frozen: the frozen figure stays; each such (service, month) gets an open late
    adjustment with the burst today's data would bill. Returns those months, by circuit id
    and period."""
    days = set(days)
    if not days:
        return []
    ports = dict(
        UsagePort.objects.filter(pk__in={port for port, _ in days}).values_list("pk", "service")
    )
    candidates: dict[int, set[str]] = {}
    epoch = datetime.date(1970, 1, 1)
    for port, day in days:
        date = epoch + datetime.timedelta(days=day)
        # a UTC day lies in at most two local months (the zones are within a day of UTC)
        for near in (date - datetime.timedelta(days=1), date, date + datetime.timedelta(days=1)):
            candidates.setdefault(ports[port], set()).add(period_of(near))
    frozen = UsagePercentile.objects.filter(
        service__in=candidates, frozen_at__isnull=False
    ).select_related("service__contract__billing_party")
    frozen = [p for p in frozen if p.period in candidates[p.service_id]]
    if not frozen:
        return []
    late = []
    services = (
        services_for_usage().select_related("customer").in_bulk({p.service_id for p in frozen})
    )
    for percentile in frozen:
        service = services[percentile.service_id]
        start, end = period_span(percentile.period, service.contract.billing_party.time_zone)
        first, last = int(start.timestamp()), int(end.timestamp())
        if not any(
            ports[port] == service.pk and first < (day + 1) * 86_400 and day * 86_400 < last
            for port, day in days
        ):
            continue
        usage = month_usage([service], percentile.period)[service.pk]
        now = percentiles(usage)
        contract = service.contract
        billed = billed_reference(
            contract, percentile.period, LateKind.USAGE, percentile.billable_bps
        )
        billed = None if billed is None else int(billed)
        amount = burst_charge(contract, now.billable_bps) - burst_charge(contract, billed)
        if _open_adjustment(
            contract, percentile.period, LateKind.USAGE, billed, now.billable_bps, amount
        ):
            # Told once per change of the month's figure, not once per batch of samples.
            usage_late(
                service=service,
                period=percentile.period,
                time_zone=contract.billing_party.time_zone,
                billed_bps=billed,
                now=now,
            )
        late.append(
            LateMonth(
                service.circuit_id,
                percentile.period,
                frozenset(port for port, of in ports.items() if of == service.pk),
                first,
                last,
            )
        )
    return sorted(late, key=lambda month: (month.circuit_id, month.period))


def note_late_outages() -> int:
    """Outages recorded or changed after a month's uptimes were frozen: each lease whose
    frozen uptime differs from today's gets an open late adjustment with the SLA credit
    the difference would give back (negative) or take back. Returns how many were noted.

    Only months with an outage recorded or changed since their first freeze are looked at, so
    the work follows the late outages, not the number of months ever closed."""
    first_frozen = (
        ServiceUptime.objects.filter(frozen_at__isnull=False)
        .values("period")
        .annotate(since=Min("frozen_at"))
    )
    noted = 0
    for period, since in first_frozen.values_list("period", "since"):
        start, end = period_span(period, "UTC")
        changed = Outage.objects.filter(
            Q(ended_at__isnull=True) | Q(ended_at__gt=start - datetime.timedelta(days=1)),
            Q(created_at__gt=since) | Q(changes__at__gt=since),
            started_at__lt=end + datetime.timedelta(days=1),
        )
        if not changed.exists():
            continue
        outages = outages_by_path(period)
        rows = (
            ServiceUptime.objects.filter(period=period, frozen_at__isnull=False)
            .select_related("contract__service__path", "contract__billing_party")
            .prefetch_related("contract__sla_tiers")
        )
        for row in rows:
            contract = row.contract
            if contract.service.path_id is None or contract.mrc is None:
                continue
            now = monthly_uptime(contract, period, contract.billing_party.time_zone, outages)
            billed = billed_reference(contract, period, LateKind.OUTAGE, row.uptime)
            if now == billed:
                continue
            mrc = prorated(contract.mrc, contract, period, contract.currency)
            before = sla_credit_percent(contract, billed)
            after = sla_credit_percent(contract, now)
            amount = -round_money(mrc * (after - before) / 100, contract.currency)
            _open_adjustment(contract, period, LateKind.OUTAGE, billed, now, amount)
            noted += 1
    return noted


def late_adjustments_for(actor: Actor) -> QuerySet[LateAdjustment]:
    """The open late adjustments the actor's organisation bills (all for a platform admin)."""
    queryset = LateAdjustment.objects.select_related(
        "contract__service",
        "contract__customer",
        "contract__billing_party",
        "debit_note",
        "credit_note",
    )
    organisation = actor.organisation
    if organisation is not None:
        queryset = queryset.filter(contract__billing_party=organisation)
    return queryset
