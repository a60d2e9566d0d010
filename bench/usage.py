"""Benchmark: usage metering storage: bulk ingest, monthly 95th percentiles, bytes on disk.

Runs on a PostgreSQL database of its own with ``--services`` completed 10G IP transit services
(one usage port each) billed by an operator whose time zone (``--time-zone``, UTC by default)
sets the month's bounds, and prints, each with its target:

(a) bulk ingest through the HTTP API to a real server (gunicorn) from several client threads:
    ``POST /api/v1/usage/series/`` (a series of rates per service), and for comparison the
    contract's per-sample ``POST /api/v1/usage/samples/``, each against psycopg ``COPY`` of the
    same amount of data (each side its own services, same days, same values) into
    ``billing_usageday``, building the packed day arrays with NumPy as part of the timed work.
    Ratio API / COPY samples per second, target >= 0.5.
(b) the month's 95th percentile of every service (``record_percentiles`` over
    ``services_for_usage()``) against one PostgreSQL ``percentile_disc(0.95)`` GROUP BY query
    over a plain row-per-sample table of the same data; both must give the same billable figure
    for every service (exit status 1 otherwise). Ratio ours / PostgreSQL, target <= 1.0.
(c) bytes per bucket on disk (table, TOAST and indexes) of the storage of (b), after VACUUM
    ANALYZE, with the plain table's for comparison. Target <= 40.

    .venv/bin/python bench/usage.py [--services 2000] [--ingest-services 200] [--ingest-days 2]
        [--rounds 3] [--batch 14400] [--series-batch 28800] [--clients 4] [--workers 4]
        [--period 2026-10] [--time-zone UTC] [--repeat 2] [--profile] [--day-compression lz4|pglz]

``BENCH_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/tcfo_bench_usage) is dropped
and created again: never point it at a database you care about. Setup is not timed.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import pstats
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tcfo_bench_usage"
)
SERVER_ENV = {
    "DATABASE_URL": BENCH_URL,
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    "LOG_LEVEL": "ERROR",
    "REDIS_URL": "",
    "PYTHONWARNINGS": "ignore:No directory at",  # no collectstatic: the API serves no assets
    # Throughput is measured, not the API's abuse limits.
    "TCFO_API_RATE": "off",
    "TCFO_API_INGEST_RATE": "off",
    # The payload files of (a) go to a folder of the run's own, removed at the end.
    "MEDIA_ROOT": tempfile.mkdtemp(prefix="tcfo-bench-usage-"),
}
BUCKET = 300
DAY_BUCKETS = 86_400 // BUCKET
PORT_SPEED_BPS = 10_000_000_000  # IPT10
ACTIVATED_ON = datetime.date(2026, 1, 1)
EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
COPY_DAYS_SQL = "COPY billing_usageday (port_id, day, in_bps, out_bps) FROM STDIN"
PLAIN_P95_SQL = """
    SELECT service_id,
           GREATEST(percentile_disc(0.95) WITHIN GROUP (ORDER BY in_bps),
                    percentile_disc(0.95) WITHIN GROUP (ORDER BY out_bps))
      FROM bench_samples
     WHERE ts >= %s AND ts < %s
     GROUP BY service_id
"""
PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
PGCOPY_TRAILER = b"\xff\xff"
SAMPLE_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("l_service", ">i4"),
        ("service", ">i4"),
        ("l_ts", ">i4"),
        ("ts", ">i8"),
        ("l_in", ">i4"),
        ("in_bps", ">i8"),
        ("l_out", ">i4"),
        ("out_bps", ">i8"),
    ]
)


# --- database and server ------------------------------------------------------------------------


def recreate_database() -> None:
    import psycopg

    name = urlparse(BENCH_URL).path.lstrip("/")
    admin_url = BENCH_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def connect() -> Any:
    """A plain psycopg connection to the bench database (COPY, the plain-table query)."""
    import psycopg

    return psycopg.connect(BENCH_URL)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "tcfo_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **SERVER_ENV, "DJANGO_ALLOWED_HOSTS": "127.0.0.1"},
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/api/schema/", timeout=5)  # noqa: S310
            break
        except OSError:
            time.sleep(0.2)
    return server, base


def post(url: str, key: str, data: bytes) -> tuple[int, Any, float]:
    request = urllib.request.Request(  # noqa: S310 - our own local server
        url,
        data=data,
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    elapsed = time.perf_counter() - started
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = raw[:500]
    return status, payload, elapsed


# --- setup --------------------------------------------------------------------------------------


def _clone(obj: Any, **changes: Any) -> Any:
    """A new unsaved instance with ``obj``'s field values, and ``changes`` (by attname)."""
    values = {
        field.attname: getattr(obj, field.attname)
        for field in type(obj)._meta.concrete_fields
        if not field.primary_key
    }
    values.update(changes)
    return type(obj)(**values)


def set_up(services: int, time_zone: str, compression: str) -> tuple[str, list[Any]]:
    """Migrate; make ``services`` completed 10G IP transit services, each with one port.

    The first goes through the sale (quote, order, acknowledgement, provisioning, completion);
    the others are copies of its rows (quote, allocation, port reservation, order and its
    history, service, contract and SLA tiers) with their own port of the pool, bulk-inserted.
    Returns the secret of an operator_network API key and the services (with ``port_id``).
    """
    from decimal import Decimal

    import django

    os.environ.update(SERVER_ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tcfo_portal.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    if compression != "lz4":  # the storage before migration 0011, for comparison
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE billing_usageday ALTER COLUMN in_bps SET COMPRESSION {compression}, "
                f"ALTER COLUMN out_bps SET COMPRESSION {compression}"
            )
    from billing.models import UsagePort
    from leasing.choices import CommercialForm, ProductKind, SiteKind
    from leasing.models import (
        CapacityAllocation,
        Contract,
        Order,
        OrderTransition,
        Price,
        Product,
        Quote,
        Service,
        Site,
        SlaCreditTier,
        TransitPortPool,
        TransitPortReservation,
    )
    from leasing.services.orders import (
        acknowledge_order,
        complete_order,
        create_quote,
        place_order,
        start_provisioning,
    )
    from leasing.tasks import render_order_form
    from organisations.models import Organisation
    from organisations.services import create_api_key

    operator = Organisation.objects.create(
        kind="operator", name="Bench Operator", legal_name="Bench Operator", country="AZ",
        invoice_prefix="BEN", time_zone=time_zone,
    )  # fmt: skip
    customer = Organisation.objects.create(
        kind="customer", name="Bench Customer", legal_name="Bench Customer", country="DE"
    )
    site = Site.objects.create(
        code="BEN-POP", name="Bench PoP", kind=SiteKind.POP, country="AZ", operator=operator
    )
    product = Product.objects.create(
        code="IPT10", name="IP transit 10G port", kind=ProductKind.TRANSIT,
        commercial_form=CommercialForm.USAGE, bandwidth_mbps=PORT_SPEED_BPS // 1_000_000,
    )  # fmt: skip
    Price.objects.create(
        product=product, site=site, term_months=12, valid_from=ACTIVATED_ON, currency="USD",
        commit_price_per_mbps=Decimal("0.45"), burst_price_per_mbps=Decimal("0.60"),
    )  # fmt: skip
    pool = TransitPortPool.objects.create(
        site=site, port_speed_mbps=product.bandwidth_mbps, ports=max(5000, services)
    )
    # No order form PDFs: they would be rendered (eagerly, without Redis) into MEDIA_ROOT.
    with mock.patch.object(render_order_form, "delay"):
        quote = create_quote(
            customer=customer, product=product, term_months=12, start_date=ACTIVATED_ON,
            site=site, commit_mbps=2000, by="bench", backdated=True,
        )  # fmt: skip
        order = place_order(quote=quote, by="bench")
        acknowledge_order(order=order, by="bench")
        start_provisioning(order=order, by="bench")
        template = complete_order(order=order, by="bench", ready_for_service_date=ACTIVATED_ON)

    order = Order.objects.get(pk=template.order_id)
    quote = order.quote
    allocation = CapacityAllocation.objects.get(pk=template.allocation_id)
    reservation = TransitPortReservation.objects.get(allocation=allocation)
    contract = Contract.objects.get(service=template)
    transitions = list(OrderTransition.objects.filter(order=order))
    tiers = list(SlaCreditTier.objects.filter(contract=contract))
    free = [n for n in range(pool.ports) if n != reservation.start]
    size = 500
    with transaction.atomic():
        for first in range(0, services - 1, size):
            count = min(size, services - 1 - first)
            quotes = Quote.objects.bulk_create([_clone(quote) for _ in range(count)])
            allocations = CapacityAllocation.objects.bulk_create(
                [_clone(allocation) for _ in range(count)]
            )
            TransitPortReservation.objects.bulk_create(
                [
                    _clone(reservation, allocation_id=a.pk, start=port, end=port + 1)
                    for a, port in zip(allocations, free[first : first + count], strict=True)
                ]
            )
            orders = Order.objects.bulk_create(
                [
                    _clone(order, quote_id=q.pk, allocation_id=a.pk)
                    for q, a in zip(quotes, allocations, strict=True)
                ]
            )
            for a, o in zip(allocations, orders, strict=True):
                a.reference = f"order {o.pk}"
            CapacityAllocation.objects.bulk_update(allocations, ["reference"])
            OrderTransition.objects.bulk_create(
                [_clone(t, order_id=o.pk) for o in orders for t in transitions]
            )
            made = Service.objects.bulk_create(
                [
                    _clone(template, circuit_id=None, order_id=o.pk, allocation_id=a.pk)
                    for o, a in zip(orders, allocations, strict=True)
                ]
            )
            for service in made:
                service.circuit_id = f"TCFO-{product.code}-{service.pk:06d}"
            Service.objects.bulk_update(made, ["circuit_id"])
            contracts = Contract.objects.bulk_create(
                [_clone(contract, service_id=s.pk) for s in made]
            )
            SlaCreditTier.objects.bulk_create(
                [_clone(t, contract_id=c.pk) for c in contracts for t in tiers]
            )
        all_services = list(Service.objects.order_by("pk"))
        ports = UsagePort.objects.bulk_create(
            [UsagePort(service=s, name="default") for s in all_services], batch_size=1000
        )
    for service, port in zip(all_services, ports, strict=True):
        service.port_id = port.pk
    key = create_api_key(organisation=operator, name="bench", role="operator_network")[1]
    return key, all_services


# --- traffic ------------------------------------------------------------------------------------


def traffic(
    rng: np.random.Generator, services: int, start: int, buckets: int
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded 5-minute rates (bit/s) of ``services`` from ``start``: a daily curve and noise."""
    base = rng.uniform(5e7, 4e9, size=(services, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(services, 1))
    out_share = rng.uniform(0.2, 1.5, size=(services, 1))
    times = start + BUCKET * np.arange(buckets, dtype=np.int64)
    daily = 1 + 0.6 * np.sin(2 * np.pi * (times % 86_400) / 86_400 + phase)
    ins = base * daily * rng.lognormal(0, 0.35, size=(services, buckets))
    outs = base * out_share * daily * rng.lognormal(0, 0.35, size=(services, buckets))
    clip = PORT_SPEED_BPS - 1
    return (
        np.clip(ins, 0, clip).astype(np.int64),
        np.clip(outs, 0, clip).astype(np.int64),
    )


def iso(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_day(ts: int) -> datetime.date:
    return datetime.date.fromordinal(EPOCH_ORDINAL + ts // 86_400)


def copy_days(
    cursor: Any, port_ids: np.ndarray, days: np.ndarray, ins: np.ndarray, outs: np.ndarray
) -> None:
    """COPY rows (port, UTC day number, 288 rates in, 288 out) into billing_usageday."""
    with cursor.copy(COPY_DAYS_SQL) as copy:
        for port_id, day, day_in, day_out in zip(port_ids, days, ins, outs, strict=True):
            copy.write_row(
                (
                    int(port_id),
                    datetime.date.fromordinal(EPOCH_ORDINAL + int(day)),
                    day_in.astype("<i8", copy=False).tobytes(),
                    day_out.astype("<i8", copy=False).tobytes(),
                )
            )


def copy_samples(
    connection: Any, port_ids: np.ndarray, ts: np.ndarray, ins: np.ndarray, outs: np.ndarray
) -> None:
    """The COPY path of (a), all timed: samples (as columns) to packed days, then COPY."""
    day_numbers = ts // 86_400
    slots = (ts % 86_400) // BUCKET
    keys = port_ids.astype(np.int64) * 1_000_000 + day_numbers
    unique, row = np.unique(keys, return_inverse=True)
    day_in = np.full((unique.size, DAY_BUCKETS), -1, dtype="<i8")
    day_out = np.full((unique.size, DAY_BUCKETS), -1, dtype="<i8")
    day_in[row, slots] = ins
    day_out[row, slots] = outs
    with connection.cursor() as cursor:
        copy_days(cursor, unique // 1_000_000, unique % 1_000_000, day_in, day_out)
    connection.commit()


# --- (a) ingest ---------------------------------------------------------------------------------


def ingest_bodies(
    services: list[Any], start: int, ins: np.ndarray, outs: np.ndarray, batch: int
) -> list[bytes]:
    """The API requests: samples ordered by service then time, ``batch`` to a request."""
    buckets = ins.shape[1]
    stamps = [iso(start + BUCKET * n) for n in range(buckets)]
    samples = [
        {"circuit_id": s.circuit_id, "ts": stamps[n], "in_bps": int(a), "out_bps": int(b)}
        for s, row_in, row_out in zip(services, ins.tolist(), outs.tolist(), strict=True)
        for n, (a, b) in enumerate(zip(row_in, row_out, strict=True))
    ]
    return [
        json.dumps({"samples": samples[i : i + batch]}, separators=(",", ":")).encode()
        for i in range(0, len(samples), batch)
    ]


def series_bodies(
    services: list[Any], start: int, ins: np.ndarray, outs: np.ndarray, batch: int
) -> list[bytes]:
    """The requests to ``/usage/series/``: a series per service, about ``batch`` samples (whole
    services) to a request."""
    per_request = max(1, batch // ins.shape[1])
    first = iso(start)
    return [
        json.dumps(
            {
                "series": [
                    {"circuit_id": s.circuit_id, "start": first, "in_bps": a, "out_bps": b}
                    for s, a, b in zip(
                        services[i : i + per_request],
                        ins[i : i + per_request].tolist(),
                        outs[i : i + per_request].tolist(),
                        strict=True,
                    )
                ]
            },
            separators=(",", ":"),
        ).encode()
        for i in range(0, len(services), per_request)
    ]


def stored_mismatches(services: list[Any], start: int, ins: np.ndarray, outs: np.ndarray) -> int:
    """Service-days whose stored arrays differ from what was sent (or are not there)."""
    from billing.models import UsageDay

    days = ins.shape[1] // DAY_BUCKETS
    first = utc_day(start)
    rows = {
        (port_id, day): (bytes(a), bytes(b))
        for port_id, day, a, b in UsageDay.objects.filter(
            port_id__in=[s.port_id for s in services]
        ).values_list("port_id", "day", "in_bps", "out_bps")
    }
    bad = 0
    for number, service in enumerate(services):
        for d in range(days):
            part = slice(d * DAY_BUCKETS, (d + 1) * DAY_BUCKETS)
            want = (
                ins[number, part].astype("<i8").tobytes(),
                outs[number, part].astype("<i8").tobytes(),
            )
            if rows.get((service.port_id, first + datetime.timedelta(days=d))) != want:
                bad += 1
    return bad


def run_ingest(args: argparse.Namespace, key: str, services: list[Any]) -> bool:
    """(a): the API's two bulk endpoints against COPY, ``--rounds`` times on successive days.
    False on a failure."""
    count, days = args.ingest_services, args.ingest_days
    first = int(
        datetime.datetime.combine(args.ingest_start, datetime.time(), datetime.UTC).timestamp()
    )
    buckets = days * DAY_BUCKETS
    samples = count * buckets
    rng = np.random.default_rng(args.seed)
    # Each side writes the very same values, for services of its own.
    sides = {
        "samples": services[:count],
        "series": services[count : 2 * count],
        "COPY": services[2 * count : 3 * count],
    }
    copy_ports = np.repeat(np.array([s.port_id for s in sides["COPY"]], np.int64), buckets)
    print(
        f"(a) bulk ingest: {count} services x {days} days = {samples:,} samples a side and "
        f"round, {args.rounds} rounds on successive days from {args.ingest_start}, each side "
        "first in one round"
    )
    server, base = start_server(args.workers, args.threads)
    urls = {side: f"{base}/api/v1/usage/{side}/" for side in ("samples", "series")}
    times: dict[str, list[float]] = {side: [] for side in sides}
    failed, bad, accepted = [], 0, dict.fromkeys(urls, 0)
    try:
        empty = json.dumps({"samples": []}).encode()
        with ThreadPoolExecutor(max_workers=args.clients) as pool:  # warm every worker up
            warm = list(
                pool.map(lambda _: post(urls["samples"], key, empty)[0], range(2 * args.workers))
            )
        if any(status != 200 for status in warm):
            print(f"    warm-up requests failed: {warm}")
            return False
        floors = [
            sorted(post(urls[side], key, body)[2] for _ in range(25))[12]
            for side, body in (("samples", empty), ("series", b'{"series":[]}'))
        ]
        print(
            f"    a request of no samples (HTTP, key, transaction, batch record, payload file) "
            f"takes {floors[0] * 1000:.1f} ms to /samples/, {floors[1] * 1000:.1f} ms to "
            "/series/, one at a time (median of 25)"
        )
        for number in range(args.rounds):
            start = first + number * buckets * BUCKET
            ins, outs = traffic(rng, count, start, buckets)
            bodies = {
                "samples": ingest_bodies(sides["samples"], start, ins, outs, args.batch),
                "series": series_bodies(sides["series"], start, ins, outs, args.series_batch),
            }
            if number == 0:
                for side, side_bodies in bodies.items():
                    print(
                        f"    API {side}: {len(side_bodies)} requests a round "
                        f"({max(len(b) for b in side_bodies) / 1e6:.2f} MB JSON at most), "
                        f"{args.clients} client threads, gunicorn {args.workers} workers x "
                        f"{args.threads} threads"
                    )
                print(
                    "    COPY: the same values as sample columns (port, ts, in, out) packed into "
                    "days with NumPy, then COPY (text format), one connection"
                )
            column_ts = np.tile(start + BUCKET * np.arange(buckets, dtype=np.int64), count)
            line = []
            order = list(sides)[number % 3 :] + list(sides)[: number % 3]  # each side first once
            for side in order:
                started = time.perf_counter()
                if side == "COPY":
                    connection = connect()
                    try:
                        started = time.perf_counter()
                        copy_samples(connection, copy_ports, column_ts, ins.ravel(), outs.ravel())
                        times[side].append(time.perf_counter() - started)
                    finally:
                        connection.close()
                else:
                    with ThreadPoolExecutor(max_workers=args.clients) as pool:
                        results = list(
                            pool.map(
                                lambda body, url=urls[side]: post(url, key, body), bodies[side]
                            )
                        )
                    times[side].append(time.perf_counter() - started)
                    failed += [(status, body) for status, body, _ in results if status != 200]
                    accepted[side] += sum(
                        body["accepted"] for status, body, _ in results if status == 200
                    )
                line.append(f"{side} {samples / times[side][-1]:>10,.0f}")
            bad += sum(stored_mismatches(side, start, ins, outs) for side in sides.values())
            print(f"    round {number + 1}, samples/s: " + "; ".join(line))
    finally:
        server.terminate()
        server.wait(timeout=60)
    total = samples * args.rounds
    rates = {side: total / sum(side_times) for side, side_times in times.items()}
    print(f"    COPY: {rates['COPY']:>12,.0f} samples/s over {args.rounds} rounds")
    for side, target in (("samples", None), ("series", 0.5)):
        ratio = rates[side] / rates["COPY"]
        verdict = (
            f"target >= {target}: {'target met' if ratio >= target else 'target missed'}"
            if target
            else "the contract's per-sample body, no target of its own"
        )
        print(
            f"    API {side:<7}: {rates[side]:>12,.0f} samples/s over {args.rounds} rounds "
            f"({accepted[side]:,} of {total:,} accepted); ratio API/COPY = {ratio:.3f} "
            f"({verdict})"
        )
    print(
        f"    check: service-days stored not as sent (API and COPY): {bad} of "
        f"{len(sides) * count * days * args.rounds} (must be 0); {len(failed)} failed requests"
    )
    for status, body in failed[:3]:
        print(f"    failed request: {status} {str(body)[:300]}")
    ok = not failed and all(n == total for n in accepted.values()) and bad == 0

    if args.profile:
        per_request = -(-args.batch // buckets)
        start = first + args.rounds * buckets * BUCKET
        profile_ingest(sides["samples"][:per_request], start, args.batch, "samples")
        per_request = -(-args.series_batch // buckets)
        profile_ingest(sides["series"][:per_request], start, args.series_batch, "series")
    return ok


def profile_ingest(services: list[Any], start: int, batch: int, kind: str) -> None:
    """Where an ingest request's time goes: ``ingest_json`` (``kind`` samples) or
    ``ingest_series`` (``kind`` series), what the API views call, under cProfile, after one call
    to warm up, with bodies like the API run's (``batch`` samples of the same services, the
    following days)."""
    from billing.services.usage import ingest_json, ingest_series
    from organisations.api.authentication import ApiKeyActor
    from organisations.models import ApiKey

    def series(raw: bytes, actor: Any) -> Any:
        return ingest_series(raw, actor=actor)[0]

    make, ingest = (ingest_bodies, ingest_json) if kind == "samples" else (series_bodies, series)
    rng = np.random.default_rng(0)
    per_service = -(-batch // len(services))
    actor = ApiKeyActor(ApiKey.objects.select_related("organisation").get(name="bench"))
    bodies = []
    for number in range(3):
        first = start + number * per_service * BUCKET
        ins, outs = traffic(rng, len(services), first, per_service)
        bodies.append(make(services, first, ins, outs, batch)[0])
    ingest(bodies[0], actor=actor)
    started = time.perf_counter()
    ingest(bodies[1], actor=actor)
    plain = time.perf_counter() - started
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    result = ingest(bodies[2], actor=actor)
    profiler.disable()
    seconds = time.perf_counter() - started
    print(
        f"    profile /{kind}/: {result.size:,} samples ({len(services)} services, "
        f"{'column' if result.by_columns else 'per-sample'} path) called directly: "
        f"{plain * 1000:.1f} ms without the profiler, {seconds * 1000:.1f} ms under cProfile, "
        f"{result.count('accepted'):,} accepted; top functions by own time:"
    )
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
    print("\n".join("      " + line for line in out.getvalue().splitlines() if line.strip()))


# --- (b) and (c) percentiles and size -----------------------------------------------------------


def load_month(
    args: argparse.Namespace, services: list[Any], first: int, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Fill billing_usageday and bench_samples with the same seeded data (not timed)."""
    rng = np.random.default_rng(args.seed + 1)
    buckets = days * DAY_BUCKETS
    ins, outs = traffic(rng, len(services), first, buckets)
    missing = rng.random(size=ins.shape) < args.missing
    ins[missing] = -1
    outs[missing] = -1
    port_ids = np.array([s.port_id for s in services], np.int64)
    service_ids = np.array([s.pk for s in services], np.int64)
    day_numbers = first // 86_400 + np.arange(days, dtype=np.int64)
    times = first + BUCKET * np.arange(buckets, dtype=np.int64)
    connection = connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE billing_usageday")
            cursor.execute(
                "CREATE TABLE bench_samples "
                "(service_id int NOT NULL, ts bigint NOT NULL, in_bps bigint, out_bps bigint)"
            )
            copy_days(
                cursor,
                np.repeat(port_ids, days),
                np.tile(day_numbers, len(services)),
                ins.reshape(-1, DAY_BUCKETS),
                outs.reshape(-1, DAY_BUCKETS),
            )
            with cursor.copy("COPY bench_samples FROM STDIN (FORMAT BINARY)") as copy:
                copy.write(PGCOPY_HEADER)
                for number, service_id in enumerate(service_ids):
                    present = ins[number] != -1
                    rows = np.empty(int(present.sum()), dtype=SAMPLE_ROW)
                    rows["fields"] = 4
                    rows["l_service"], rows["l_ts"], rows["l_in"], rows["l_out"] = 4, 8, 8, 8
                    rows["service"] = service_id
                    rows["ts"] = times[present]
                    rows["in_bps"] = ins[number][present]
                    rows["out_bps"] = outs[number][present]
                    copy.write(rows.tobytes())
                copy.write(PGCOPY_TRAILER)
            cursor.execute("ALTER TABLE bench_samples ADD PRIMARY KEY (service_id, ts)")
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE billing_usageday")
        connection.execute("VACUUM ANALYZE bench_samples")
    finally:
        connection.close()
    return ins, outs


def sizes(connection: Any, table: str) -> tuple[int, int, int, int, int]:
    """Total, main fork, TOAST, indexes (bytes) and rows of ``table``."""
    total, main, indexes, toast = connection.execute(
        "SELECT pg_total_relation_size(c.oid), pg_relation_size(c.oid), pg_indexes_size(c.oid),"
        " COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0)"
        " FROM pg_class c WHERE c.oid = %s::regclass",
        (table,),
    ).fetchone()
    rows = connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
    return total, main, toast, indexes, rows


def run_percentiles(args: argparse.Namespace, services: list[Any]) -> bool:
    """(b) and (c). Returns False on a correctness failure."""
    from billing.models import UsagePercentile
    from billing.services.usage_percentiles import (
        month_usage,
        percentiles,
        period_bounds,
        record_percentiles,
        services_for_usage,
    )

    start, end = period_bounds(args.period, args.time_zone)
    first = start - start % 86_400
    days = -(-(end - first) // 86_400)
    period_buckets = (end - start) // BUCKET
    started = time.perf_counter()
    load_month(args, services, first, days)
    print(
        f"(b) 95th percentiles of {len(services):,} services for {args.period} ({args.time_zone}: "
        f"{iso(start)} to {iso(end)}, {period_buckets:,} buckets a service, in and out; "
        f"{args.missing:.1%} of buckets missing)"
    )
    print(
        f"    data: {len(services) * days:,} rows of billing_usageday ({days} UTC days) and the "
        f"same buckets in bench_samples, loaded with COPY in {time.perf_counter() - started:.0f} s"
        " (not timed)"
    )

    connection = connect()
    try:
        plain_times, ours_times, bare_times = [], [], []
        plain: dict[int, int] = {}
        for _ in range(args.repeat):
            started = time.perf_counter()
            plain = dict(connection.execute(PLAIN_P95_SQL, (start, end)).fetchall())
            plain_times.append(time.perf_counter() - started)
            connection.rollback()

            started = time.perf_counter()
            record_percentiles(services=list(services_for_usage()), period=args.period)
            ours_times.append(time.perf_counter() - started)

            started = time.perf_counter()
            listed = list(services_for_usage())
            usage = month_usage(listed, args.period)
            bare = {pk: percentiles(month).billable_bps for pk, month in usage.items()}
            bare_times.append(time.perf_counter() - started)
        work_mem = connection.execute("SHOW work_mem").fetchone()[0]
        stored = dict(
            UsagePercentile.objects.filter(period=args.period).values_list(
                "service_id", "billable_bps"
            )
        )
        mismatches = sum(
            1 for s in services if stored.get(s.pk) is None or stored.get(s.pk) != plain.get(s.pk)
        )
        bare_mismatches = sum(1 for s in services if bare.get(s.pk) != stored.get(s.pk))
        ours, postgres, bare_best = min(ours_times), min(plain_times), min(bare_times)
        ratio = ours / postgres
        print(
            f"    ours: record_percentiles(services=list(services_for_usage()), "
            f"period={args.period!r}), services query, computation and upsert of the results "
            f"included: {ours:.2f} s"
        )
        print(f"          (month_usage + percentiles without storing: {bare_best:.2f} s)")
        print(
            f"    PostgreSQL: one percentile_disc(0.95) GROUP BY query over bench_samples "
            f"(work_mem {work_mem}): {postgres:.2f} s"
        )
        if args.repeat > 1:
            print(
                f"    (best of {args.repeat}: ours "
                f"{', '.join(f'{t:.2f}' for t in ours_times)} s; PostgreSQL "
                f"{', '.join(f'{t:.2f}' for t in plain_times)} s)"
            )
        print(
            f"    ratio ours/PostgreSQL = {ratio:.3f} (target <= 1.0: "
            f"{'target met' if ratio <= 1.0 else 'target missed'})"
        )
        print(
            f"    check: services whose billable 95th differs from PostgreSQL's: {mismatches} "
            f"of {len(services):,} (must be 0); stored vs not stored: {bare_mismatches}"
        )

        total, main, toast, indexes, rows = sizes(connection, "billing_usageday")
        buckets = rows * DAY_BUCKETS
        per_bucket = total / buckets
        print(
            f"(c) bytes on disk after VACUUM ANALYZE: billing_usageday {total / 1e6:.1f} MB "
            f"(table {main / 1e6:.1f}, TOAST {toast / 1e6:.1f}, indexes {indexes / 1e6:.1f}) for "
            f"{rows:,} rows = {buckets:,} buckets: {per_bucket:.1f} bytes a bucket "
            f"(target <= 40: {'target met' if per_bucket <= 40 else 'target missed'})"
        )
        total, main, toast, indexes, rows = sizes(connection, "bench_samples")
        print(
            f"    plain row-per-sample table bench_samples (primary key service_id, ts): "
            f"{total / 1e6:.1f} MB (table {main / 1e6:.1f}, indexes {indexes / 1e6:.1f}) for "
            f"{rows:,} rows: {total / rows:.1f} bytes a bucket"
        )
    finally:
        connection.close()
    return mismatches == 0 and bare_mismatches == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=2000, help="services of (b)")
    parser.add_argument("--ingest-services", type=int, default=200, help="(a), a side")
    parser.add_argument("--ingest-days", type=int, default=2)
    parser.add_argument(
        "--ingest-start", type=datetime.date.fromisoformat, default=datetime.date(2026, 9, 1)
    )
    parser.add_argument("--batch", type=int, default=14_400, help="samples a /samples/ request")
    parser.add_argument(
        "--series-batch", type=int, default=28_800, help="samples a /series/ request (about)"
    )
    parser.add_argument("--clients", type=int, default=4, help="API client threads")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker")
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--time-zone", default="UTC", help="the billing party's, e.g. Asia/Baku")
    parser.add_argument("--missing", type=float, default=0.002, help="share of missing buckets")
    parser.add_argument("--rounds", type=int, default=3, help="(a): rounds, on successive days")
    parser.add_argument("--repeat", type=int, default=2, help="(b): best of this many runs")
    parser.add_argument("--seed", type=int, default=20261001)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument(
        "--day-compression",
        choices=["lz4", "pglz"],
        default="lz4",
        help="of billing_usageday's arrays: lz4 as migrated, or pglz as before (for comparison)",
    )
    parser.add_argument("--skip-percentiles", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="(a): profile ingest() called directly"
    )
    args = parser.parse_args()
    if args.services < 3 * args.ingest_services:
        parser.error("--services must be at least three times --ingest-services")

    started = time.perf_counter()
    recreate_database()
    key, services = set_up(args.services, args.time_zone, args.day_compression)
    print(
        f"setup: {len(services):,} IP transit services with one port each, billing party in "
        f"{args.time_zone}, day rows compressed with {args.day_compression}, in "
        f"{time.perf_counter() - started:.0f} s (not timed); PostgreSQL, "
        f"{os.cpu_count()} CPUs"
    )
    ok = True
    if not args.skip_ingest:
        ok = run_ingest(args, key, services) and ok
    if not args.skip_percentiles:
        ok = run_percentiles(args, services) and ok
    shutil.rmtree(SERVER_ENV["MEDIA_ROOT"], ignore_errors=True)
    print("correctness: " + ("ok" if ok else "FAILED"))
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
