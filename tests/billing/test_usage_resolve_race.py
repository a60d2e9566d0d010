"""Resolving a usage conflict while a billing run's chunk bills its month (issue 15 review).

Both lock the contract: a resolution that starts while a chunk holds it waits, then is refused
as billed; a chunk that starts while a resolution holds it waits, then rates the value resolved.
Never a month billed with one value while the bucket and its stored 95th say another.

Real PostgreSQL, each side in its own thread and database connection; one side holds its
transaction open until the other is seen waiting for a lock (or has finished, as it did before
the lock was shared), then commits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, transaction

from billing.choices import BillingRunStatus, LineKind
from billing.models import BillingRun, InvoiceLine, UsagePercentile, UsageResolution
from billing.services.runs import bill_contracts
from billing.services.usage_decisions import resolve_conflict
from billing.services.usage_percentiles import record_percentiles, services_for_usage
from tcfo_portal.exceptions import InvalidTransition

from .test_usage_conflict_resolution import G, conflicted

__all__ = ["conflicted"]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
PATIENCE = 30  # seconds at most for a thread to reach the point looked for (never a measure)


def _run() -> BillingRun:
    return BillingRun.objects.create(
        period="2026-10", status=BillingRunStatus.RUNNING, requested_by="test", contracts_total=1
    )


def _in_thread(work: Callable[[], Any]) -> Callable[[], Any]:
    def run() -> Any:
        try:
            return work()
        except Exception as error:  # the refusal is the result looked at
            return error
        finally:
            connection.close()

    return run


def _holding(work: Callable[[], Any], held: threading.Event, release: threading.Event):
    """``work()`` in a transaction kept open (its locks held) until ``release``."""

    def run() -> Any:
        with transaction.atomic():
            result = work()
            held.set()
            assert release.wait(PATIENCE)
            return result

    return _in_thread(run)


def _waiting_or_done(other: Future) -> bool:
    """Whether the other side is blocked on a lock (True), or finished without (False)."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
        if other.done():
            return False
        time.sleep(0.05)
    raise AssertionError("the other side neither waited nor finished")


def _lines(net) -> set[str]:
    lines = InvoiceLine.objects.filter(contract=net.transit.contract, invoice__period="2026-10")
    return set(lines.values_list("kind", flat=True))


def test_a_resolution_during_a_chunk_waits_and_is_refused_as_billed(conflicted):
    net = conflicted
    run = _run()
    held, release = threading.Event(), threading.Event()
    with ThreadPoolExecutor(max_workers=2) as pool:
        chunk = pool.submit(
            _holding(
                lambda: bill_contracts(run=run, contract_ids=[net.transit.contract.pk]),
                held,
                release,
            )
        )
        assert held.wait(PATIENCE)
        resolving = pool.submit(
            _in_thread(
                lambda: resolve_conflict(
                    event=net.conflict, keep="received", reason="new router", actor=net.noc
                )
            )
        )
        waited = _waiting_or_done(resolving)
        release.set()
        assert chunk.result(PATIENCE) >= 1
        refusal = resolving.result(PATIENCE)

    assert waited, "the resolution did not wait for the chunk's lock"
    assert isinstance(refusal, InvalidTransition), refusal
    assert "Too late to resolve: 2026-10 is billed" in str(refusal)
    assert not UsageResolution.objects.exists()
    # Billed at 3 Gbit/s (over the 2 Gbit/s commit), and the stored 95th still says so.
    assert _lines(net) == {LineKind.TRANSIT_COMMIT, LineKind.TRANSIT_BURST}
    assert UsagePercentile.objects.get(service=net.transit, period="2026-10").billable_bps == 3 * G


def test_a_chunk_during_a_resolution_waits_and_rates_the_value_resolved(conflicted):
    net = conflicted
    record_percentiles(
        services=list(services_for_usage().filter(pk=net.transit.pk)), period="2026-10"
    )
    run = _run()
    held, release = threading.Event(), threading.Event()
    with ThreadPoolExecutor(max_workers=2) as pool:
        resolving = pool.submit(
            _holding(
                lambda: resolve_conflict(
                    event=net.conflict, keep="received", reason="new router", actor=net.noc
                ),
                held,
                release,
            )
        )
        assert held.wait(PATIENCE)
        chunk = pool.submit(
            _in_thread(lambda: bill_contracts(run=run, contract_ids=[net.transit.contract.pk]))
        )
        waited = _waiting_or_done(chunk)
        release.set()
        resolution = resolving.result(PATIENCE)
        billed = chunk.result(PATIENCE)

    assert isinstance(resolution, UsageResolution), resolution
    assert isinstance(billed, int), billed
    assert waited, "the chunk did not wait for the resolution's lock"
    # Rated with the value resolved: 1 Gbit/s is under the commit, no burst.
    assert _lines(net) == {LineKind.TRANSIT_COMMIT}
    assert UsagePercentile.objects.get(service=net.transit, period="2026-10").billable_bps == G
