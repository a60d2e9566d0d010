"""Benchmark: a monthly billing run from stored usage to draft invoices, and invoice PDFs.

Runs on a PostgreSQL database of its own with ``--transit`` completed 10G IP transit services
(one usage port each, every 5-minute bucket of the month stored in ``billing_usageday``) and
``--leases`` completed 100G wavelength leases on a two-segment path owned by two operators,
all billed by one operator (time zone ``--time-zone``, UTC by default) to ``--customers``
customers (half domestic with VAT, half foreign with reverse charge), and prints, each with its
target:

(a) the billing run of ``--period`` (``start_run(period=..., by="bench")``, chunks run
    in-process by eager Celery once the run's transaction commits) from stored samples to draft
    invoices with lines and their operators' allocations (no PDFs), timed until the run is
    DONE: contracts per second, lines and allocations made. Against one PostgreSQL
    ``percentile_disc(0.95)`` GROUP BY query over a plain row-per-sample table of the same
    transit samples (as bench/usage.py's (b)); the run's stored 95th must equal it for every
    service (exit status 1 otherwise). Ratio ours / percentile_disc, target <= 2.0.
(b) invoice PDFs: 2 x ``--pdfs`` drafts are issued (``issue_invoice`` by the billing party's
    finance, which renders and stores each PDF in the issuing transaction; the mail it queues
    kept from running; not timed); then the PDFs of the first half are rendered again by
    ``invoice_pdf`` in 1 process, those of the other half in 2 processes (fork, each with its
    own database connection, the invoices split between them). Invoices per second of each,
    the scaling ratio 2 processes / 1 (target >= 1.8) and the median render time of an
    invoice.

    .venv/bin/python bench/billing.py [--transit 2000] [--leases 2000] [--customers 400]
        [--pdfs 200] [--period 2026-10] [--time-zone UTC]

``BENCH_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/tcfo_bench_billing) is
dropped and created again: never point it at a database you care about. PDFs go to a temporary
``MEDIA_ROOT``. Setup is not timed.
"""

from __future__ import annotations

import argparse
import datetime
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
BENCH_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tcfo_bench_billing"
)
os.environ["BENCH_DATABASE_URL"] = BENCH_URL  # bench/usage.py's helpers read it on import

import usage  # noqa: E402 - bench/usage.py: database, cloning, traffic and COPY helpers

ACTIVATED_ON = datetime.date(2026, 1, 1)
OWNED_FROM = datetime.date(2024, 1, 1)


# --- setup --------------------------------------------------------------------------------------


def clone_sales(
    template: Any, count: int, customers: list[Any], ports: list[int] | None = None
) -> None:
    """``count`` copies of a completed sale's rows (quote, allocation, its transit port if any,
    order and its history, service, contract and SLA tiers), bulk-inserted, the n-th sold to
    ``customers[(n + 1) % len(customers)]`` (the template is the 0th)."""
    from django.db import transaction

    from leasing.models import (
        CapacityAllocation,
        Contract,
        Order,
        OrderTransition,
        Quote,
        Service,
        SlaCreditTier,
        TransitPortReservation,
    )

    order = Order.objects.get(pk=template.order_id)
    quote = order.quote
    allocation = CapacityAllocation.objects.get(pk=template.allocation_id)
    reservation = TransitPortReservation.objects.filter(allocation=allocation).first()
    contract = Contract.objects.get(service=template)
    transitions = list(OrderTransition.objects.filter(order=order))
    tiers = list(SlaCreditTier.objects.filter(contract=contract))
    code = template.circuit_id.rsplit("-", 1)[0]
    size = 500
    with transaction.atomic():
        for first in range(0, count, size):
            n = min(size, count - first)
            buyers = [customers[(first + i + 1) % len(customers)].pk for i in range(n)]
            quotes = Quote.objects.bulk_create([_c(quote, customer_id=b) for b in buyers])
            allocations = CapacityAllocation.objects.bulk_create([_c(allocation) for _ in range(n)])
            if reservation is not None:
                TransitPortReservation.objects.bulk_create(
                    [
                        _c(reservation, allocation_id=a.pk, start=port, end=port + 1)
                        for a, port in zip(allocations, ports[first : first + n], strict=True)
                    ]
                )
            orders = Order.objects.bulk_create(
                [
                    _c(order, quote_id=q.pk, allocation_id=a.pk, customer_id=b)
                    for q, a, b in zip(quotes, allocations, buyers, strict=True)
                ]
            )
            for a, o in zip(allocations, orders, strict=True):
                a.reference = f"order {o.pk}"
            CapacityAllocation.objects.bulk_update(allocations, ["reference"])
            OrderTransition.objects.bulk_create(
                [_c(t, order_id=o.pk) for o in orders for t in transitions]
            )
            made = Service.objects.bulk_create(
                [
                    _c(template, circuit_id=None, order_id=o.pk, allocation_id=a.pk, customer_id=b)
                    for o, a, b in zip(orders, allocations, buyers, strict=True)
                ]
            )
            for service in made:
                service.circuit_id = f"{code}-{service.pk:06d}"
            Service.objects.bulk_update(made, ["circuit_id"])
            contracts = Contract.objects.bulk_create(
                [
                    _c(contract, service_id=s.pk, customer_id=b)
                    for s, b in zip(made, buyers, strict=True)
                ]
            )
            SlaCreditTier.objects.bulk_create(
                [_c(t, contract_id=c.pk) for c in contracts for t in tiers]
            )


def _c(obj: Any, **changes: Any) -> Any:
    return usage._clone(obj, **changes)


def set_up(args: argparse.Namespace) -> SimpleNamespace:
    """Migrate; the network, products and prices; one transit and one lease sale through the
    orders (quote, order, acknowledgement, provisioning, completion), copied to make
    ``--transit`` and ``--leases`` of them; a usage port per transit service; AZ VAT."""
    import django

    os.environ.update(usage.SERVER_ENV)
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="tcfo-bench-billing-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tcfo_portal.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from billing.models import TaxRate, UsagePort
    from leasing.choices import (
        CommercialForm,
        GridType,
        ProductKind,
        SegmentMedium,
        SiteKind,
    )
    from leasing.models import (
        FiberPair,
        Price,
        Product,
        Segment,
        Service,
        Site,
        TransitPortPool,
        TransitPortReservation,
    )
    from leasing.models import Path as NetPath
    from leasing.services.inventory import set_path_segments, set_segment_ownership
    from leasing.services.orders import (
        acknowledge_order,
        complete_order,
        create_quote,
        place_order,
        start_provisioning,
    )
    from leasing.tasks import render_order_form
    from organisations.models import Organisation

    azt = Organisation.objects.create(
        kind="operator", name="Bench Operator", legal_name="Bench Operator", country="AZ",
        invoice_prefix="BEN", time_zone=args.time_zone,
    )  # fmt: skip
    ktc = Organisation.objects.create(
        kind="operator", name="Bench Partner", legal_name="Bench Partner", country="KZ",
        invoice_prefix="BPK", time_zone=args.time_zone,
    )  # fmt: skip
    customers = [
        Organisation.objects.create(
            kind="customer", name=f"Customer {n:04d}", legal_name=f"Customer {n:04d}",
            country="AZ" if n % 2 else "DE", billing_email=f"billing{n}@customer.test",
        )
        for n in range(args.customers)
    ]  # fmt: skip
    TaxRate.objects.create(country="AZ", rate_percent=Decimal(18), valid_from=OWNED_FROM)
    bak = Site.objects.create(
        code="BAK", name="Baku", kind=SiteKind.POP, country="AZ", operator=azt
    )
    cls = Site.objects.create(
        code="CLS", name="Landing", kind=SiteKind.CLS, country="AZ", operator=azt
    )
    akt = Site.objects.create(
        code="AKT", name="Aktau", kind=SiteKind.POP, country="KZ", operator=ktc
    )
    land = Segment.objects.create(
        code="BAK-CLS", name="land", a_site=bak, z_site=cls, medium=SegmentMedium.TERRESTRIAL,
        length_km=Decimal(40), design_capacity_gbps=4000,
    )  # fmt: skip
    sea = Segment.objects.create(
        code="CLS-AKT", name="sea", a_site=cls, z_site=akt, medium=SegmentMedium.SUBSEA,
        length_km=Decimal(380), settlement_weight=Decimal(760), design_capacity_gbps=4000,
    )  # fmt: skip
    set_segment_ownership(segment=land, valid_from=OWNED_FROM, shares={azt: Decimal(100)})
    set_segment_ownership(
        segment=sea, valid_from=OWNED_FROM, shares={azt: Decimal(50), ktc: Decimal(50)}
    )
    path = NetPath.objects.create(code="BAK-AKT", name="Baku - Aktau", a_site=bak, z_site=akt)
    set_path_segments(path=path, segments=[land, sea])
    for segment in (land, sea):
        FiberPair.objects.create(
            segment=segment, name="FP1", grid=GridType.FIXED_50, band_start_slot=-2,
            band_end_slot=14,
        )  # fmt: skip
    wl100 = Product.objects.create(
        code="WL100", name="100G wavelength", kind=ProductKind.WAVELENGTH,
        commercial_form=CommercialForm.LEASE, bandwidth_mbps=100_000, spectrum_ghz=Decimal(50),
    )  # fmt: skip
    ipt10 = Product.objects.create(
        code="IPT10", name="IP transit 10G port", kind=ProductKind.TRANSIT,
        commercial_form=CommercialForm.USAGE, bandwidth_mbps=usage.PORT_SPEED_BPS // 1_000_000,
    )  # fmt: skip
    Price.objects.create(
        product=wl100, path=path, term_months=12, valid_from=ACTIVATED_ON, currency="USD",
        mrc=Decimal("12500.00"), nrc=Decimal("5000.00"),
    )  # fmt: skip
    Price.objects.create(
        product=ipt10, site=bak, term_months=12, valid_from=ACTIVATED_ON, currency="USD",
        commit_price_per_mbps=Decimal("0.45"), burst_price_per_mbps=Decimal("0.60"),
    )  # fmt: skip
    pool = TransitPortPool.objects.create(
        site=bak, port_speed_mbps=ipt10.bandwidth_mbps, ports=max(5000, args.transit)
    )

    def sale(**kwargs: Any) -> Service:
        quote = create_quote(
            customer=customers[0], term_months=12, start_date=ACTIVATED_ON, by="bench",
            backdated=True, **kwargs,
        )  # fmt: skip
        order = place_order(quote=quote, by="bench")
        acknowledge_order(order=order, by="bench")
        start_provisioning(order=order, by="bench")
        return complete_order(order=order, by="bench", ready_for_service_date=ACTIVATED_ON)

    # No order form PDFs: they would be rendered (eagerly, without Redis) into MEDIA_ROOT.
    with mock.patch.object(render_order_form, "delay"):
        transit = sale(product=ipt10, site=bak, commit_mbps=2000) if args.transit else None
        lease = sale(product=wl100, path=path) if args.leases else None
    if transit is not None:
        taken = TransitPortReservation.objects.get(allocation_id=transit.allocation_id).start
        free = [n for n in range(pool.ports) if n != taken]
        clone_sales(transit, args.transit - 1, customers, free)
    if lease is not None:
        clone_sales(lease, args.leases - 1, customers)
    services = list(Service.objects.filter(product=ipt10).order_by("pk"))
    ports = UsagePort.objects.bulk_create(
        [UsagePort(service=s, name="default") for s in services], batch_size=1000
    )
    for service, port in zip(services, ports, strict=True):
        service.port_id = port.pk
    return SimpleNamespace(transit=services, operator=azt)


# --- (a) the billing run ------------------------------------------------------------------------


def run_billing(args: argparse.Namespace, transit: list[Any]) -> bool:
    """(a). Returns False on a correctness failure."""
    from django.db.models import Count

    from billing.choices import BillingRunStatus
    from billing.models import Invoice, InvoiceLine, LineAllocation, UsagePercentile
    from billing.periods import period_bounds
    from billing.services.runs import contracts_of, start_run

    start, end = period_bounds(args.period, args.time_zone)
    first = start - start % 86_400
    days = -(-(end - first) // 86_400)
    period_buckets = (end - start) // usage.BUCKET
    started = time.perf_counter()
    if transit:
        usage.load_month(args, transit, first, days)
    print(
        f"    data: {len(transit) * days:,} rows of billing_usageday ({days} UTC days, "
        f"{period_buckets:,} buckets a service in the period, {args.missing:.1%} missing) and "
        f"the same buckets in bench_samples, loaded with COPY in "
        f"{time.perf_counter() - started:.0f} s (not timed)"
    )
    connection = usage.connect()
    try:
        plain_started = time.perf_counter()
        plain = dict(connection.execute(usage.PLAIN_P95_SQL, (start, end)).fetchall())
        plain_seconds = time.perf_counter() - plain_started
        work_mem = connection.execute("SHOW work_mem").fetchone()[0]
    finally:
        connection.close()

    total = contracts_of(args.period).count()
    started = time.perf_counter()
    run, queued = start_run(period=args.period, by="bench")
    run.refresh_from_db()
    while run.status != BillingRunStatus.DONE and time.perf_counter() - started < 3600:
        if run.status == BillingRunStatus.FAILED:
            break
        time.sleep(0.05)
        run.refresh_from_db()
    seconds = time.perf_counter() - started

    lines = InvoiceLine.objects.filter(invoice__period=args.period).count()
    allocations = LineAllocation.objects.filter(line__invoice__period=args.period).count()
    invoices = Invoice.objects.filter(period=args.period).count()
    by_kind = dict(
        InvoiceLine.objects.filter(invoice__period=args.period)
        .values_list("kind")
        .annotate(n=Count("pk"))
    )
    stored = dict(
        UsagePercentile.objects.filter(period=args.period).values_list("service_id", "billable_bps")
    )
    mismatches = sum(1 for s in transit if stored.get(s.pk) != plain.get(s.pk))
    ratio = seconds / plain_seconds if plain_seconds else float("inf")
    print(
        f"    ours: start_run(period={args.period!r}, by='bench') until the run is "
        f"{run.status}: {seconds:.2f} s for {run.contracts_rated:,} of {total:,} contracts = "
        f"{run.contracts_rated / seconds:,.0f} contracts/s"
    )
    print(
        f"          {lines:,} lines ({', '.join(f'{k} {n:,}' for k, n in sorted(by_kind.items()))})"
        f", {allocations:,} allocations, {invoices:,} draft invoices; run.lines_created "
        f"{run.lines_created:,}{'' if queued else ' (NOT queued)'}"
    )
    print(
        f"    PostgreSQL: one percentile_disc(0.95) GROUP BY query over bench_samples "
        f"({len(plain):,} services, work_mem {work_mem}): {plain_seconds:.2f} s"
    )
    print(
        f"    ratio ours/percentile_disc = {ratio:.3f} (target <= 2.0: "
        f"{'target met' if ratio <= 2.0 else 'target missed'})"
    )
    print(
        f"    check: services whose stored billable 95th differs from PostgreSQL's: "
        f"{mismatches} of {len(transit):,} (must be 0); run status {run.status} (must be done)"
        + (f"; error: {run.error[:300]}" if run.error else "")
    )
    return mismatches == 0 and run.status == BillingRunStatus.DONE and lines == run.lines_created


# --- (b) PDFs -----------------------------------------------------------------------------------


def render(invoice_ids: list[int]) -> list[float]:
    """Render the PDFs of ``invoice_ids`` one by one; the seconds each took."""
    from billing.models import Invoice
    from billing.services.invoices import invoice_pdf

    times = []
    for pk in invoice_ids:
        started = time.perf_counter()
        invoice_pdf(Invoice.objects.select_related("billing_party", "customer").get(pk=pk))
        times.append(time.perf_counter() - started)
    from django.db import connections

    connections.close_all()
    return times


def render_in(processes: int, invoice_ids: list[int]) -> tuple[float, list[list[float]]]:
    """Wall seconds to render ``invoice_ids`` in ``processes`` forked processes (each with its
    own connection, every one its own share of the invoices), and each invoice's seconds."""
    from django.db import connections

    connections.close_all()  # no connection shared with a child
    shares = [invoice_ids[n::processes] for n in range(processes)]
    context = multiprocessing.get_context("fork")
    started = time.perf_counter()
    with context.Pool(processes) as pool:
        results = pool.map(render, shares)
    seconds = time.perf_counter() - started
    return seconds, results


def run_pdfs(args: argparse.Namespace) -> bool:
    """(b). Returns False on a correctness failure."""
    from billing import tasks
    from billing.models import Invoice
    from billing.services.invoices import issue_invoice
    from organisations.access import SystemActor
    from organisations.choices import Role

    drafts = list(
        Invoice.objects.filter(period=args.period, status="draft", lines__isnull=False)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)[: 2 * args.pdfs]
    )
    count = len(drafts) // 2
    started = time.perf_counter()
    # issue_invoice renders and stores the PDF, and queues the mail on commit: kept from running.
    parties = dict(
        Invoice.objects.filter(pk__in=drafts).values_list("pk", "billing_party").distinct()
    )
    from organisations.models import Organisation

    finance = {
        party.pk: SystemActor(party, Role.OPERATOR_FINANCE, "bench finance")
        for party in Organisation.objects.filter(pk__in=set(parties.values()))
    }
    with mock.patch.object(tasks.mail_invoice, "delay") as queued:
        for pk in drafts[: 2 * count]:
            issue_invoice(invoice=Invoice(pk=pk), actor=finance[parties[pk]])
    first, second = drafts[:count], drafts[count : 2 * count]
    lines = Invoice.objects.filter(pk__in=drafts).values_list("lines").count()
    print(
        f"    {2 * count:,} invoices issued with their PDFs in "
        f"{time.perf_counter() - started:.0f} s (not timed; {queued.call_count} mails kept from "
        f"being sent), {lines / max(1, 2 * count):.1f} lines an invoice; PDFs rendered again "
        f"by invoice_pdf"
    )
    if count == 0:
        print("    no invoices to render")
        return False
    one, one_times = render_in(1, first)
    two, two_times = render_in(2, second)
    rate_one, rate_two = count / one, count / two
    firsts = [times[0] for times in one_times + two_times if times]
    one_times = [t for times in one_times for t in times]
    two_times = [t for times in two_times for t in times]
    scaling = rate_two / rate_one
    print(
        f"    1 process : {count:,} invoices in {one:.2f} s = {rate_one:.2f} invoices/s "
        f"(median {statistics.median(one_times) * 1000:.0f} ms an invoice)"
    )
    print(
        f"    2 processes: {count:,} other invoices in {two:.2f} s = {rate_two:.2f} invoices/s "
        f"(median {statistics.median(two_times) * 1000:.0f} ms an invoice)"
    )
    print(
        f"    scaling 2 processes / 1 = {scaling:.2f}x (target >= 1.8x: "
        f"{'target met' if scaling >= 1.8 else 'target missed'}); {os.cpu_count()} CPUs"
    )
    print(
        "    (wall times include forking the processes; the first invoice of each process took "
        f"{', '.join(f'{t * 1000:.0f}' for t in firsts)} ms)"
    )
    missing = Invoice.objects.filter(pk__in=drafts[: 2 * count], pdf="").count()
    print(f"    check: issued invoices without a PDF: {missing} of {2 * count} (must be 0)")
    return missing == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transit", type=int, default=2000, help="IP transit contracts")
    parser.add_argument("--leases", type=int, default=2000, help="wavelength lease contracts")
    parser.add_argument("--customers", type=int, default=400, help="customers (= invoices)")
    parser.add_argument("--pdfs", type=int, default=200, help="(b): invoices a side")
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--time-zone", default="UTC", help="the billing party's, e.g. Asia/Baku")
    parser.add_argument("--missing", type=float, default=0.002, help="share of missing buckets")
    parser.add_argument("--seed", type=int, default=20261001)
    parser.add_argument("--skip-pdfs", action="store_true")
    args = parser.parse_args()
    if args.customers < 1 or (args.transit + args.leases) < 1:
        parser.error("at least one customer and one contract are needed")

    started = time.perf_counter()
    usage.recreate_database()
    made = set_up(args)
    print(
        f"setup: {args.transit:,} IP transit and {args.leases:,} wavelength lease contracts of "
        f"{args.customers:,} customers, billing party in {args.time_zone}, in "
        f"{time.perf_counter() - started:.0f} s (not timed); PostgreSQL, {os.cpu_count()} CPUs"
    )
    print(
        f"(a) billing run of {args.period}: stored samples to draft invoices with lines and "
        f"allocations (no PDFs), Celery eager"
    )
    ok = run_billing(args, made.transit)
    if not args.skip_pdfs:
        print(f"(b) invoice PDFs: {args.pdfs} invoices with 1 process, {args.pdfs} with 2")
        ok = run_pdfs(args) and ok
    print("correctness: " + ("ok" if ok else "FAILED"))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
