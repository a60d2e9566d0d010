"""Business actions on organisations, users and API keys."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .choices import DEFAULT_KEY_ROLE, Role
from .models import ApiKey, Organisation, User, validate_role_for_organisation


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
    """Create a user whose role fits its organisation; ``ValidationError`` otherwise."""
    validate_role_for_organisation(role, organisation)
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
    user.full_clean(exclude=["password"])
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

    ``role`` defaults to the least powerful working role of the organisation's kind.
    """
    if not organisation.is_active:
        raise ValidationError({"organisation": f"{organisation} is not active."})
    role = role or DEFAULT_KEY_ROLE[organisation.kind]
    if role == Role.PLATFORM_ADMIN:
        raise ValidationError({"role": "An API key cannot act as a platform admin."})
    validate_role_for_organisation(role, organisation)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the key a name, e.g. the system that uses it."})
    api_key = ApiKey(organisation=organisation, name=name, role=role, created_by=created_by)
    secret = ApiKey.objects.assign_key(api_key)
    api_key.full_clean(exclude=["id", "prefix", "hashed_key"])
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
