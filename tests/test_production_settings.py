"""Production-safe by default: each check runs the project in a subprocess with the environment of a
deployment (tests.served.production_env), not with the test suite's settings."""

from __future__ import annotations

import re
import secrets

import pytest

from .served import in_django, manage, production_env

DEPLOYMENT = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "portal.tcfo.example",
    "DJANGO_HSTS_SECONDS": "31536000",
    "DJANGO_HSTS_INCLUDE_SUBDOMAINS": "true",
    "DJANGO_HSTS_PRELOAD": "true",
}

# Pages and every static file they link, through the middleware (WhiteNoise) like a browser.
FETCH_PAGES = """
import json, re
from django.test import Client
client = Client()
answers = {}
for url in %r:
    page = client.get(url)
    links = re.findall(r'(?:href|src)="(/static/[^"?]+)', page.content.decode())
    static = {link: client.get(link).status_code for link in links}
    answers[url] = {"status": page.status_code, "static": static}
print(json.dumps(answers))
"""


@pytest.fixture
def env(tmp_path: object) -> dict[str, str]:
    return production_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )


def test_debug_is_off_unless_set(env):
    show = "import json; from django.conf import settings; print(json.dumps(settings.DEBUG))"
    assert in_django(show, env=env) is False
    assert in_django(show, env={**env, "DJANGO_DEBUG": "true"}) is True


def test_the_development_key_is_refused_when_debug_is_off(env):
    del env["DJANGO_SECRET_KEY"]
    refused = manage("check", env=env)
    assert refused.returncode != 0
    assert "Set DJANGO_SECRET_KEY when DJANGO_DEBUG is off" in refused.stderr
    assert manage("check", env={**env, "DJANGO_DEBUG": "true"}).returncode == 0


def test_api_limits_come_from_the_environment(env):
    show = (
        "import json; from django.conf import settings;"
        "print(json.dumps(settings.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']))"
    )
    assert in_django(show, env=env) == {
        "api": "600/min",
        "usage_ingest": "3000/min",
        "anon": "60/min",
    }
    raised = {
        "TCFO_API_RATE": "off",
        "TCFO_API_INGEST_RATE": "20/s",
        "TCFO_API_ANON_RATE": "5/hour",
    }
    assert in_django(show, env={**env, **raised}) == {
        "api": None,
        "usage_ingest": "20/s",
        "anon": "5/hour",
    }
    refused = manage("check", env={**env, "TCFO_API_RATE": "lots"})
    assert refused.returncode != 0 and "TCFO_API_RATE='lots'" in refused.stderr


def test_check_deploy_prints_no_warning_with_production_settings(env):
    env = {**env, **DEPLOYMENT}
    del env["DJANGO_SECURE_SSL_REDIRECT"]  # on by default with DEBUG off
    checked = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues (0 silenced)." in checked.stdout
    assert "WARNING" not in checked.stderr


def test_hsts_comes_from_the_environment(env):
    env = {**env, **DEPLOYMENT, "DJANGO_SECURE_SSL_REDIRECT": "true"}
    answer = in_django(
        "import json; from django.test import Client; c = Client(HTTP_HOST='portal.tcfo.example');"
        "plain, tls = c.get('/api/v1/me/'), c.get('/api/v1/me/', secure=True);"
        "print(json.dumps([plain.status_code, plain.get('Location'),"
        " tls.status_code, tls.get('Strict-Transport-Security')]))",
        env=env,
    )
    assert answer == [
        301,
        "https://portal.tcfo.example/api/v1/me/",
        401,
        "max-age=31536000; includeSubDomains; preload",
    ]


def _assert_served(answers: dict, *, hashed: bool) -> None:
    page = answers["/accounts/login/"]
    assert page["status"] == 200
    names = " ".join(page["static"])
    assert ("portal.css" in names) is not hashed
    assert bool(re.search(r"portal\.[0-9a-f]{12}\.css", names)) is hashed
    assert page["static"] and set(page["static"].values()) == {200}, page


def test_static_files_collected_with_debug_on_are_served_with_debug_off(env):
    collected = manage("collectstatic", "--noinput", env={**env, "DJANGO_DEBUG": "true"})
    assert collected.returncode == 0, collected.stderr

    off = {**env, "DJANGO_DEBUG": "false"}
    answers = in_django(FETCH_PAGES % ["/accounts/login/", "/api/docs/"], env=off)
    _assert_served(answers, hashed=True)
    docs = answers["/api/docs/"]  # Swagger UI's assets too
    assert docs["status"] == 200 and len(docs["static"]) >= 3
    assert set(docs["static"].values()) == {200}, docs


def test_static_files_collected_with_debug_off_are_served_with_debug_on(env):
    # Only our own assets: compressing the others' takes a minute and proves nothing more.
    ignore = [f"--ignore={name}" for name in ("admin", "rest_framework", "flags", "drf_*")]
    off = {**env, "DJANGO_DEBUG": "false"}
    collected = manage("collectstatic", "--noinput", *ignore, env=off)
    assert collected.returncode == 0, collected.stderr

    login = FETCH_PAGES % ["/accounts/login/"]
    _assert_served(in_django(login, env={**env, "DJANGO_DEBUG": "true"}), hashed=False)
    _assert_served(in_django(login, env=off), hashed=True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/api/v1/me/", "/api/schema/", "/no-such-page/"]
)
def test_every_kind_of_response_carries_the_policy(client, url):
    policy = client.get(url)["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "unsafe" not in policy and "frame-ancestors 'none'" in policy
