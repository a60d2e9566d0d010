"""The outbox survives a broker outage and a worker killed mid-POST.

Each test runs a Redis server of its own on a free port (never the shared one: it is stopped
here) and real Celery workers in subprocesses on the test database; the webhook receiver is a
real HTTP server in this process.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from celery.exceptions import AlwaysEagerIgnored
from django.conf import settings
from django.db import connection
from django.utils import timezone

from events.choices import DeliveryStatus, EventType
from events.models import Event, WebhookDelivery, WebhookSubscription
from events.services.delivery import deliver_due
from events.services.outbox import publish_pending
from organisations.models import Organisation, OutgoingEmail
from tcfo_portal.celery import app as celery_app
from tests.conftest import IN_CI, wait_until
from tests.factories import CustomerFactory
from tests.served import _free_port

from .receiver import receiver

REDIS_SERVER = shutil.which("redis-server")
DISPATCH = "events.tasks.dispatch_events"
SEND_PENDING_EMAILS = "organisations.tasks.send_pending_emails"
# The queue the workers here consume and beat's stand-in sends to, named, so the routing this
# process's other tests set up (``celery_worker``: a queue of their own) does not apply.
QUEUE = "tcfo-resilience"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        REDIS_SERVER is None and not IN_CI, reason="needs redis-server (apt-get install redis)"
    ),
]


@dataclass
class Broker:
    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - redis-server from the system
            [
                REDIS_SERVER or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        assert wait_until(lambda: _answers(client), timeout=20), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    own = Broker(port=_free_port(), folder=tmp_path)
    own.start()
    try:
        yield own
    finally:
        own.stop()


def _env(broker: Broker) -> dict[str, str]:
    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": broker.url,
        "DATABASE_CONN_MAX_AGE": "0",
    }


def _worker(broker: Broker) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own worker
        [
            str(Path(sys.executable).parent / "celery"),
            "-A",
            "tcfo_portal",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "-Q",
            QUEUE,
        ],
        env=_env(broker),
        cwd=settings.BASE_DIR,
    )


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=20)


def _queue_dispatch(broker: Broker, task: str = DISPATCH) -> None:
    """What beat does every minute: queue the dispatcher (or ``task``) on the broker."""
    with warnings.catch_warnings(), celery_app.connection_for_write(broker.url) as conn:
        # This process runs its own tasks in-process; this one is sent, as beat sends it.
        warnings.simplefilter("ignore", AlwaysEagerIgnored)
        celery_app.send_task(task, connection=conn, queue=QUEUE)


def _subscribe(organisation: Organisation, url: str) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        organisation=organisation, url=url, secret="whsec_resilience", created_by="test"
    )


# A web process (the test settings, the broker of ``_env``) makes a change that writes an event,
# and queues an e-mail, while the broker is down: both after the commit, both refused.
CHANGE_WHILE_BROKER_IS_DOWN = """
import json, time
from django.db import transaction
from events.services.outbox import record_event
from organisations.emails import queue_email
from organisations.models import Organisation
organisation = Organisation.objects.get(pk={pk})
started = time.monotonic()
with transaction.atomic():
    event = record_event(type="order.state_changed", organisation=organisation,
        subject_type="order", subject_id=42, data={{"id": 42, "state": "acknowledged"}})
    queue_email(to=["noc@example.test"], subject="Order 42 acknowledged", body="...")
print(json.dumps({{"event": str(event.uid), "seconds": time.monotonic() - started}}))
"""


def test_an_event_written_while_the_broker_is_down_is_delivered_once_it_is_back(broker) -> None:
    customer = CustomerFactory()
    with receiver() as endpoint:
        _subscribe(customer, endpoint.url)
        broker.stop()
        done = subprocess.run(  # noqa: S603 - our own manage.py
            [
                sys.executable,
                "manage.py",
                "shell",
                "--no-imports",
                "-c",
                CHANGE_WHILE_BROKER_IS_DOWN.format(pk=customer.pk),
            ],
            cwd=settings.BASE_DIR,
            env=_env(broker),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        # The change committed and the process carried on; the refused queueing was logged.
        assert done.returncode == 0, done.stderr[-3000:]
        answer = json.loads(done.stdout.strip().splitlines()[-1])
        uid = answer["event"]
        event = Event.objects.get(uid=uid)
        assert event.position is None  # nobody could be told to publish it
        assert "OperationalError" in done.stderr  # logged, not raised

        # The mail is a row of the committed change, waiting; a minute passes before beat
        # sends it in place of the commit's own task.
        email = OutgoingEmail.objects.get(subject="Order 42 acknowledged")
        assert email.sent_at is None
        OutgoingEmail.objects.filter(pk=email.pk).update(
            created_at=email.created_at - datetime.timedelta(minutes=2)
        )

        broker.start()
        worker = _worker(broker)
        try:
            _queue_dispatch(broker)  # beat's minute
            _queue_dispatch(broker, SEND_PENDING_EMAILS)
            assert wait_until(lambda: len(endpoint.received) >= 1, timeout=60)
            assert wait_until(
                lambda: OutgoingEmail.objects.get(pk=email.pk).sent_at is not None, timeout=60
            )
        finally:
            _stop(worker)
    assert endpoint.event_ids() == [uid]
    delivery = WebhookDelivery.objects.get(event__uid=uid)
    assert delivery.status == DeliveryStatus.DELIVERED
    email.refresh_from_db()
    assert (email.attempts, email.body) == (1, "")  # sent once; the body is not kept


def test_a_worker_killed_mid_post_leaves_the_delivery_for_the_next_one(broker) -> None:
    customer = CustomerFactory()
    with receiver() as endpoint:
        endpoint.stall_seconds = 120  # the first POST hangs until the test releases it
        _subscribe(customer, endpoint.url)
        # Written without the commit's own dispatch (tasks run in this process here).
        event = Event.objects.create(
            type=EventType.ORDER_STATE_CHANGED,
            organisation=customer,
            subject_type="order",
            subject_id="7",
            data={"id": 7, "state": "completed"},
        )
        publish_pending()
        first = _worker(broker)
        try:
            _queue_dispatch(broker)
            assert endpoint.arrived.wait(60), "the first worker never POSTed"
            # Mid-POST the worker holds no transaction open: its lease is committed.
            assert not _locked_by_someone()
            assert WebhookDelivery.objects.get(event=event).next_attempt_at > timezone.now()
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        finally:
            _stop(first)
        endpoint.stall_seconds = 0  # the receiver answers from now on
        connection.close()
        # The killed worker held no transaction open while it POSTed: the delivery is pending
        # under its lease, no attempt recorded, and no run sends it again before the lease ends.
        assert not _locked_by_someone()
        leased = WebhookDelivery.objects.get(event=event)
        assert (leased.status, leased.attempts, leased.log.count()) == (
            DeliveryStatus.PENDING,
            0,
            0,
        )
        assert leased.next_attempt_at > timezone.now()
        assert deliver_due() == 0
        # The lease ends (time passes): the next run sends it.
        WebhookDelivery.objects.filter(pk=leased.pk).update(next_attempt_at=timezone.now())
        second = _worker(broker)
        try:
            _queue_dispatch(broker)
            assert wait_until(
                lambda: WebhookDelivery.objects.get(event=event).status == DeliveryStatus.DELIVERED,
                timeout=60,
            )
        finally:
            _stop(second)
            endpoint.release.set()
    # At least once: the receiver saw the event twice, with the same id to drop the repeat.
    assert endpoint.event_ids() == [str(event.uid)] * 2
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.attempts == 1
    assert [a.response_status for a in delivery.log.all()] == [200]


def _locked_by_someone() -> bool:
    """Whether another session holds a transaction open on the test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND state LIKE 'idle in transaction%%' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0
