"""Billing runs: rate every contract of a period into draft invoices, in chunks, idempotently.

One run per period (``BillingRun.period`` is unique). Starting it again re-rates every contract:
lines already billed are recognised by their ``source_key`` and skipped, so nothing is billed
twice, also when a worker died in the middle of a chunk (the chunk's transaction rolled back and
the task, acknowledged late, runs again).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from leasing.choices import CommercialForm
from leasing.models import Contract, IruInstallment
from tcfo_portal.queue import after_commit

from ..choices import BillingRunStatus, InvoiceStatus
from ..documents import DocumentTotals, totals_of
from ..models import BillingRun, Invoice, InvoiceLine, LineAllocation, RemovedLine
from ..periods import parse_period, period_days
from .closing import billing_parties, closed_parties, record_uptime, require_ended
from .rating import rate_contract
from .tax_and_split import TaxAndSplit
from .usage_percentiles import record_percentiles, services_for_usage

CHUNK = 200


def contracts_of(period: str) -> QuerySet[Contract]:
    """Contracts with something to bill in the period: a service running in it, or an IRU
    installment due by its end and not billed yet (a missed run's is billed by the next)."""
    first, last = period_days(period)
    running = Q(service__activated_on__lte=last) & (
        Q(service__terminated_on__isnull=True) | Q(service__terminated_on__gt=first)
    )
    billed = InvoiceLine.objects.filter(
        source_key=Concat(Value("installment:"), Cast(OuterRef("pk"), CharField()))
    )
    removed = RemovedLine.objects.filter(
        source_key=Concat(Value("installment:"), Cast(OuterRef("pk"), CharField()))
    )
    unbilled = IruInstallment.objects.filter(contract=OuterRef("pk"), due_on__lte=last).filter(
        ~Exists(billed), ~Exists(removed)
    )
    return Contract.objects.filter(running | Exists(unbilled)).order_by("pk")


@transaction.atomic
def start_run(*, period: str, by: str) -> tuple[BillingRun, bool]:
    """The period's run, queued to (re)start unless it is under way; True if it was queued.

    Refused (``DomainError``, 400) until the month has ended in every billing party's time
    zone: a partial or future month is never billed."""
    parse_period(period)
    require_ended(period, billing_parties(), timezone.now())
    run, _ = BillingRun.objects.select_for_update().get_or_create(
        period=period, defaults={"requested_by": by}
    )
    if run.status in (BillingRunStatus.PENDING, BillingRunStatus.RUNNING) and run.started_at:
        return run, False
    ids = list(contracts_of(period).values_list("pk", flat=True))
    run.status = BillingRunStatus.RUNNING
    run.requested_by = by
    run.started_at = timezone.now()
    run.finished_at = None
    run.contracts_total = len(ids)
    run.contracts_rated = 0
    run.lines_created = 0
    run.error = ""
    run.save()
    for chunk in [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)] or [[]]:
        after_commit("billing.tasks.bill_chunk", run.pk, chunk)
    return run, True


def fail_run(*, run_id: int, error: str) -> None:
    """Mark a run failed with why (its chunk's work was rolled back); it may be run again."""
    BillingRun.objects.filter(pk=run_id).update(
        status=BillingRunStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )


@transaction.atomic
def bill_contracts(*, run: BillingRun, contract_ids: list[int]) -> int:
    """Rate ``contract_ids`` for the run's period into draft invoices; return the lines made.

    The chunk's contracts are locked first (in id order: two chunks never wait on each other in
    a circle) and stay locked until it commits, so a usage conflict resolved meanwhile
    (``usage_decisions.resolve_conflict``, which locks its contract too) waits and then finds
    the month billed, or was resolved before and is rated here."""
    period = run.period
    list(
        Contract.objects.select_for_update()
        .filter(pk__in=contract_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    contracts = list(
        Contract.objects.filter(pk__in=contract_ids)
        .select_related(
            "service__product", "service__path", "service__site", "customer", "billing_party"
        )
        .prefetch_related("installments", "sla_tiers")
        .order_by("pk")
    )
    transit = [c.service_id for c in contracts if c.kind == CommercialForm.USAGE]
    percentiles = (
        record_percentiles(
            services=list(services_for_usage().filter(pk__in=transit)), period=period
        )
        if transit
        else {}
    )
    leases = [c for c in contracts if c.kind == CommercialForm.LEASE and c.mrc is not None]
    uptimes = record_uptime(leases, period) if leases else {}
    drafts = {
        c.pk: rate_contract(c, period, percentiles.get(c.service_id), uptimes.get(c.pk))
        for c in contracts
    }
    keys = [d.source_key for lines in drafts.values() for d in lines]
    billed = set(
        InvoiceLine.objects.filter(source_key__in=keys).values_list("source_key", flat=True)
    ) | set(RemovedLine.objects.filter(source_key__in=keys).values_list("source_key", flat=True))
    pending: list[tuple[InvoiceLine, dict]] = []
    invoices: dict[tuple[int, int, str], Invoice] = {}
    # Many lines share a route and days, a billing party and a customer: one pipeline for the
    # chunk asks once each (a route is loaded once, its shares over the same days computed once).
    taxed_and_split = TaxAndSplit()
    closed = closed_parties(period)
    for contract in contracts:
        if contract.billing_party_id in closed:
            continue  # a closed month bills nothing new: late data becomes a late adjustment
        todo = [d for d in drafts[contract.pk] if d.source_key not in billed]
        if not todo:
            continue
        group = (contract.billing_party_id, contract.customer_id, contract.currency)
        invoice = invoices.get(group)
        if invoice is None:
            invoice, _ = Invoice.objects.get_or_create(
                billing_party=contract.billing_party,
                customer=contract.customer,
                period=period,
                currency=contract.currency,
            )
            invoices[group] = invoice
        if invoice.status != InvoiceStatus.DRAFT:
            continue  # issued already: what is new is a matter for a credit or debit note
        service = contract.service
        for draft in todo:
            taxed = taxed_and_split.line(
                amount=draft.amount,
                currency=contract.currency,
                billing_party=contract.billing_party,
                customer=contract.customer,
                taxed_on=draft.service_date,
                path=service.path,
                site=service.site,
                first=draft.service_date,
                last=draft.service_until,
            )
            line = InvoiceLine(
                invoice=invoice,
                contract=contract,
                kind=draft.kind,
                description=draft.description,
                quantity=draft.quantity,
                unit_price=draft.unit_price,
                amount=draft.amount,
                tax_rate=taxed.tax_rate,
                tax_amount=taxed.tax_amount,
                tax_note=taxed.tax_note,
                service_date=draft.service_date,
                service_until=draft.service_until,
                path=service.path,
                site=service.site,
                source_key=draft.source_key,
            )
            pending.append((line, taxed.parts))
    # Two statements for the chunk's lines and their parts (the database returns the lines' keys).
    InvoiceLine.objects.bulk_create([line for line, _ in pending], batch_size=1000)
    LineAllocation.objects.bulk_create(
        (
            LineAllocation(line=line, operator=operator, amount=amount)
            for line, parts in pending
            for operator, amount in parts.items()
        ),
        batch_size=2000,
    )
    created = len(pending)
    BillingRun.objects.filter(pk=run.pk).update(
        contracts_rated=F("contracts_rated") + len(contract_ids),
        lines_created=F("lines_created") + created,
    )
    BillingRun.objects.filter(
        pk=run.pk, status=BillingRunStatus.RUNNING, contracts_rated__gte=F("contracts_total")
    ).update(status=BillingRunStatus.DONE, finished_at=timezone.now())
    return created


def invoice_totals(invoice: Invoice) -> DocumentTotals:
    """Subtotal, tax and total as ``Money``: sums of the rounded lines (with ``lines``
    prefetched, no query)."""
    return totals_of(invoice.lines.all(), invoice.currency)
