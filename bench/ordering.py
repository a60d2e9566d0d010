"""Benchmark: 64 buyers order the last 8 units at the same instant, 20 times over.

Runs a real server (gunicorn) on a PostgreSQL database of its own, fires 64 concurrent
``POST /api/v1/orders/`` (each buyer with its own API key and quote) released together by a
barrier, and prints per round and overall: orders that succeeded (must be 8 a round), refusals
(409), double allocations found in the database (must be 0), and order latency p50/p95.

    .venv/bin/python bench/ordering.py [--rounds 20] [--buyers 64] [--units 8] [--workers 4]

``BENCH_DATABASE_URL`` (default postgres://postgres@127.0.0.1:5432/tcfo_bench) is dropped and
created again: never point it at a database you care about.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tcfo_bench")
SERVER_ENV = {
    "DATABASE_URL": BENCH_URL,
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "bench-only-" + "x" * 40,
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    "LOG_LEVEL": "ERROR",  # the 409s are the point: don't log each
    "REDIS_URL": "",
    "PYTHONWARNINGS": "ignore:No directory at",  # no collectstatic: the API serves no assets
    # Throughput is measured, not the API's abuse limits.
    "TCFO_API_RATE": "off",
    "TCFO_API_INGEST_RATE": "off",
}


def recreate_database() -> None:
    import psycopg

    name = urlparse(BENCH_URL).path.lstrip("/")
    admin_url = BENCH_URL.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def set_up(buyers: int, units: int) -> list[str]:
    """The scenario the SQLite concurrency test serves too: path ``A-Z`` with exactly ``units``
    free 100G channels of ``WL100``, and ``buyers`` customers; their API keys."""
    import django

    os.environ.update(SERVER_ENV)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tcfo_portal.settings")
    django.setup()
    from tests.leasing.served_scenario import build

    return build(units, buyers)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post(url: str, key: str, body: dict) -> tuple[int, dict, float]:
    request = urllib.request.Request(  # noqa: S310 - our own local server
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
        method="POST",
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            status, payload = response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        status, payload = error.code, json.loads(error.read())
    return status, payload, time.perf_counter() - started


def double_allocations() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM leasing_spectrumreservation a
            JOIN leasing_spectrumreservation b
              ON a.fiber_pair_id = b.fiber_pair_id AND a.id < b.id
             AND int4range(a.start, a."end") && int4range(b.start, b."end")
             AND daterange(a.valid_from, a.valid_to) && daterange(b.valid_from, b.valid_to)
            """
        )
        return cursor.fetchone()[0]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * fraction + 0.999999) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--buyers", type=int, default=64)
    parser.add_argument("--units", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    recreate_database()
    keys = set_up(args.buyers, args.units)
    from leasing.models import Order
    from leasing.services.orders import reject_order

    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "tcfo_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **SERVER_ENV, "DJANGO_ALLOWED_HOSTS": "127.0.0.1"},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/api/schema/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.2)
        quote_body = {
            "product": "WL100",
            "path": "A-Z",
            "term_months": 12,
            "start_date": "2026-12-01",
        }
        latencies: list[float] = []
        successes_total = refused_total = doubles_total = 0
        print(
            f"{args.buyers} buyers, {args.units} last units, {args.rounds} rounds, "
            f"gunicorn {args.workers} workers x {args.threads} threads, PostgreSQL"
        )
        header = ("round", "ok", "409", "other", "double", "p50 ms", "p95 ms")
        print("{:>5} {:>4} {:>4} {:>5} {:>6} {:>8} {:>8}".format(*header))
        for round_number in range(1, args.rounds + 1):
            quotes = [post(f"{base}/api/v1/quotes/", key, quote_body)[1]["id"] for key in keys]
            barrier = threading.Barrier(args.buyers)

            def order(pair: tuple[str, int], barrier: threading.Barrier = barrier) -> tuple:
                key, quote_id = pair
                barrier.wait()
                return post(f"{base}/api/v1/orders/", key, {"quote": quote_id})

            with ThreadPoolExecutor(max_workers=args.buyers) as pool:
                results = list(pool.map(order, zip(keys, quotes, strict=True)))
            ok = [body for status, body, _ in results if status == 201]
            refused = sum(1 for status, _, _ in results if status == 409)
            other = len(results) - len(ok) - refused
            doubles = double_allocations()
            round_latencies = [seconds for _, _, seconds in results]
            latencies += round_latencies
            successes_total += len(ok)
            refused_total += refused
            doubles_total += doubles
            print(
                f"{round_number:>5} {len(ok):>4} {refused:>4} {other:>5} {doubles:>6} "
                f"{percentile(round_latencies, 0.5) * 1000:>8.1f} "
                f"{percentile(round_latencies, 0.95) * 1000:>8.1f}"
            )
            for body in ok:  # free the units for the next round
                reject_order(
                    order=Order.objects.get(pk=body["id"]), by="bench", reason="next round"
                )
        print(
            f"total: {successes_total} orders succeeded of {args.rounds * args.units} units, "
            f"{refused_total} refused with 409, {doubles_total} double allocations; "
            f"order latency p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms"
        )
        if doubles_total or successes_total != args.rounds * args.units:
            sys.exit(1)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
