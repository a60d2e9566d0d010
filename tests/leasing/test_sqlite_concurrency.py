"""The embedded default (SQLite) under concurrent orders: 201 or 409, never a 500, no overbooking.

A real gunicorn with threads and two processes serves a SQLite file of its own (not the test
database), as ``make run`` without ``DATABASE_URL`` would; 12 buyers order the last 3 units at the
same instant.
"""

from __future__ import annotations

import datetime
import json
import sqlite3
import subprocess
import sys
from itertools import combinations

from ..served import ROOT, all_at_once, post_json, production_env, serve

BUYERS = 12
UNITS = 3


def _overbooked(database: str) -> list[tuple]:
    """Pairs of reservations of the same fiber pair whose slots and dates overlap."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute(
            'SELECT fiber_pair_id, start, "end", valid_from, valid_to '
            "FROM leasing_spectrumreservation"
        ).fetchall()
    never = "9999-12-31"
    return [
        (a, b)
        for a, b in combinations(rows, 2)
        if a[0] == b[0]
        and a[1] < b[2]
        and b[1] < a[2]
        and a[3] < (b[4] or never)
        and b[3] < (a[4] or never)
    ]


def test_concurrent_orders_on_sqlite_are_answered_201_or_409(tmp_path):
    database = tmp_path / "portal.sqlite3"
    env = production_env(
        DATABASE_URL=f"sqlite:///{database}",
        MEDIA_ROOT=str(tmp_path / "media"),
        TCFO_API_RATE="off",
    )
    built = subprocess.run(  # noqa: S603 - our own scenario
        [sys.executable, "-m", "tests.leasing.served_scenario", str(UNITS), str(BUYERS)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=True,
    )
    keys = json.loads(built.stdout.strip().splitlines()[-1])
    start = str(datetime.date.today() + datetime.timedelta(days=30))

    with serve(env, workers=2, threads=8) as base:
        quotes = []
        for key in keys:
            status, body = post_json(
                f"{base}/api/v1/quotes/",
                key,
                {"product": "WL100", "path": "A-Z", "term_months": 12, "start_date": start},
            )
            assert status == 201, body
            quotes.append(body["id"])

        def order(pair: tuple[str, int]) -> tuple[int, dict]:
            key, quote_id = pair
            return post_json(f"{base}/api/v1/orders/", key, {"quote": quote_id})

        results = all_at_once(order, zip(keys, quotes, strict=True))

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * UNITS + [409] * (BUYERS - UNITS), results
    assert {body["type"] for status, body in results if status == 409} == {"capacity_unavailable"}
    assert _overbooked(str(database)) == []
