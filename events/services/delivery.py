"""Delivering published events to webhook subscriptions: signed POSTs, retried with backoff.

``deliver_due`` works with leases, never holding a transaction open while it POSTs. It claims a
batch of due deliveries in one short transaction (``SELECT ... FOR UPDATE SKIP LOCKED``, so
several workers share the work) and pushes their ``next_attempt_at`` forward by a lease long
enough for every POST of the batch; after that commit it POSTs each, then records the outcome
in a short transaction of its own. A worker killed mid-POST leaves its deliveries pending with
the lease: once it expires the next run sends them again (at least once; the event's id lets
the receiver drop a duplicate). Due deliveries are taken in the order they fell due (a batch is
sent in the order of its events' positions), and one is never sent while an earlier delivery of
the same subscription about the same object
(``subject_type``, ``subject_id``) is still pending, leased or not: a receiver sees an object's
changes in order.

The request: the event's JSON (``outbox.event_payload``), ``TCFO-Signature: t=<unix>,v1=<hex>``
where the hex is HMAC-SHA256 of ``"<t>.<body>"`` with the subscription's secret (and a second
``v1=`` with the previous secret during a rotation's grace period), ``TCFO-Event-Id``,
``TCFO-Event-Type``, ``TCFO-Delivery-Attempt``. The host is resolved once and refused when any
address is private, loopback, link-local, multicast, reserved or unspecified (unless
``TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS``); the connection goes to the address checked (no second
lookup an attacker's DNS could answer differently), with TLS verifying the URL's host name.
Redirects are never followed (a 3xx is a failure) and urllib3 retries nothing itself. The whole
request (lookup, connection, sending, the answer's head and a little of its body) has one
deadline, ``TCFO_WEBHOOK_TIMEOUT_SECONDS``: a receiver that drips its answer a byte at a time is
cut off there (urllib3's own timeouts bound each socket operation, not the request).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
import urllib3.connection
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from urllib3.util.ssl_match_hostname import CertificateError

from organisations.choices import Role
from organisations.emails import queue_email
from organisations.models import User

from ..choices import DeliveryStatus, EventType
from ..models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from .outbox import event_payload, record_event, utc_iso
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
# Deliveries leased per claim; the lease covers their POSTs one after the other, plus a margin.
CLAIM_BATCH = 20
LEASE_MARGIN = datetime.timedelta(seconds=60)


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with ``secret``."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(
    body: bytes, subscription: WebhookSubscription, timestamp: int, now: datetime.datetime
) -> str:
    """``t=<timestamp>,v1=<hex>``, with a second ``v1=`` of the previous secret while its grace
    period runs; a previous secret whose grace period has ended is forgotten here."""
    parts = [f"t={timestamp}", f"v1={sign(body, subscription.secret, timestamp)}"]
    if subscription.previous_secret and subscription.previous_secret_expires_at is not None:
        if now < subscription.previous_secret_expires_at:
            parts.append(f"v1={sign(body, subscription.previous_secret, timestamp)}")
        else:
            WebhookSubscription.objects.filter(
                pk=subscription.pk,
                previous_secret=subscription.previous_secret,
                previous_secret_expires_at__lte=now,
            ).update(previous_secret="", previous_secret_expires_at=None)
            subscription.previous_secret = ""
            subscription.previous_secret_expires_at = None
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


def _connect_error(error: urllib3.exceptions.NewConnectionError) -> str:
    """Why a connection could not be made, from the socket error urllib3 wraps."""
    cause = error.__cause__ or error.__context__
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused: nothing listens on that port"
    if isinstance(cause, TimeoutError):
        return "timed out connecting"
    reason = getattr(cause, "strerror", None)
    return f"could not connect: {reason.lower()}" if reason else "could not connect"


def _short_error(error: Exception) -> str:
    """What the delivery log says of a failed request: refused, the name not resolving, TLS,
    a timeout connecting or answering, a reset each read as what they are."""
    # urllib3 2 makes NameResolutionError a NewConnectionError and both ConnectTimeoutErrors:
    # the most specific first, or a refused connection reads as a timeout.
    if isinstance(error, urllib3.exceptions.NameResolutionError | socket.gaierror):
        return "the host name does not resolve"
    if isinstance(error, urllib3.exceptions.NewConnectionError):
        return _connect_error(error)
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return "timed out connecting"
    if isinstance(error, ssl.SSLCertVerificationError):
        detail = error.verify_message or error.reason or "not trusted"
        return f"TLS error: the certificate was refused ({detail})"
    if isinstance(error, urllib3.exceptions.SSLError | ssl.SSLError | CertificateError):
        return "TLS error: the handshake failed (does the URL's port speak HTTPS?)"
    if isinstance(error, urllib3.exceptions.ReadTimeoutError | TimeoutError):
        return "timed out waiting for the answer"
    if isinstance(error, http.client.RemoteDisconnected):
        return "the connection was closed without an answer"
    if isinstance(error, ConnectionResetError | BrokenPipeError):
        return "the connection was reset by the receiver"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused: nothing listens on that port"
    if isinstance(error, UnicodeError):
        return "the URL cannot be sent: it is not plain ASCII"
    if isinstance(error, urllib3.exceptions.ProtocolError | http.client.HTTPException):
        return "the connection broke off"
    return f"request failed: {type(error).__name__}"


class _Request:
    """One POST run in a thread of its own, so that the caller can give up at the deadline and
    cut the connection (shutting the socket down wakes a read blocked on it)."""

    def __init__(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
        self.url, self.body, self.headers, self.timeout = url, body, headers, timeout
        self.connection: urllib3.connection.HTTPConnection | None = None
        self.outcome: Outcome | None = None
        self._lock = threading.Lock()
        self._abandoned = False
        self.connected = False  # past the lookup, the TCP connection and the TLS handshake

    def run(self) -> None:
        try:
            self.outcome = self._send()
        except Exception as error:
            self.outcome = Outcome(error=_short_error(error))
        finally:
            with self._lock:
                connection, self.connection = self.connection, None
            if connection is not None:
                with suppress(Exception):
                    connection.close()

    def abandon(self) -> None:
        """Give up: shut the connection's socket down so that the thread ends soon."""
        with self._lock:
            self._abandoned = True
            sock = getattr(self.connection, "sock", None)
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _send(self) -> Outcome:
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            address = _resolve(host, port)
        except Refused as refused:
            return Outcome(error=str(refused))
        connection: urllib3.connection.HTTPConnection
        if parts.scheme == "https":
            connection = urllib3.connection.HTTPSConnection(
                address,
                port,
                timeout=self.timeout,
                server_hostname=host,
                assert_hostname=host,
                cert_reqs="CERT_REQUIRED",
            )
        else:
            connection = urllib3.connection.HTTPConnection(address, port, timeout=self.timeout)
        with self._lock:
            if self._abandoned:
                return Outcome(error="timed out waiting for the answer")
            self.connection = connection
        default_port = 443 if parts.scheme == "https" else 80
        host_header = host if ":" not in host else f"[{host}]"
        if parts.port and parts.port != default_port:
            host_header = f"{host_header}:{parts.port}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.connect()
        self.connected = True
        connection.request(
            "POST", target, body=self.body, headers={**self.headers, "Host": host_header}
        )
        response = connection.getresponse()
        with suppress(urllib3.exceptions.HTTPError, OSError):
            response.read(RESPONSE_READ_LIMIT)  # the status is what counts
        status = response.status
        outcome = Outcome(status=status)
        if not outcome.ok:
            outcome.error = (
                f"answered {status}: redirects are not followed"
                if 300 <= status < 400
                else f"answered {status}"
            )
        return outcome


def post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST ``body`` to ``url`` once: no redirect, no retry, the address checked first, and the
    whole request within ``TCFO_WEBHOOK_TIMEOUT_SECONDS`` (past it the connection is cut). Only
    the status and a short error come back (the answer's body is not kept); it never raises."""
    started = time.monotonic()
    timeout = float(settings.TCFO_WEBHOOK_TIMEOUT_SECONDS)
    request = _Request(url, body, headers, timeout)
    thread = threading.Thread(target=request.run, name="webhook-post", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive() or request.outcome is None:
        request.abandon()
        thread.join(1)
        error = "timed out waiting for the answer" if request.connected else "timed out connecting"
        return Outcome(error=error, duration_ms=_ms_since(started))
    request.outcome.duration_ms = _ms_since(started)
    return request.outcome


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _request_for(
    delivery: WebhookDelivery, *, now: datetime.datetime
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the next attempt of ``delivery``."""
    subscription = delivery.subscription
    event = delivery.event
    body = json.dumps(event_payload(event), separators=(",", ":")).encode()
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "TCFO-Event-Id": str(event.uid),
        "TCFO-Event-Type": event.type,
        "TCFO-Delivery-Attempt": str(delivery.attempts + 1),
        "TCFO-Signature": signature_header(body, subscription, timestamp, now),
    }
    return body, headers


def record_outcome(
    delivery_id: int,
    outcome: Outcome,
    *,
    now: datetime.datetime,
    lease_until: datetime.datetime | None,
) -> WebhookDelivery | None:
    """Record one attempt of a delivery claimed until ``lease_until``, in a short transaction.

    A 2xx answer makes it delivered. A failure is the claimer's to schedule only while the lease
    is still its own (a person may have queued it again meanwhile): the next attempt after the
    backoff or, past the retry window, failed, disabling the subscription when nothing reached
    it since the delivery was created. An attempt a person asked for (``requested_by``) never
    counts against the subscription."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("subscription__organisation")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return None  # deleted with its subscription meanwhile
        subscription = delivery.subscription
        requested_by = delivery.requested_by
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=now,
            response_status=outcome.status,
            error=outcome.error[:300],
            duration_ms=outcome.duration_ms,
            requested_by=requested_by[:150],
        )
        owned = (
            delivery.status == DeliveryStatus.PENDING and delivery.next_attempt_at == lease_until
        )
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_status = outcome.status
        delivery.last_error = outcome.error[:300]
        if outcome.ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
            delivery.next_attempt_at = None
            delivery.requested_by = ""
            WebhookSubscription.objects.filter(pk=subscription.pk).update(
                consecutive_failures=0, last_success_at=now
            )
        elif owned:
            delivery.requested_by = ""
            _schedule_after_failure(delivery, now=now, manual=bool(requested_by))
        delivery.save()
    return delivery


def _schedule_after_failure(
    delivery: WebhookDelivery, *, now: datetime.datetime, manual: bool
) -> None:
    subscription = delivery.subscription
    hours = settings.TCFO_WEBHOOK_RETRY_HOURS
    deadline = delivery.created_at + datetime.timedelta(hours=hours)
    if not manual:
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
    if now >= deadline:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        subscription.refresh_from_db(fields=["last_success_at"])
        heard_since = (
            subscription.last_success_at is not None
            and subscription.last_success_at >= delivery.created_at
        )
        # A subscription that received something since this delivery was created works: this
        # one delivery (a receiver refusing that event, say) fails alone.
        if not manual and not heard_since:
            _disable(
                subscription,
                reason=f"A delivery failed for {hours} hours ({delivery.attempts} attempts).",
                now=now,
            )
    else:
        delivery.next_attempt_at = min(now + retry_delay(delivery.attempts), deadline)
        if not manual:
            _disable_if_silent(subscription, now=now)


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
            "disabled_at": utc_iso(now),
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


def lease_duration(batch: int = CLAIM_BATCH) -> datetime.timedelta:
    """How long a claimed batch is the claimer's: every POST of it, one after the other, each
    within the timeout, and a margin. A worker killed meanwhile leaves it to expire."""
    return datetime.timedelta(seconds=settings.TCFO_WEBHOOK_TIMEOUT_SECONDS * batch) + LEASE_MARGIN


def claim_due(
    *, now: datetime.datetime, size: int = CLAIM_BATCH
) -> tuple[list[WebhookDelivery], datetime.datetime]:
    """Lease up to ``size`` due deliveries to the caller (in one short transaction, committed on
    return) and the end of the lease. Due: pending, ``next_attempt_at`` passed, its subscription
    active, and no earlier pending delivery of the same subscription about the same object
    (leased or waiting for a retry). Two queries: the due rows walked in ``next_attempt_at``
    order on the partial index ``delivery_due`` (no sort of the whole backlog), then the lease."""
    earlier_pending = WebhookDelivery.objects.filter(
        subscription=OuterRef("subscription"),
        status=DeliveryStatus.PENDING,
        event__subject_type=OuterRef("event__subject_type"),
        event__subject_id=OuterRef("event__subject_id"),
        event__position__lt=OuterRef("event__position"),
    )
    lease_until = now + lease_duration(size)
    with transaction.atomic():
        ids = list(
            WebhookDelivery.objects.filter(
                status=DeliveryStatus.PENDING,
                next_attempt_at__lte=now,
                subscription__is_active=True,
            )
            .exclude(Exists(earlier_pending))
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:size]
        )
        if ids:
            WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=lease_until)
    if not ids:
        return [], lease_until
    claimed = list(
        WebhookDelivery.objects.filter(pk__in=ids).select_related(
            "event__organisation", "subscription__organisation"
        )
    )
    claimed.sort(key=lambda delivery: (delivery.event.position or 0, delivery.pk))
    return claimed, lease_until


def deliver_due(
    *,
    now: datetime.datetime | None = None,
    limit: int = DELIVERY_BATCH,
    stop_at: float | None = None,
) -> int:
    """Send due deliveries (at most ``limit``, claimed a batch at a time and POSTed outside any
    transaction); returns how many were attempted. Claims no more batches once
    ``time.monotonic()`` passes ``stop_at``. Safe to run in several workers at once."""
    attempted = 0
    while attempted < limit:
        if stop_at is not None and time.monotonic() >= stop_at:
            break
        claimed, lease_until = claim_due(
            now=now or timezone.now(), size=min(CLAIM_BATCH, limit - attempted)
        )
        if not claimed:
            break
        for delivery in claimed:
            moment = now or timezone.now()
            try:
                body, headers = _request_for(delivery, now=moment)
                outcome = post(delivery.subscription.url, body, headers)
                record_outcome(delivery.pk, outcome, now=moment, lease_until=lease_until)
            except Exception:
                # A bug must not block the queue: log (no secret in it) and try again later.
                logger.exception("webhook delivery %s failed unexpectedly", delivery.pk)
                WebhookDelivery.objects.filter(pk=delivery.pk, next_attempt_at=lease_until).update(
                    next_attempt_at=moment + FIRST_RETRY
                )
            attempted += 1
    return attempted
