"""Webhook subscriptions: an organisation's admins (customer admins, an operator's finance and
network staff, and API keys of those roles) say where its events are POSTed.

The signing secret is generated here and returned once, by ``create_subscription`` and
``rotate_secret``; only the subscription keeps it (to sign), nothing shows it again. A rotation
keeps the old secret signing too for ``TCFO_WEBHOOK_SECRET_GRACE_HOURS``, so a partner can
deploy the new one without losing a message; rotating again during that grace period keeps the
old secret (and the end of its grace period) and replaces only the newer one.
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
from collections.abc import Iterable
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from organisations.access import Actor, describe_actor, has_capability, is_platform_admin
from organisations.choices import Capability
from tcfo_portal.exceptions import Conflict, DomainError, Forbidden, InvalidInput
from tcfo_portal.queue import after_commit

from ..choices import DeliveryStatus, EventType
from ..models import WebhookDelivery, WebhookSubscription
from .outbox import DISPATCH_TASK

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
URL_MAX_LENGTH = 2000
DESCRIPTION_MAX_LENGTH = 200


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _require(actor: Actor | None) -> None:
    if not has_capability(actor, Capability.MANAGE_WEBHOOKS):
        raise Forbidden("Your role does not allow managing webhooks.")


def _require_own(actor: Actor | None, subscription: WebhookSubscription) -> None:
    _require(actor)
    if is_platform_admin(actor):
        return
    if actor.organisation is None or subscription.organisation_id != actor.organisation.pk:
        raise Forbidden("This webhook belongs to another organisation.")


def forbidden_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Whether a webhook may not be sent to ``address``: private, loopback, link-local,
    site-local, multicast, reserved or unspecified (an IPv4-mapped IPv6 address as its IPv4
    one; a 6to4 or Teredo address when the IPv4 address it carries is forbidden)."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        else:
            if address.is_site_local:
                return True
            if address.sixtofour is not None and forbidden_address(address.sixtofour):
                return True
            if address.teredo is not None and forbidden_address(address.teredo[1]):
                return True
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def validate_url(url: str) -> str:
    """The subscription URL, stripped and in ASCII (an internationalised host name as punycode),
    or ``InvalidInput`` on ``url`` saying what is wrong."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput("url", "Give the URL your endpoint listens on.")
    if len(url) > URL_MAX_LENGTH:
        raise InvalidInput("url", f"At most {URL_MAX_LENGTH} characters.")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise InvalidInput("url", "A URL has no spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidInput("url", "This is not a valid URL.") from None
    if parts.scheme not in {"http", "https"}:
        raise InvalidInput("url", "Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        raise InvalidInput("url", "The URL names no host.")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(
            "url", "Put no user name or password in the URL: verify the signature instead."
        )
    if port == 0:
        raise InvalidInput("url", "This is not a valid port.")
    url = _ascii_url(url, parts)
    if len(url) > URL_MAX_LENGTH:
        raise InvalidInput("url", f"At most {URL_MAX_LENGTH} characters (in ASCII).")
    parts = urlsplit(url)
    if not settings.TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS:
        try:
            literal = ipaddress.ip_address(parts.hostname)
        except ValueError:
            literal = None
        if literal is not None and forbidden_address(literal):
            raise InvalidInput(
                "url", "Webhooks are not sent to private, loopback or link-local addresses."
            )
    return url


# Characters left as they are when a path or query is percent-encoded (those of a URL).
_URL_SAFE = "/%:@!$&'()*+,;=-._~?"


def _ascii_url(url: str, parts: SplitResult) -> str:
    """``url`` as sent: an internationalised host name in its IDNA (punycode) form and any other
    non-ASCII character percent-encoded, or ``InvalidInput`` when the host cannot be encoded."""
    if url.isascii():
        return url
    host = parts.hostname or ""
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidInput("url", "This host name cannot be encoded for DNS (IDNA).") from None
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit(
        (
            parts.scheme,
            netloc,
            quote(parts.path, safe=_URL_SAFE),
            quote(parts.query, safe=_URL_SAFE),
            quote(parts.fragment, safe=_URL_SAFE),
        )
    )


def validate_event_types(event_types: Iterable[str] | None) -> list[str]:
    """The event types, each once in the order given; empty means every type."""
    if event_types is None:
        return []
    if isinstance(event_types, str):
        raise InvalidInput("event_types", "A list of event types.")
    chosen: list[str] = []
    unknown = []
    for value in event_types:
        if value not in EventType.values:
            unknown.append(str(value))
        elif value not in chosen:
            chosen.append(value)
    if unknown:
        raise InvalidInput("event_types", f"Unknown event type(s): {', '.join(unknown)}.")
    return chosen


def _description(description: str | None) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise InvalidInput("description", f"At most {DESCRIPTION_MAX_LENGTH} characters.")
    return description


@transaction.atomic
def create_subscription(
    *,
    actor: Actor,
    url: str,
    event_types: Iterable[str] | None = None,
    description: str = "",
) -> tuple[WebhookSubscription, str]:
    """A new subscription of the actor's organisation, and its secret (returned only here)."""
    _require(actor)
    organisation = actor.organisation
    if organisation is None:
        raise DomainError("A platform admin belongs to no organisation: webhooks are a partner's.")
    secret = new_secret()
    subscription = WebhookSubscription.objects.create(
        organisation=organisation,
        url=validate_url(url),
        event_types=validate_event_types(event_types),
        description=_description(description),
        secret=secret,
        created_by=describe_actor(actor)[:150],
    )
    return subscription, secret


_UNSET = object()


@transaction.atomic
def update_subscription(
    *,
    actor: Actor,
    subscription: WebhookSubscription,
    url: str | None = None,
    event_types: Iterable[str] | object | None = _UNSET,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookSubscription:
    """Change what is given. Enabling a disabled subscription clears its failures; its pending
    deliveries are sent again, except those already past the retry window: they are marked
    failed at once (sending them would fail at the first error and disable it again), and can
    be redelivered by hand or fetched from the events list."""
    _require_own(actor, subscription)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if url is not None:
        subscription.url = validate_url(url)
    if event_types is not _UNSET:
        subscription.event_types = validate_event_types(event_types)  # type: ignore[arg-type]
    if description is not None:
        subscription.description = _description(description)
    if is_active is not None and is_active != subscription.is_active:
        subscription.is_active = is_active
        if is_active:
            subscription.disabled_at = None
            subscription.disabled_reason = ""
            subscription.consecutive_failures = 0
            _fail_expired_deliveries(subscription, now=timezone.now())
        else:
            subscription.disabled_at = timezone.now()
            subscription.disabled_reason = f"Turned off by {describe_actor(actor)}."[:300]
    subscription.save()
    return subscription


def _fail_expired_deliveries(subscription: WebhookSubscription, *, now: datetime.datetime) -> None:
    hours = settings.TCFO_WEBHOOK_RETRY_HOURS
    WebhookDelivery.objects.filter(
        subscription=subscription,
        status=DeliveryStatus.PENDING,
        created_at__lte=now - datetime.timedelta(hours=hours),
    ).update(
        status=DeliveryStatus.FAILED,
        next_attempt_at=None,
        last_error=f"Not sent for {hours} hours while the webhook was disabled.",
    )


@transaction.atomic
def delete_subscription(*, actor: Actor, subscription: WebhookSubscription) -> None:
    """Delete the subscription with its delivery log."""
    _require_own(actor, subscription)
    subscription.delete()


@transaction.atomic
def rotate_secret(
    *, actor: Actor, subscription: WebhookSubscription, now: datetime.datetime | None = None
) -> tuple[WebhookSubscription, str]:
    """A new secret (returned only here); the current one keeps signing beside it for
    ``TCFO_WEBHOOK_SECRET_GRACE_HOURS``. Rotating again while that grace period runs keeps the
    previous secret (and its end) and drops the current one, which the partner may not have
    deployed yet: the secret it still verifies with is never lost."""
    _require_own(actor, subscription)
    now = now or timezone.now()
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    secret = new_secret()
    in_grace = (
        bool(subscription.previous_secret)
        and subscription.previous_secret_expires_at is not None
        and now < subscription.previous_secret_expires_at
    )
    if not in_grace:
        subscription.previous_secret = subscription.secret
        subscription.previous_secret_expires_at = now + datetime.timedelta(
            hours=settings.TCFO_WEBHOOK_SECRET_GRACE_HOURS
        )
    subscription.secret = secret
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return subscription, secret


@transaction.atomic
def redeliver(
    *, actor: Actor, delivery: WebhookDelivery, now: datetime.datetime | None = None
) -> WebhookDelivery:
    """Queue ``delivery`` to be sent again, whatever its status, recording who asked: it is due
    at once and the dispatcher is queued after the commit (nothing is POSTed here). A 2xx answer
    makes it delivered; a failure counts nothing against the webhook (a delivery past the retry
    window is failed again, a younger one is retried with backoff)."""
    _require_own(actor, delivery.subscription)
    if not delivery.subscription.is_active:
        raise Conflict("The webhook is disabled: enable it first.")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now or timezone.now(),
        requested_by=describe_actor(actor)[:150],
    )
    after_commit(DISPATCH_TASK)
    return (
        WebhookDelivery.objects.select_related("event__organisation", "subscription")
        .prefetch_related("log")
        .get(pk=delivery.pk)
    )
