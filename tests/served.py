"""A served instance for tests that need a real server process with its own settings.

``production_env`` is the environment of a deployment (DEBUG off, a real secret key) without TLS
in front; ``serve`` runs gunicorn with threads on it in a subprocess, as a deployment would.
``post_json`` and ``all_at_once`` are how the concurrency tests speak to a server (this one or
pytest-django's live server) over real HTTP.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
T = TypeVar("T")
R = TypeVar("R")


def production_env(**overrides: str) -> dict[str, str]:
    """This process's environment with the settings of a deployment (and ``overrides``)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "TCFO_")) and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tcfo_portal.settings",
        DJANGO_SECRET_KEY="served-test-instance-" + "k3y" * 16,
        DJANGO_SECURE_SSL_REDIRECT="false",  # plain HTTP on 127.0.0.1, no TLS proxy
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="ERROR",
        PYTHONWARNINGS="ignore:No directory at",  # nothing collected: the API serves no assets
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """``manage.py *args`` in a subprocess; its output is captured, never raised on."""
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def in_django(code: str, *, env: dict[str, str]) -> object:
    """Run ``code`` in a Django process of ``env`` (``manage.py shell``); what it prints last,
    as JSON. Its error output when it fails."""
    done = manage("shell", "--no-imports", "-c", code, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve(env: dict[str, str], *, workers: int = 2, threads: int = 8) -> Iterator[str]:
    """gunicorn on ``env`` with ``workers`` x ``threads``; yields its base URL."""
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [
            str(BIN / "gunicorn"),
            "tcfo_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v1/me/", timeout=5)  # noqa: S310
                break
            except urllib.error.HTTPError:
                break  # it answers (401 without a key): up
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start (exit {server.poll()})") from None
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def post_json(url: str, key: str, body: dict) -> tuple[int, dict]:
    """POST ``body`` as JSON with the API key ``key``; the status and the JSON answer (the start of
    the page, as ``{"body": ...}``, when the answer is not JSON: a server error page)."""
    request = urllib.request.Request(  # noqa: S310 - our own server, http only
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Api-Key {key}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, {"body": raw[:200].decode(errors="replace")}


def all_at_once(call: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``call`` on each item, each in its own thread, released together by a barrier; the
    results in the order of ``items``."""
    items = list(items)
    barrier = threading.Barrier(len(items))

    def released(item: T) -> R:
        barrier.wait()
        return call(item)

    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        return list(pool.map(released, items))
