"""A worker killed (SIGKILL) in the middle of a billing chunk: nothing half-billed, and the
chunk, acknowledged late, is billed exactly once by the next worker."""

import datetime
import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection

from billing.choices import BillingRunStatus
from billing.models import BillingRun, InvoiceLine
from billing.services.runs import start_run
from tcfo_portal.celery import app as celery_app

from ..conftest import TEST_QUEUE, wait_until

VISIBILITY_TIMEOUT = 3  # seconds, for the workers started here

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("october"),
]


def _worker(queue: str) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "DATABASE_CONN_MAX_AGE": "0",
    }
    return subprocess.Popen(  # noqa: S603 - our own worker
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "tcfo_portal",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=WARNING",
        ],
        env=env,
        cwd=settings.BASE_DIR,
    )


def _waiting_on_a_lock(dsn: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as probe:
        row = probe.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return row[0] > 0


def _unacked_past_visibility() -> bool:
    """kombu's Redis transport restores unacknowledged deliveries older than the visibility
    timeout when a worker starts; wait until the killed worker's delivery is that old."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    newest = client.zrange("unacked_index", -1, -1, withscores=True)
    return bool(newest) and newest[0][1] < client.time()[0] - VISIBILITY_TIMEOUT


def test_a_killed_worker_bills_nothing_twice() -> None:
    celery_app.conf.update(
        task_always_eager=False, broker_url=settings.REDIS_URL, task_default_queue=TEST_QUEUE
    )
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge(TEST_QUEUE)
    db = settings.DATABASES["default"]
    dsn = f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"

    run, _ = start_run(period="2026-10", by="finance")  # the chunk is queued on commit
    blocker = psycopg.connect(dsn)
    # Hold the run's row: the worker finishes its chunk's lines, then waits on this lock.
    blocker.execute("SELECT 1 FROM billing_billingrun WHERE id = %s FOR UPDATE", [run.pk])
    first = _worker(TEST_QUEUE)
    try:
        assert wait_until(lambda: _waiting_on_a_lock(dsn), timeout=60), (
            "the worker never got to the chunk"
        )
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
    connection.close()
    assert InvoiceLine.objects.count() == 0  # the killed chunk left nothing behind
    assert wait_until(_unacked_past_visibility, timeout=30), "the delivery was acknowledged"

    second = _worker(TEST_QUEUE)
    try:
        assert wait_until(
            lambda: BillingRun.objects.get(pk=run.pk).status == BillingRunStatus.DONE, timeout=90
        )
    finally:
        second.terminate()
        second.wait(timeout=30)
        celery_app.conf.task_always_eager = True
    keys = list(InvoiceLine.objects.values_list("source_key", flat=True))
    assert len(keys) == len(set(keys)) == 7
    assert BillingRun.objects.get(pk=run.pk).contracts_rated == 3
    assert (
        datetime.date(2026, 10, 1)
        <= InvoiceLine.objects.order_by("service_date").first().service_date
    )
