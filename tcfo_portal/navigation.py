"""The portal's navigation: each entry shows to the actors holding its capability."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse

from organisations.access import capabilities_of
from organisations.choices import Capability


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    capability: Capability | None = None


NAVIGATION: list[NavEntry] = [
    NavEntry("Dashboard", "dashboard"),
    NavEntry("API keys", "api-keys", Capability.MANAGE_API_KEYS),
    NavEntry("API docs", "api-docs"),
    NavEntry("Django admin", "admin:index", Capability.ADMINISTER_PLATFORM),
]


def navigation(request: HttpRequest) -> dict[str, object]:
    """Template context: ``nav`` entries for the current actor, the current one marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    held = capabilities_of(user)
    entries = []
    for entry in NAVIGATION:
        if entry.capability is not None and entry.capability not in held:
            continue
        url = reverse(entry.url_name)
        current = request.path == url if url == "/" else request.path.startswith(url)
        entries.append({"label": entry.label, "url": url, "current": current})
    return {"nav": entries}
