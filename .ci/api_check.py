"""The API against its own OpenAPI schema: schemathesis on a served instance (``make api-check``).

A fresh PostgreSQL database (on the server of ``DATABASE_URL``) is migrated and given the demo
data and one API key per role below; the app is served by gunicorn on a free local port; then
``schemathesis run`` fuzzes every operation of ``/api/schema/`` with each key. The run fails on any
server error and on any answer the schema does not describe (status code, content type, body,
headers), and also when it could not have found anything: a key that does not authenticate, a
schema without operations, or a run that tested none. The server and the database are removed
at the end, whatever happened.

Writes go to the throwaway database (schemathesis places orders, ingests usage...). The time is
bounded by a time budget per key (``API_CHECK_MAX_TIME``, seconds, which schemathesis spends on
its phases in turn) and ``--max-examples`` per operation and round; a run is reproducible with
``API_CHECK_SEED``. ``API_CHECK_DATABASE`` names the database (default ``tcfo_api_check_<pid>``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path
from types import FrameType

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

# (organisation of the demo, role of its key): a customer, and the operators' two kinds of staff,
# whose keys open different halves of the API.
KEYS = [
    ("Caspian Online", "customer_member"),
    ("AzerTelecom", "operator_network"),
    ("AzerTelecom", "operator_finance"),
]
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
]
# The fuzzer sends about 1,500 requests a minute: the served instance's API limits (DRF, on the
# shared cache) are switched off. Throttling itself is tested in the suite; a throttle this
# check did not lift makes it fail (see ``refuse_throttled``) rather than pass on 429s.
THROTTLE_ENV = {
    "TCFO_API_RATE": "off",
    "TCFO_API_ANON_RATE": "off",
    "TCFO_API_INGEST_RATE": "off",
}
MAX_EXAMPLES = os.environ.get("API_CHECK_MAX_EXAMPLES", "10")
MAX_TIME = os.environ.get("API_CHECK_MAX_TIME", "50")
SEED = os.environ.get("API_CHECK_SEED", "20261201")


class Failed(Exception):
    pass


def _stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # runs the cleanup below


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(command: list[str], env: dict[str, str], **kwargs: object) -> str:
    done = subprocess.run(  # noqa: S603 - our own commands
        command, env=env, cwd=ROOT, capture_output=True, text=True, check=False, **kwargs
    )
    if done.returncode != 0:
        raise Failed(f"{' '.join(command[:3])} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def get(url: str, key: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)  # noqa: S310 - a local URL we built
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_served(base: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise Failed(f"gunicorn exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if get(f"{base}/api/schema/")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise Failed("the server did not answer within 60 s")


def refuse_throttled(base: str, key: str) -> None:
    """A burst like the fuzzer's, with the key and without: a 429 means a throttle is on (the
    requests without a key, refused 401, count against the address's ``anon`` budget)."""
    for attempt in range(300):
        status = get(f"{base}/api/v1/me/", key if attempt % 2 else None)[0]
        if status == 429:
            raise Failed(
                "the served instance throttles (429): set its rates high in THROTTLE_ENV, or "
                "every later answer would be a documented 429 and test nothing"
            )


def tested_operations(junit: Path) -> int:
    """Operations (``GET /api/v1/...``) the report says were tested, not skipped."""
    cases = ET.parse(junit).getroot().iter("testcase")  # noqa: S314 - schemathesis's own file
    return sum(
        1
        for case in cases
        if case.get("name", "").split(" ")[0] in {"GET", "PUT", "POST", "PATCH", "DELETE"}
        and case.find("skipped") is None
    )


def fuzz(base: str, key: str, report_dir: Path, env: dict[str, str]) -> int:
    """Run schemathesis with ``key``; the number of operations it tested."""
    command = [
        str(BIN / "schemathesis"),
        "run",
        f"{base}/api/schema/",
        "--header",
        f"Authorization: Bearer {key}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        MAX_EXAMPLES,
        "--max-time",
        MAX_TIME,
        "--seed",
        SEED,
        # One worker: with two, hypothesis parses lambdas in threads and CPython 3.11's ast
        # module fails at random ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
    ]
    done = subprocess.run(command, env=env, cwd=report_dir, check=False)  # noqa: S603
    reports = sorted(report_dir.glob("*.xml"))
    tested = tested_operations(reports[-1]) if reports else 0
    if done.returncode != 0:
        raise Failed(f"schemathesis found problems (exit {done.returncode}); see above")
    return tested


def main() -> int:
    signal.signal(signal.SIGTERM, _stop)
    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith(("postgres://", "postgresql://")):
        print("api-check needs PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2
    # Created here and dropped at the end; an existing database of that name is never touched.
    database = os.environ.get("API_CHECK_DATABASE") or f"tcfo_api_check_{os.getpid()}"
    served_url = admin_url.rsplit("/", 1)[0] + f"/{database}"
    work = Path(tempfile.mkdtemp(prefix="tcfo-api-check-"))
    log = work / "server.log"
    env = {
        **os.environ,
        "DATABASE_URL": served_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "MEDIA_ROOT": str(work / "media"),
        "STATIC_ROOT": str(work / "static"),  # collected below, as on a deployment
        "REDIS_URL": "",  # tasks (PDFs) run in-process: no worker to wait for
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "ERROR",
        **THROTTLE_ENV,
    }
    server: subprocess.Popen | None = None
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        manage = [str(BIN / "python"), "manage.py"]
        run([*manage, "migrate", "--noinput", "-v0"], env)
        # Pages (an HTML error page too) name their static files by the manifest's hashed names.
        run([*manage, "collectstatic", "--noinput", "-v0"], env)
        run([*manage, "load_demo", "--force"], env)
        keys = [
            (org, role, run([*manage, "create_api_key", "--org", org, "--role", role], env).strip())
            for org, role in KEYS
        ]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with log.open("w") as log_file:
            server = subprocess.Popen(  # noqa: S603
                [
                    str(BIN / "gunicorn"),
                    "tcfo_portal.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "60",
                    # The app is under test, not gunicorn's own limits (a 414 in HTML).
                    "--limit-request-line",
                    "0",
                    "--limit-request-field_size",
                    "0",
                    "--no-control-socket",
                ],
                env=env,
                cwd=ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        wait_until_served(base, server, log)

        schema = get(f"{base}/api/schema/?format=json")[1]
        operations = sum(
            1
            for item in json.loads(schema)["paths"].values()
            for method in item
            if method in {"get", "put", "post", "patch", "delete"}
        )
        if operations == 0:
            raise Failed("the schema lists no operation")
        refuse_throttled(base, keys[0][2])
        summary = []
        for org, role, key in keys:
            status, body = get(f"{base}/api/v1/me/", key)
            if status != 200 or json.loads(body)["role"] != role:
                raise Failed(f"the {role} key of {org} does not authenticate: {status} {body!r}")
            print(f"\n=== schemathesis as {role} of {org}: {operations} operations ===", flush=True)
            report_dir = work / role
            report_dir.mkdir()
            tested = fuzz(base, key, report_dir, env)
            if tested == 0:
                raise Failed(f"schemathesis tested no operation as {role}")
            summary.append(f"{role}: {tested} operations")
        print(f"\napi-check passed ({'; '.join(summary)})")
        return 0
    except Failed as failure:
        print(f"\napi-check FAILED: {failure}", file=sys.stderr)
        if log.exists():
            print(f"--- server log (last lines) ---\n{log.read_text()[-4000:]}", file=sys.stderr)
        return 1
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
