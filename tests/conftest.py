"""Test harness: real services, checked up front.

Outside CI a test that needs PostgreSQL, Redis (a Celery worker) or Chromium is skipped when the
service is missing, so ``make test`` works on a bare laptop. With ``CI=true`` a missing service
stops the whole run with an error instead: nothing is skipped in CI.
"""

from __future__ import annotations

import copy
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from pytest_django.live_server_helper import LiveServer
from rest_framework.test import APIClient

from organisations import two_factor
from organisations.choices import Role
from organisations.models import ApiKey, Organisation, User
from organisations.services import create_api_key
from tcfo_portal.celery import app as celery_app

from .factories import CustomerFactory, OperatorFactory, UserFactory

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

# The live server listens with a backlog of 5 by default; the concurrency tests open 32
# connections at the same instant, which a real server (gunicorn: 2048) would queue.
ThreadedWSGIServer.request_queue_size = 128
CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
TEST_QUEUE = f"tcfo-tests-{os.getpid()}"


def _redis_problem() -> str | None:
    if not settings.REDIS_URL:
        return "REDIS_URL is not set"
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return f"Redis at {settings.REDIS_URL} does not answer: {error}"
    return None


def _chromium_problem() -> str | None:
    if not Path(CHROMIUM_PATH).is_file():
        return f"Chromium not found at {CHROMIUM_PATH} (apt-get install chromium)"
    return None


def _is_xdist_controller(config: pytest.Config) -> bool:
    """The process that only hands tests to pytest-xdist's workers (``-n``): it runs none."""
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _is_xdist_controller(session.config):
        _collect_static()
    if not IN_CI:
        return
    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("CI needs PostgreSQL: set DATABASE_URL=postgres://...")
    problems += [p for p in (_redis_problem(), _chromium_problem()) if p]
    if problems:
        pytest.exit("CI cannot run on the real services:\n- " + "\n- ".join(problems), returncode=3)


def _collect_static() -> None:
    """The static files with their manifest, once per session (tests/settings.py)."""
    call_command("collectstatic", interactive=False, verbosity=0)


def pytest_sessionfinish(session: pytest.Session) -> None:
    shutil.rmtree(settings.STATIC_ROOT, ignore_errors=True)


@pytest.fixture(scope="session")
def live_server(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """pytest-django's live server, with static files served as in production: by WhiteNoise
    from the collected files under their hashed names (pytest-django's own serves the apps'
    folders through Django's finders, under the plain names only)."""
    address = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(address, start=False)
    server.thread.static_handler = lambda application: application
    server.start()
    yield server
    server.stop()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if IN_CI:
        return
    reasons = {
        "postgres": None
        if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
        else "needs PostgreSQL (DATABASE_URL)",
        "celery_worker": _redis_problem(),
        "browser": _chromium_problem(),
    }
    for item in items:
        for marker, reason in reasons.items():
            if reason and item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: object) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _media_root(settings: object, tmp_path: Path) -> None:
    """Stored files (PDFs) go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _cache_of_the_test(settings: object) -> None:
    """Each test counts (password resets, throttles) in cache keys of its own: Redis outlives
    the test and is shared by every run on the machine."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches


# A TOTP secret for the authenticators ``force_login`` gives staff (base32).
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def _staff_sessions_are_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    """``client.force_login`` gives what logging in gives: staff (who must use two-factor
    authentication) and anyone enrolled get a session verified by their authenticator, enrolled
    first if need be. The two-factor tests log in through the real pages instead."""
    force_login = Client.force_login

    def force_verified_login(self: Client, user: User, backend: str | None = None) -> None:
        force_login(self, user, backend)
        if not (two_factor.is_staff_role(user) or two_factor.is_enrolled(user)):
            return
        device = two_factor.authenticator_of(user) or two_factor.enrol_with_secret(
            user=user, secret=TEST_TOTP_SECRET
        )
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    monkeypatch.setattr(Client, "force_login", force_verified_login)


# --- Celery ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _celery_eager() -> Iterator[None]:
    """Tasks run in-process unless the test asks for a real worker (``celery_worker``)."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture
def celery_worker(transactional_db: None) -> Iterator[object]:
    """A real Celery worker consuming from Redis, in a thread of this process, for one test.

    Tasks travel through the broker exactly as in production; the worker shares this process's
    test database and e-mail outbox, so a test can assert on what the task did.
    """
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun

    def close_worker_connections(**kwargs: object) -> None:
        # The worker thread's connections would otherwise keep the test database busy.
        if threading.current_thread() is not threading.main_thread():
            connections.close_all()

    before = {key: celery_app.conf[key] for key in ("broker_url", "task_default_queue")}
    celery_app.conf.update(
        task_always_eager=False,
        broker_url=settings.REDIS_URL,
        task_default_queue=TEST_QUEUE,
    )
    task_postrun.connect(close_worker_connections, weak=False)
    try:
        with start_worker(
            celery_app,
            pool="solo",
            loglevel="WARNING",
            queues=[TEST_QUEUE],
            perform_ping_check=False,  # needs a result backend; start_worker waits for ready
        ) as w:
            yield w
    finally:
        task_postrun.disconnect(close_worker_connections)
        # The routing goes back as it was: a later test's own workers consume other queues.
        celery_app.conf.update(task_always_eager=True, **before)


def wait_until(condition: Callable[[], bool], *, timeout: float = 30.0) -> bool:
    """Poll ``condition`` until true or ``timeout`` seconds passed; return its last value."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return condition()
        time.sleep(0.05)
    return True


# --- Organisations, users, clients ----------------------------------------------------------------


@pytest.fixture
def operator(db: None) -> Organisation:
    return OperatorFactory()


@pytest.fixture
def customer(db: None) -> Organisation:
    return CustomerFactory()


@pytest.fixture
def other_customer(db: None) -> Organisation:
    return CustomerFactory()


@pytest.fixture
def customer_admin(customer: Organisation) -> User:
    return UserFactory(organisation=customer, role=Role.CUSTOMER_ADMIN)


@pytest.fixture
def other_customer_admin(other_customer: Organisation) -> User:
    return UserFactory(organisation=other_customer, role=Role.CUSTOMER_ADMIN)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def key_client(organisation: Organisation, role: str | None = None) -> tuple[APIClient, ApiKey]:
    """An API client authenticated with a new key of ``organisation``."""
    api_key, secret = create_api_key(organisation=organisation, name="test", role=role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    return client, api_key


def log_in(client: Client, username: str, password: str) -> object:
    """Log in through the login pages as a person does: the password, then, when asked, the
    code the user's authenticator app shows now (computed from its secret). Returns the last
    response."""
    from django.urls import reverse

    response = client.post(reverse("login"), {"username": username, "password": password})
    if response.status_code == 302 and response["Location"] == reverse("login-code"):
        device = two_factor.authenticator_of(User.objects.get(username=username))
        response = client.post(reverse("login-code"), {"code": two_factor.code_for(device)})
    return response


def session_client(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client
