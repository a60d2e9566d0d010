"""Two-factor authentication: a TOTP authenticator app, with single-use recovery codes.

A user with a confirmed authenticator is always asked for a code after the password; staff roles
(operator finance, operator network, platform admins) must enrol when ``TCFO_REQUIRE_STAFF_2FA``
is on (the default whenever DEBUG is off); customers may enrol from their account page. Recovery
codes (a django-otp static device) are shown once and each works once. API keys are unaffected.
"""

from __future__ import annotations

import base64
import binascii
import math
import time
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tcfo_portal.exceptions import DomainError

from .choices import Role
from .models import User

STAFF_ROLES = frozenset({Role.OPERATOR_FINANCE, Role.OPERATOR_NETWORK, Role.PLATFORM_ADMIN})
RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


def is_staff_role(user: User) -> bool:
    return user.role in STAFF_ROLES


def must_enrol(user: User) -> bool:
    """Whether ``user`` may do nothing before enrolling: a staff role, with enforcement on."""
    return settings.TCFO_REQUIRE_STAFF_2FA and is_staff_role(user)


def authenticator_of(user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator, if enrolled."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def is_enrolled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def secret_of(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in: base32, without padding."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def qr_code_svg(device: TOTPDevice) -> str:
    """The ``otpauth://`` address of the device as an SVG QR code, to put inline in the page."""
    return segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#14213d", light="#ffffff", title="QR code for your authenticator app"
    )


def code_for(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code the device accepts now: the current 30-second step's, or, when that one was
    used already, the next step's (accepted within the device's tolerance)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    if device.last_t >= totp.t():
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


@transaction.atomic
def start_enrolment(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator for ``user`` (any earlier unconfirmed one is dropped).
    It protects nothing until confirmed with a code it generated."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def pending_enrolment(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


@transaction.atomic
def confirm_enrolment(*, device: TOTPDevice, code: str) -> list[str]:
    """Confirm ``device`` with a code from the app: it replaces any earlier authenticator, and
    new recovery codes replace the old ones. Returns the recovery codes (shown once).
    ``DomainError`` when the code is wrong."""
    device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, confirmed=False).first()
    if device is None:
        raise DomainError(
            "This setup was finished or replaced meanwhile: reload the page.", field="code"
        )
    if not device.verify_token(_digits(code)):
        raise DomainError(
            "That code is not right: type the 6 digits your app shows now.", field="code"
        )
    TOTPDevice.objects.filter(user=device.user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return new_recovery_codes(user=device.user)


@transaction.atomic
def enrol_with_secret(*, user: User, secret: str, name: str = AUTHENTICATOR_NAME) -> TOTPDevice:
    """Enrol ``user`` with a known base32 secret (the demo's published ones). Idempotent: the
    same secret again keeps the device as it is."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()
    device = TOTPDevice.objects.filter(user=user, confirmed=True, key=key).first()
    if device is None:
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=name, key=key, confirmed=True)
    return device


@transaction.atomic
def new_recovery_codes(*, user: User) -> list[str]:
    """Replace the user's recovery codes with new ones and return them (stored as django-otp
    keeps them; each works once)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def remove_two_factor(*, user: User) -> None:
    """Remove the user's authenticator and recovery codes. Refused for a staff role that must
    enrol (a platform admin can still reset a lost one in the admin)."""
    if must_enrol(user):
        raise DomainError("Your role must keep two-factor authentication.")
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


@dataclass(frozen=True)
class CodeCheck:
    device: TOTPDevice | StaticDevice | None
    wait_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.device is not None


def _digits(code: str) -> str:
    return "".join(code.split()).replace("-", "")


def check_code(*, user: User, code: str) -> CodeCheck:
    """Check a code typed at login: the authenticator's current 6-digit code, or one recovery
    code (used up when it matches). After a wrong code a device waits 1, 2, 4... seconds before
    it checks another; ``wait_seconds`` says how long when that refused the check."""
    code = _digits(code).lower()
    if not code or len(code) > 16:
        return CodeCheck(None)
    model = TOTPDevice if len(code) == 6 and code.isascii() and code.isdigit() else StaticDevice
    throttled = 0
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True):
            allowed, _ = device.verify_is_allowed()
            if not allowed:
                throttled = max(throttled, _wait_of(device), 1)
            elif device.verify_token(code):
                return CodeCheck(device)
    return CodeCheck(None, wait_seconds=throttled)


def _wait_of(device: TOTPDevice | StaticDevice) -> int:
    if not device.throttling_failure_count or device.throttling_failure_timestamp is None:
        return 0
    required = device.get_throttle_factor() * 2 ** (device.throttling_failure_count - 1)
    waited = (timezone.now() - device.throttling_failure_timestamp).total_seconds()
    return max(0, math.ceil(required - waited))


def valid_secret(secret: str) -> bool:
    try:
        base64.b32decode(secret + "=" * (-len(secret) % 8))
    except (binascii.Error, ValueError):
        return False
    return True
