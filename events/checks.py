"""System checks of the webhook settings (``manage.py check``; ``--deploy`` for the warning)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

MINIMUM_RETRY_HOURS = 24


@checks.register()
def check_retry_window(**kwargs: Any) -> list[checks.CheckMessage]:
    """A delivery is retried for at least a day (a promise of the partner guide)."""
    hours = settings.TCFO_WEBHOOK_RETRY_HOURS
    if hours < MINIMUM_RETRY_HOURS:
        return [
            checks.Error(
                f"TCFO_WEBHOOK_RETRY_HOURS is {hours}: webhooks must be retried for at least "
                f"{MINIMUM_RETRY_HOURS} hours.",
                hint=f"Set TCFO_WEBHOOK_RETRY_HOURS to {MINIMUM_RETRY_HOURS} or more (72 is "
                "the default).",
                id="events.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_private_targets(**kwargs: Any) -> list[checks.CheckMessage]:
    """A deployment does not POST webhooks to private, loopback or link-local addresses."""
    if settings.TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return [
            checks.Warning(
                "TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS is on: a partner's webhook may reach "
                "private, loopback and link-local addresses (the portal's own network).",
                hint="Leave TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS unset in production.",
                id="events.W001",
            )
        ]
    return []
