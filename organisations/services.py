"""Business actions on organisations, users and API keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tcfo_portal.exceptions import InvalidInput

from .choices import DEFAULT_KEY_ROLE, Role
from .models import (
    ApiKey,
    Organisation,
    User,
    validate_role_for_organisation,
    validate_time_zone,
)


def create_user(
    *,
    username: str,
    email: str,
    password: str | None,
    role: str,
    organisation: Organisation | None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a user whose role fits its organisation; ``InvalidInput`` otherwise."""
    _checked(validate_role_for_organisation, role, organisation)
    user = User(
        username=username,
        email=email,
        role=role,
        organisation=organisation,
        first_name=first_name,
        last_name=last_name,
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    _checked(user.full_clean, exclude=["password"])
    user.save()
    return user


def create_api_key(
    *,
    organisation: Organisation,
    name: str,
    role: str | None = None,
    created_by: User | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for ``organisation`` and return it with its secret, which is never stored.

    ``role`` defaults to the least powerful working role of the organisation's kind. A key
    that cannot be (an inactive organisation, a role it cannot have, no name) is refused with
    ``InvalidInput`` naming the field.
    """
    if not organisation.is_active:
        raise InvalidInput("organisation", f"{organisation} is not active.")
    role = role or DEFAULT_KEY_ROLE[organisation.kind]
    if role == Role.PLATFORM_ADMIN:
        raise InvalidInput("role", "An API key cannot act as a platform admin.")
    _checked(validate_role_for_organisation, role, organisation)
    name = name.strip()
    if not name:
        raise InvalidInput("name", "Give the key a name, e.g. the system that uses it.")
    api_key = ApiKey(organisation=organisation, name=name, role=role, created_by=created_by)
    secret = ApiKey.objects.assign_key(api_key)
    _checked(api_key.full_clean, exclude=["id", "prefix", "hashed_key"])
    api_key.save()
    return api_key, secret


@transaction.atomic
def revoke_api_key(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key for good. Revoking a revoked key changes nothing."""
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if not api_key.revoked:
        api_key.revoked = True
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked", "revoked_at"])
    return api_key


def record_api_key_use(*, api_key: ApiKey) -> None:
    """Remember when a key was last used, at most once a minute per key to spare the database."""
    now = timezone.now()
    if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() >= 60:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now


def set_time_zone(*, user: User, time_zone: str) -> User:
    """Set the zone ``user`` reads times in: an IANA zone, or blank for their organisation's
    (``User.display_zone``). A person changes only their own: the caller passes the acting user.
    ``InvalidInput`` (on ``time_zone``) for a name that is not an IANA zone."""
    time_zone = (time_zone or "").strip()
    if time_zone:
        try:
            validate_time_zone(time_zone)
        except ValidationError as error:
            raise InvalidInput("time_zone", error.messages[0]) from None
    user.time_zone = time_zone
    user.save(update_fields=["time_zone"])
    return user


def _checked(validate: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """Run a model's own validation; its refusal leaves the service as a domain error."""
    try:
        validate(*args, **kwargs)
    except ValidationError as error:
        raise InvalidInput.from_validation_error(error) from None
