"""Webhook subscriptions: an organisation's admins (customer admins, an operator's finance and
network staff, and API keys of those roles) say where its events are POSTed.

The signing secret is generated here and returned once, by ``create_subscription`` and
``rotate_secret``; only the subscription keeps it (to sign), nothing shows it again. A rotation
keeps the old secret signing too for ``TCFO_WEBHOOK_SECRET_GRACE_HOURS``, so a partner can
deploy the new one without losing a message.
"""

from __future__ import annotations

import datetime
import ipaddress
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from organisations.access import Actor, describe_actor, has_capability, is_platform_admin
from organisations.choices import Capability
from tcfo_portal.exceptions import Conflict, DomainError, Forbidden, InvalidInput

from ..choices import EventType
from ..models import WebhookDelivery, WebhookSubscription

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
    multicast, reserved or unspecified (an IPv4-mapped IPv6 address as its IPv4 one)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
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
    """The subscription URL, stripped, or ``InvalidInput`` on ``url`` saying what is wrong."""
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
    deliveries are sent again (those past the retry window fail at their next attempt)."""
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
        else:
            subscription.disabled_at = timezone.now()
            subscription.disabled_reason = f"Disabled by {describe_actor(actor)}."[:300]
    subscription.save()
    return subscription


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
    ``TCFO_WEBHOOK_SECRET_GRACE_HOURS``."""
    _require_own(actor, subscription)
    now = now or timezone.now()
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    secret = new_secret()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = now + datetime.timedelta(
        hours=settings.TCFO_WEBHOOK_SECRET_GRACE_HOURS
    )
    subscription.secret = secret
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return subscription, secret


def redeliver(
    *, actor: Actor, delivery: WebhookDelivery, now: datetime.datetime | None = None
) -> WebhookDelivery:
    """Send ``delivery`` again now, whatever its status, recording who asked. A 2xx answer
    makes it delivered; another answer changes nothing but the log (a pending delivery keeps
    its schedule, a failed one stays failed)."""
    from .delivery import attempt_delivery

    _require_own(actor, delivery.subscription)
    if not delivery.subscription.is_active:
        raise Conflict("The webhook is disabled: enable it first.")
    with transaction.atomic():
        locked = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("event__organisation", "subscription")
            .get(pk=delivery.pk)
        )
        attempt_delivery(locked, now=now or timezone.now(), requested_by=describe_actor(actor))
    return locked
