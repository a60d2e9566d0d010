"""Who acts, for the audit log: django-auditlog's middleware, told about our actors."""

from __future__ import annotations

from typing import Any

from auditlog.middleware import AuditlogMiddleware
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from organisations.models import User
from organisations.security import client_address

from .signals import request_actor


def _person(request: HttpRequest) -> User | None:
    user = getattr(request, "user", None)
    if isinstance(user, User) and user.is_authenticated:
        return user
    return None


def actor_label(request: HttpRequest) -> str:
    """A username, or an API key as ``API key <prefix> (<organisation>)``."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return "anonymous"
    api_key = getattr(user, "api_key", None)
    if api_key is not None:
        return f"API key {api_key.prefix} ({api_key.organisation})"
    return user.get_username()


class AuditActorMiddleware(AuditlogMiddleware):
    """Entries written during a request name its actor, read when the entry is written, not
    when the request arrives: an API key is known only once DRF authenticated it (DRF then sets
    ``request.user`` on the Django request too). A person is the entry's ``actor``; everyone is
    named in ``additional_data["actor"]``, an API key with its prefix and organisation."""

    def get_extra_data(self, request: HttpRequest) -> dict[str, Any]:
        return {
            "remote_addr": None
            if getattr(settings, "AUDITLOG_DISABLE_REMOTE_ADDR", False)
            else client_address(request),
            "remote_port": None,
            # django-auditlog calls these when it writes an entry.
            "actor_id": lambda: getattr(_person(request), "pk", None),
            "actor_email": lambda: getattr(_person(request), "email", None),
        }

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_actor.set(lambda: actor_label(request))
        try:
            return super().__call__(request)
        finally:
            request_actor.reset(token)
