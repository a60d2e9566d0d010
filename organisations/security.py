"""Limits on abuse of the login: who is asking (the client address), the lockout page, and the
limit on password-reset requests.

Failed logins are counted by django-axes (settings ``AXES_*``): per account and, separately, per
address. Password-reset requests are counted here, in the shared cache (Redis when configured),
per e-mail and per address, so several web processes share one count.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
from dataclasses import dataclass
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from .models import User


def client_address(request: HttpRequest) -> str | None:
    """The address a request comes from: behind our TLS proxy (``DJANGO_BEHIND_TLS_PROXY``) the
    last address it appended to ``X-Forwarded-For``, else the socket's; None when that is no
    IP address. A client can put anything at the start of that header, so only the proxy's own
    entry is believed."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.TCFO_CLIENT_ADDRESS_FROM_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            address = hops[-1]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def lockout_minutes() -> int:
    cool_off = get_cool_off()
    return max(1, round(cool_off.total_seconds() / 60)) if cool_off else 0


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The login page again, saying why the login is refused and for how long (HTTP 429)."""
    context = {
        "username": get_client_username(request, credentials) or "",
        "cooloff_minutes": lockout_minutes(),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }
    return render(request, "registration/locked_out.html", context, status=429)


@dataclass(frozen=True)
class Lockout:
    """An account (``username``) or an address (``ip_address``) refused after too many failed
    logins, until ``until`` (None: until unlocked). ``others`` are the addresses its failures
    came from (an account), or the accounts tried from it (an address)."""

    username: str
    ip_address: str
    failures: int
    until: datetime.datetime | None
    last_failure: datetime.datetime
    others: tuple[str, ...]

    @property
    def is_address(self) -> bool:
        return bool(self.ip_address)


def current_lockouts() -> list[Lockout]:
    """The accounts and addresses locked out now, the most recent failure first.

    As django-axes counts: the failures of an account from every address, and of an address on
    every account, within the cool-off; locked once either reaches ``AXES_FAILURE_LIMIT``."""
    cool_off = get_cool_off()
    recent = AccessAttempt.objects.all()
    if cool_off:
        recent = recent.filter(attempt_time__gte=timezone.now() - cool_off)
    lockouts = [
        *_over_the_limit(recent.exclude(username="").filter(username__isnull=False), "username"),
        *_over_the_limit(recent.filter(ip_address__isnull=False), "ip_address"),
    ]
    return sorted(lockouts, key=lambda lockout: lockout.last_failure, reverse=True)


def _over_the_limit(attempts: QuerySet[AccessAttempt], field: str) -> list[Lockout]:
    """The values of ``field`` whose ``attempts`` add up to the limit, as lockouts."""
    limit = settings.AXES_FAILURE_LIMIT
    cool_off = get_cool_off()
    other = "ip_address" if field == "username" else "username"
    groups = (
        attempts.order_by()
        .values(field)
        .annotate(failures=Sum("failures_since_start"))
        .filter(failures__gte=limit)
        .values_list(field, "failures")
    )
    totals = dict(groups)
    # The attempts of every locked value in one query (not one per lockout), newest first.
    rows_of: dict[Any, list[tuple[int, datetime.datetime, Any]]] = {v: [] for v in totals}
    for value, *row in (
        attempts.filter(**{f"{field}__in": list(totals)})
        .order_by("-attempt_time")
        .values_list(field, "failures_since_start", "attempt_time", other)
    ):
        rows_of[value].append(tuple(row))
    lockouts = []
    for value, failures in totals.items():
        rows = rows_of[value]
        lockouts.append(
            Lockout(
                username=value if field == "username" else "",
                ip_address=value if field == "ip_address" else "",
                failures=failures,
                until=_locked_until(rows, limit, cool_off),
                last_failure=rows[0][1],
                others=tuple(sorted({str(row[2]) for row in rows if row[2]})),
            )
        )
    return lockouts


def _locked_until(
    rows: list[tuple[int, datetime.datetime, Any]],
    limit: int,
    cool_off: datetime.timedelta | None,
) -> datetime.datetime | None:
    """When the failures still counted fall below the limit: when the oldest of the newest rows
    that reach it leaves the cool-off (``rows`` newest first)."""
    if not cool_off:
        return None
    counted = 0
    for failures, attempt_time, _ in rows:
        counted += failures
        if counted >= limit:
            return attempt_time + cool_off
    return None


def forget_failures_of_account(
    sender: object, request: HttpRequest, user: User, **kwargs: Any
) -> None:
    """On a successful login (``user_logged_in``): forget the failed logins of that account, from
    any address. The address's failures on other accounts stay counted, so logging in to an
    account of one's own between guesses does not lift the limit per address."""
    AxesProxyHandler.reset_attempts(username=user.get_username())


def unlock_login(*, username: str = "", ip_address: str = "") -> int:
    """Forget the failed logins of ``username`` and/or from ``ip_address``: the lockout ends.
    Returns how many records of failures were removed."""
    from axes.utils import reset

    removed = 0
    if username:
        removed += reset(username=username)
    if ip_address:
        removed += reset(ip=ip_address)
    return removed


# --- Password reset -------------------------------------------------------------------------------


def _count(key: str, window_seconds: int) -> int:
    """Add one to a counter that starts when first counted and is forgotten ``window`` later."""
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds)
        return 1


def password_reset_allowed(*, email: str, address: str) -> bool:
    """Count a password-reset request for ``email`` from ``address``; False once either has
    asked more often than allowed in the window. The same answer whether or not an account has
    that e-mail, so the limit reveals nothing."""
    window = settings.TCFO_PASSWORD_RESET_WINDOW_MINUTES * 60
    digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    per_email = _count(f"tcfo:password-reset:email:{digest}", window)
    per_address = _count(f"tcfo:password-reset:address:{address}", window)
    return (
        per_email <= settings.TCFO_PASSWORD_RESET_PER_EMAIL
        and per_address <= settings.TCFO_PASSWORD_RESET_PER_ADDRESS
    )
