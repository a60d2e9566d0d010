"""Abuse limits of the API: requests per client per period, counted on the shared cache.

Three budgets, each a rate of ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (from the environment,
see settings and README):

- ``api``: each API key (by its id, from whatever address) and each signed-in user;
- ``usage_ingest``: the same clients on the usage ingest endpoints, which collectors call often;
- ``anon``: each client address without valid credentials: requests without any (the schema, the
  docs), and every API request refused for its credentials (no key, a wrong, expired or revoked
  one: ``count_refused_credentials``, called by the error handler, since DRF authenticates and
  checks permissions before it throttles). A valid key or session is never refused for its
  address's budget: it has its own.

A client over its budget is answered 429 in the contract's error format with ``Retry-After``
(``tcfo_portal.api.errors``). Counting uses fixed windows and one atomic increment on the cache
(Redis when ``REDIS_URL`` is set, so every worker process shares the count): DRF's own
``SimpleRateThrottle`` reads, extends and writes back a list of timestamps, so concurrent requests
on several workers overwrite each other's entries and a parallel burst goes through, and its cost
grows with the rate. A window may see up to twice the rate across its boundary; that is the
price of one atomic operation a request.
"""

from __future__ import annotations

import logging
import math
import re
import time
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from organisations.security import client_address

logger = logging.getLogger(__name__)

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """``"600/min"`` as (600, 60) seconds; ``None`` (no limit) as ``None``. Periods: s, m, h, d
    (``sec``, ``min``, ``hour``, ``day`` too)."""
    if rate is None:
        return None
    parsed = re.fullmatch(r"([0-9]+)/([smhd])[a-z]*", rate.strip())
    if parsed is None:
        raise ImproperlyConfigured(f"Invalid API rate {rate!r}: write requests/period (600/min).")
    return int(parsed[1]), _PERIODS[parsed[2]]


class WindowRateThrottle(BaseThrottle):
    """At most ``scope``'s rate of requests per client per window of the rate's period.

    Subclasses say who the client is (``ident``); a request that is not theirs (``None``) passes.
    The rate is read on every request, so a settings change (tests) takes effect at once.
    """

    scope: str = ""
    wait_seconds: float | None = None

    def ident(self, request: Request) -> str | None:
        raise NotImplementedError

    def rate(self) -> tuple[int, int] | None:
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"No API rate for the throttle scope {self.scope!r}.")
        return parse_rate(rates[self.scope])

    def allow_request(self, request: Request, view: Any) -> bool:
        rate = self.rate()
        ident = self.ident(request) if rate else None
        if rate is None or ident is None:
            return True
        limit, period = rate
        now = time.time()
        window = int(now // period)
        key = f"throttle:{self.scope}:{ident}:{period}:{window}"
        try:
            count = self._count(key, period)
        except Exception:  # the cache is down: serve rather than refuse everyone
            logger.warning("API throttle not applied: the cache does not answer", exc_info=True)
            return True
        if count <= limit:
            return True
        self.wait_seconds = max(1, math.ceil((window + 1) * period - now))
        return False

    @staticmethod
    def _count(key: str, period: int) -> int:
        # The window's counter, created at 0 if new, then incremented atomically (Redis INCR;
        # LocMemCache holds a lock). It outlives its window a little, then expires.
        for _ in range(2):
            cache.add(key, 0, timeout=period + 5)
            try:
                return cache.incr(key)
            except ValueError:  # expired between add and incr: create it again
                continue
        return 1

    def wait(self) -> float | None:
        return self.wait_seconds


class ApiClientThrottle(WindowRateThrottle):
    """Per API key (its id, whatever the address) and per signed-in user."""

    scope = "api"

    def ident(self, request: Request) -> str | None:
        user = request.user
        if getattr(user, "is_api_key", False):  # organisations.api.authentication.ApiKeyActor
            return f"key-{user.api_key.pk}"
        if user is not None and user.is_authenticated:
            return f"user-{user.pk}"
        return None


class UsageIngestThrottle(ApiClientThrottle):
    """The usage ingest endpoints' own, higher budget per key or user (collectors send often)."""

    scope = "usage_ingest"


class AnonymousThrottle(WindowRateThrottle):
    """Per client address, for requests without valid credentials.

    The address is ``organisations.security.client_address`` (the one the login lockout counts):
    ``REMOTE_ADDR``, or behind our TLS proxy the one it appends to ``X-Forwarded-For``; a client
    cannot choose it by sending that header itself.
    """

    scope = "anon"

    def ident(self, request: Request) -> str | None:
        if request.user is not None and request.user.is_authenticated:
            return None
        return client_address(request) or "unknown"


def count_refused_credentials(request: Request | None) -> exceptions.Throttled | None:
    """Count an API request refused for its credentials (none where they are needed, or a key
    that is wrong, expired or revoked) against its address's ``anon`` budget: the error to
    answer instead once the address is over it, else ``None``.

    DRF authenticates and checks permissions before it throttles, so such a request never
    reaches the throttles; the API's error handler calls this for each one.
    """
    if request is None:
        return None
    throttle = AnonymousThrottle()
    if throttle.allow_request(request, None):
        return None
    return exceptions.Throttled(wait=throttle.wait())
