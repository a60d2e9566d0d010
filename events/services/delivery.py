"""Delivering published events to webhook subscriptions: signed POSTs, retried with backoff.

``deliver_due`` claims one due delivery at a time with ``SELECT ... FOR UPDATE SKIP LOCKED``, so
several workers share the work, and holds that lock while it POSTs: a worker killed mid-POST
rolls back, its delivery stays pending and the next run sends it again (at least once; the
event's id lets the receiver drop a duplicate). Deliveries go in the order of the events'
positions, and one is never sent while an earlier delivery of the same subscription about the
same object (``subject_type``, ``subject_id``) is still pending: a receiver sees an object's
changes in order.

The request: the event's JSON (``outbox.event_payload``), ``TCFO-Signature: t=<unix>,v1=<hex>``
where the hex is HMAC-SHA256 of ``"<t>.<body>"`` with the subscription's secret (and a second
``v1=`` with the previous secret during a rotation's grace period), ``TCFO-Event-Id``,
``TCFO-Event-Type``, ``TCFO-Delivery-Attempt``. The host is resolved once and refused when any
address is private, loopback, link-local, multicast, reserved or unspecified (unless
``TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS``); the connection goes to the address checked (no second
lookup an attacker's DNS could answer differently), with TLS verifying the URL's host name.
Redirects are never followed (a 3xx is a failure) and urllib3 retries nothing itself.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from organisations.choices import Role
from organisations.emails import queue_email
from organisations.models import User

from ..choices import DeliveryStatus, EventType
from ..models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from .outbox import event_payload, record_event
from .webhooks import forbidden_address

logger = logging.getLogger(__name__)

USER_AGENT = "TCFO-Webhooks/1.0"
FIRST_RETRY = datetime.timedelta(minutes=1)
MAX_RETRY_INTERVAL = datetime.timedelta(hours=6)
# A subscription failing this many times in a row, with no success for a day, is disabled even
# before one delivery has exhausted its retries (an endpoint gone for good, many events queued).
DISABLE_AFTER_FAILURES = 50
DISABLE_AFTER_SILENCE = datetime.timedelta(days=1)
RESPONSE_READ_LIMIT = 1024
DELIVERY_BATCH = 200


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with ``secret``."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(
    body: bytes, subscription: WebhookSubscription, timestamp: int, now: datetime.datetime
) -> str:
    parts = [f"t={timestamp}", f"v1={sign(body, subscription.secret, timestamp)}"]
    if (
        subscription.previous_secret
        and subscription.previous_secret_expires_at is not None
        and now < subscription.previous_secret_expires_at
    ):
        parts.append(f"v1={sign(body, subscription.previous_secret, timestamp)}")
    return ",".join(parts)


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait after the ``attempts``-th failed attempt: 1 minute doubling, at most 6 hours."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), MAX_RETRY_INTERVAL)


class Refused(Exception):
    """Nothing was sent (the address is not allowed, the host does not resolve)."""


@dataclass
class Outcome:
    status: int | None = None
    error: str = ""
    duration_ms: int = 0

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _resolve(host: str, port: int) -> str:
    """The address to connect to, after checking every address ``host`` resolves to."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused("the host name does not resolve") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise Refused("the host name does not resolve")
    if not settings.TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS and any(
        forbidden_address(address) for address in addresses
    ):
        raise Refused("refused: the host resolves to a private or reserved address")
    return str(addresses[0])


def _short_error(error: Exception) -> str:
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return "timed out connecting"
    if isinstance(error, urllib3.exceptions.ReadTimeoutError | TimeoutError | socket.timeout):
        return "timed out waiting for the answer"
    if isinstance(error, urllib3.exceptions.SSLError):
        return "TLS error: the certificate or handshake failed"
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        cause = error.__context__ or error.__cause__
        reason = getattr(cause, "strerror", None) or "connection failed"
        return f"could not connect: {reason}"
    if isinstance(error, urllib3.exceptions.ProtocolError):
        return "the connection broke off"
    return f"request failed: {type(error).__name__}"


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url`` once: no redirect, no retry, a short timeout, the address checked
    first. Only the status and a short error come back (the answer's body is not kept)."""
    started = time.monotonic()
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    timeout = settings.TCFO_WEBHOOK_TIMEOUT_SECONDS
    try:
        address = _resolve(host, port)
    except Refused as refused:
        return Outcome(error=str(refused))
    options = {
        "port": port,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "retries": False,
        "maxsize": 1,
    }
    if parts.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            address,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
            **options,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, **options)
    default_port = 443 if parts.scheme == "https" else 80
    host_header = host if ":" not in host else f"[{host}]"
    if parts.port and parts.port != default_port:
        host_header = f"{host_header}:{parts.port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        with pool:
            response = pool.urlopen(
                "POST",
                target,
                body=body,
                headers={**headers, "Host": host_header},
                redirect=False,
                retries=False,
                assert_same_host=False,
                preload_content=False,
            )
            try:
                response.read(RESPONSE_READ_LIMIT)
            except urllib3.exceptions.HTTPError:
                pass  # the status is what counts
            finally:
                response.release_conn()
            status = response.status
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return Outcome(error=_short_error(error), duration_ms=_ms_since(started))
    outcome = Outcome(status=status, duration_ms=_ms_since(started))
    if not outcome.ok:
        outcome.error = (
            f"answered {status}: redirects are not followed"
            if 300 <= status < 400
            else f"answered {status}"
        )
    return outcome


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def attempt_delivery(
    delivery: WebhookDelivery, *, now: datetime.datetime, requested_by: str = ""
) -> Outcome:
    """POST ``delivery`` once (its row locked by the caller) and record the attempt. A scheduled
    attempt (no ``requested_by``) that fails schedules the next one or, past the retry
    window, fails the delivery and disables the subscription; a manual one changes the status
    only on success."""
    subscription = delivery.subscription
    event = delivery.event
    body = json.dumps(event_payload(event), separators=(",", ":")).encode()
    timestamp = int(now.timestamp())
    attempt_number = delivery.attempts + 1
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "TCFO-Event-Id": str(event.uid),
        "TCFO-Event-Type": event.type,
        "TCFO-Delivery-Attempt": str(attempt_number),
        "TCFO-Signature": signature_header(body, subscription, timestamp, now),
    }
    outcome = post(subscription.url, body, headers)
    WebhookAttempt.objects.create(
        delivery=delivery,
        at=now,
        response_status=outcome.status,
        error=outcome.error[:300],
        duration_ms=outcome.duration_ms,
        requested_by=requested_by[:150],
    )
    delivery.attempts = attempt_number
    delivery.last_attempt_at = now
    delivery.response_status = outcome.status
    delivery.last_error = outcome.error[:300]
    if outcome.ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            consecutive_failures=0, last_success_at=now
        )
    elif not requested_by and delivery.status == DeliveryStatus.PENDING:
        deadline = delivery.created_at + datetime.timedelta(hours=settings.TCFO_WEBHOOK_RETRY_HOURS)
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        if now >= deadline:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            hours = settings.TCFO_WEBHOOK_RETRY_HOURS
            _disable(
                subscription,
                reason=f"A delivery failed for {hours} hours ({delivery.attempts} attempts).",
                now=now,
            )
        else:
            delivery.next_attempt_at = min(now + retry_delay(attempt_number), deadline)
            _disable_if_silent(subscription, now=now)
    delivery.save()
    return outcome


def _disable_if_silent(subscription: WebhookSubscription, *, now: datetime.datetime) -> None:
    subscription.refresh_from_db(fields=["consecutive_failures", "last_success_at"])
    last_heard = subscription.last_success_at or subscription.created_at
    if (
        subscription.consecutive_failures >= DISABLE_AFTER_FAILURES
        and now - last_heard > DISABLE_AFTER_SILENCE
    ):
        _disable(
            subscription,
            reason=f"{subscription.consecutive_failures} deliveries failed in a row "
            "with no success for a day.",
            now=now,
        )


def _disable(subscription: WebhookSubscription, *, reason: str, now: datetime.datetime) -> None:
    """Stop sending to ``subscription``; tell its organisation by event and by e-mail."""
    updated = WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).update(
        is_active=False, disabled_at=now, disabled_reason=reason[:300]
    )
    if not updated:
        return  # already disabled (by another worker, or by a person)
    organisation = subscription.organisation
    record_event(
        type=EventType.WEBHOOK_DISABLED,
        organisation=organisation,
        subject_type="webhook",
        subject_id=subscription.pk,
        data={
            "id": subscription.pk,
            "url": subscription.url,
            "is_active": False,
            "disabled_at": now.isoformat().replace("+00:00", "Z"),
            "disabled_reason": reason,
        },
        occurred_at=now,
    )
    recipients = admin_emails(organisation)
    if recipients:
        queue_email(
            to=recipients,
            subject=f"Webhook disabled: {subscription.url}",
            body=(
                f"The webhook of {organisation} to {subscription.url} was disabled.\n\n"
                f"Why: {reason}\n\n"
                "Events are no longer sent to it. Fix the endpoint, enable the webhook again "
                "on the Webhooks page of the portal (or PATCH /api/v1/webhooks/"
                f"{subscription.pk}/ with is_active true), and fetch what you missed from "
                "GET /api/v1/events/?after=<the last event id you processed>.\n"
            ),
        )


ADMIN_ROLES = (Role.CUSTOMER_ADMIN, Role.OPERATOR_FINANCE, Role.OPERATOR_NETWORK)


def admin_emails(organisation: object) -> list[str]:
    """Who hears of a webhook disabled: the organisation's customer admins (at an operator, its
    finance and network staff) and its billing address."""
    emails = list(
        User.objects.filter(organisation=organisation, role__in=ADMIN_ROLES, is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )
    billing = getattr(organisation, "billing_email", "")
    if billing and billing not in emails:
        emails.append(billing)
    return emails


def _claim_next(now: datetime.datetime) -> WebhookDelivery | None:
    earlier_pending = WebhookDelivery.objects.filter(
        subscription=OuterRef("subscription"),
        status=DeliveryStatus.PENDING,
        event__subject_type=OuterRef("event__subject_type"),
        event__subject_id=OuterRef("event__subject_id"),
        event__position__lt=OuterRef("event__position"),
    )
    return (
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            subscription__is_active=True,
        )
        .exclude(Exists(earlier_pending))
        .select_related("event__organisation", "subscription__organisation")
        .order_by("event__position", "pk")
        .select_for_update(skip_locked=True, of=("self",))
        .first()
    )


def deliver_due(*, now: datetime.datetime | None = None, limit: int = DELIVERY_BATCH) -> int:
    """Send every due delivery (at most ``limit``), one transaction each; returns how many
    were attempted. Safe to run in several workers at once."""
    attempted = 0
    while attempted < limit:
        moment = now or timezone.now()
        with transaction.atomic():
            delivery = _claim_next(moment)
            if delivery is None:
                break
            try:
                with transaction.atomic():
                    attempt_delivery(delivery, now=moment)
            except Exception:
                # A bug must not block the queue: log (no secret in it) and try again later.
                logger.exception("webhook delivery %s failed unexpectedly", delivery.pk)
                WebhookDelivery.objects.filter(pk=delivery.pk).update(
                    next_attempt_at=moment + FIRST_RETRY
                )
        attempted += 1
    return attempted
