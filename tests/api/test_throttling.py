"""Abuse limits: requests per API key, per signed-in user and per address without valid
credentials, with a higher budget for usage ingest; over it, a 429 in the contract's error format
with ``Retry-After``.

Counted on the real shared cache (Redis when ``REDIS_URL`` is set, as in CI), under a key prefix
of each test's own. The rest of the suite runs unthrottled (tests/settings.py). Rates are per day
so that no test straddles the end of a counting window.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from rest_framework.test import APIClient

from organisations.choices import Role

from ..conftest import key_client, session_client
from ..factories import CustomerFactory, OperatorFactory, UserFactory

pytestmark = pytest.mark.django_db

NO_LIMITS = {"api": None, "usage_ingest": None, "anon": None}


@pytest.fixture
def rates(settings: object) -> Callable[..., None]:
    """``rates(api="3/day", ...)`` turns throttling on with those rates, on the real cache."""
    if settings.REDIS_URL:
        backend = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
        }
    else:
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    settings.CACHES = {"default": {**backend, "KEY_PREFIX": f"tcfo-test-{uuid.uuid4().hex}"}}

    def set_rates(**scopes: str) -> None:
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {**NO_LIMITS, **scopes},
        }

    return set_rates


def _assert_throttled(response: object) -> None:
    assert response.status_code == 429, response.content
    body = response.json()
    assert body["type"] == "throttled"
    assert "throttled" in body["detail"].lower() and body["errors"] == {}
    assert 1 <= int(response["Retry-After"]) <= 86_400


def test_an_api_key_over_its_rate_is_answered_429_with_retry_after(rates):
    rates(api="3/day")
    client, _ = key_client(CustomerFactory())
    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200] * 3
    _assert_throttled(client.get("/api/v1/me/"))
    _assert_throttled(client.get("/api/v1/products/"))  # one budget for every endpoint


def test_the_budget_is_the_keys_whatever_the_address(rates):
    rates(api="2/day")
    customer = CustomerFactory()
    first, _ = key_client(customer)
    second, _ = key_client(customer)
    for address in ["10.0.0.1", "10.0.0.2"]:
        assert first.get("/api/v1/me/", REMOTE_ADDR=address).status_code == 200
    _assert_throttled(first.get("/api/v1/me/", REMOTE_ADDR="10.0.0.3"))
    # Another key of the same organisation, from the same address, has its own.
    assert second.get("/api/v1/me/", REMOTE_ADDR="10.0.0.1").status_code == 200


def test_a_signed_in_user_has_a_budget_of_their_own(rates):
    rates(api="2/day")
    admin = UserFactory(role=Role.CUSTOMER_ADMIN)
    colleague = UserFactory(organisation=admin.organisation, role=Role.CUSTOMER_MEMBER)
    client = session_client(admin)
    assert [client.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]
    _assert_throttled(client.get("/api/v1/api-keys/"))
    assert session_client(colleague).get("/api/v1/me/").status_code == 200


def test_an_anonymous_address_is_limited_and_cannot_choose_its_address(rates):
    rates(anon="2/day")
    client = APIClient()
    for _ in range(2):
        assert client.get("/api/schema/", REMOTE_ADDR="192.0.2.7").status_code == 200
    # A header the client writes itself does not make it someone else.
    response = client.get(
        "/api/schema/", {"format": "json"}, REMOTE_ADDR="192.0.2.7", HTTP_X_FORWARDED_FOR="1.2.3.4"
    )
    _assert_throttled(response)
    assert client.get("/api/docs/", REMOTE_ADDR="192.0.2.8").status_code == 200


def test_behind_the_proxy_the_address_is_the_one_the_proxy_saw(rates, settings):
    rates(anon="1/day")
    settings.TCFO_CLIENT_ADDRESS_FROM_PROXY = True  # DJANGO_BEHIND_TLS_PROXY=true
    client = APIClient()
    proxy = {"REMOTE_ADDR": "10.1.1.1"}
    # The proxy appends the address it saw; anything before it came from the client.
    assert (
        client.get("/api/docs/", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.1", **proxy).status_code
        == 200
    )
    assert client.get("/api/docs/", HTTP_X_FORWARDED_FOR="192.0.2.2", **proxy).status_code == 200
    response = client.get("/api/docs/", HTTP_X_FORWARDED_FOR="7.7.7.7, 192.0.2.1", **proxy)
    assert response.status_code == 429


WRONG_KEY = "Api-Key AbCdEfGh.0123456789abcdefghijABCDEFGHIJ01"


def test_wrong_keys_from_one_address_are_answered_429_once_over_its_budget(rates):
    """DRF refuses credentials before it throttles: the refusals are counted per address all
    the same, on every endpoint (the ingest ones too), with or without a key."""
    rates(anon="3/day")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=WRONG_KEY)
    here = {"REMOTE_ADDR": "192.0.2.50"}
    statuses = [
        client.get("/api/v1/me/", **here).status_code,
        client.post("/api/v1/usage/samples/", {"samples": []}, format="json", **here).status_code,
        APIClient().get("/api/v1/services/", **here).status_code,  # no key at all
    ]
    assert statuses == [401, 401, 401]
    _assert_throttled(client.get("/api/v1/me/", **here))
    _assert_throttled(APIClient().get("/api/v1/orders/", **here))
    _assert_throttled(client.post("/api/v1/usage/series/", {"series": []}, format="json", **here))
    # Another address has a budget of its own; a valid key is never refused for its address's.
    assert client.get("/api/v1/me/", REMOTE_ADDR="192.0.2.51").status_code == 401
    good, _ = key_client(CustomerFactory())
    assert good.get("/api/v1/me/", REMOTE_ADDR="192.0.2.52").status_code == 200
    assert good.get("/api/v1/me/", **here).status_code == 200


def test_the_address_of_a_refused_key_is_the_one_the_proxy_saw(rates, settings):
    rates(anon="1/day")
    settings.TCFO_CLIENT_ADDRESS_FROM_PROXY = True
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=WRONG_KEY)
    proxy = {"REMOTE_ADDR": "10.1.1.1"}
    assert client.get("/api/v1/me/", HTTP_X_FORWARDED_FOR="192.0.2.1", **proxy).status_code == 401
    assert client.get("/api/v1/me/", HTTP_X_FORWARDED_FOR="192.0.2.2", **proxy).status_code == 401
    _assert_throttled(client.get("/api/v1/me/", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.1", **proxy))


def test_usage_ingest_has_its_own_higher_budget(rates):
    rates(api="1/day", usage_ingest="3/day")
    client, _ = key_client(OperatorFactory(), role=Role.OPERATOR_NETWORK)
    statuses = [
        client.post("/api/v1/usage/samples/", {"samples": []}, format="json").status_code
        for _ in range(3)
    ]
    assert all(status < 400 for status in statuses), statuses
    _assert_throttled(client.post("/api/v1/usage/samples/", {"samples": []}, format="json"))
    _assert_throttled(client.post("/api/v1/usage/series/", {"series": []}, format="json"))
    # Ingest spent its own budget, not the key's budget for the rest of the API.
    assert client.get("/api/v1/me/").status_code == 200
    _assert_throttled(client.get("/api/v1/me/"))


def _get(url: str, key: str) -> int:
    request = urllib.request.Request(url, headers={"Authorization": f"Api-Key {key}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        json.loads(error.read())  # an error in the contract's format
        return error.code


@pytest.mark.django_db(transaction=True)
def test_a_burst_of_parallel_requests_gets_exactly_the_rate(rates, live_server):
    """The count is one atomic increment on the cache, so parallel requests cannot all slip
    through between a read and a write."""
    rates(api="5/day")
    client, _ = key_client(CustomerFactory())
    key = client._credentials["HTTP_AUTHORIZATION"].removeprefix("Api-Key ")
    barrier = threading.Barrier(16)

    def call(_: int) -> int:
        barrier.wait()
        return _get(f"{live_server.url}/api/v1/me/", key)

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = sorted(pool.map(call, range(16)))
    assert statuses == [200] * 5 + [429] * 11


def test_a_cache_that_does_not_answer_does_not_take_the_api_down(rates, settings):
    rates(api="1/day")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    client, _ = key_client(CustomerFactory())
    assert [client.get("/api/v1/me/").status_code for _ in range(2)] == [200, 200]
