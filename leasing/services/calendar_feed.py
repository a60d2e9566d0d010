"""Each customer organisation's secret iCalendar feed of its planned work and outages.

Calendar programs cannot sign in, so the address itself is the secret: a random token of which
only the SHA-256 is kept (``CalendarFeed``). It is shown once, when made; making a new one
replaces it and the old address stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from organisations.access import Actor, describe_actor, has_capability
from organisations.choices import Capability
from organisations.models import Organisation

from ..exceptions import NotPermitted
from ..models import CalendarFeed

TOKEN_BYTES = 32
TOKEN_PATTERN = r"[A-Za-z0-9_-]{20,100}"  # noqa: S105 (a pattern, not a secret)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def new_calendar_feed(*, actor: Actor | None) -> str:
    """Make a new feed token for ``actor``'s organisation (a customer's admin), replacing any
    earlier one; returns the token (shown once, never stored)."""
    organisation = getattr(actor, "organisation", None)
    if (
        organisation is None
        or not organisation.is_customer
        or not has_capability(actor, Capability.MANAGE_API_KEYS)
    ):
        raise NotPermitted("A customer's administrator makes its calendar address.")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    CalendarFeed.objects.update_or_create(
        organisation=organisation,
        defaults={
            "token_hash": token_hash(token),
            "created_by": describe_actor(actor),
            "created_at": timezone.now(),
        },
    )
    return token


def feed_owner(token: str) -> Organisation | None:
    """The active organisation whose feed ``token`` opens, or None (an unknown or replaced
    token, or an organisation switched off)."""
    feed = (
        CalendarFeed.objects.select_related("organisation")
        .filter(token_hash=token_hash(token), organisation__is_active=True)
        .first()
    )
    return feed.organisation if feed else None
