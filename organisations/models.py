from __future__ import annotations

import functools
import re
import zoneinfo
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_countries.fields import CountryField
from rest_framework_api_key.models import AbstractAPIKey, APIKeyManager

from .choices import ROLES_BY_KIND, OrganisationKind, Role

currency_code_validator = RegexValidator(
    r"^[A-Z]{3}$", "Enter an ISO 4217 currency code: three capital letters, e.g. USD."
)
invoice_prefix_validator = RegexValidator(
    r"^[A-Z]{2,6}$", "Enter 2 to 6 capital letters, e.g. AZT."
)


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


# The zones of the consortium's region, offered first.
REGIONAL_ZONES = (
    "Asia/Baku",
    "Asia/Almaty",
    "Asia/Aqtau",
    "Asia/Atyrau",
    "Asia/Tbilisi",
    "Asia/Ashgabat",
    "Asia/Tashkent",
    "Europe/Moscow",
    "Europe/Istanbul",
    "UTC",
)


@functools.cache
def canonical_time_zones() -> tuple[str, ...]:
    """The canonical IANA zones (tzdata's ``zone1970.tab``, without the backward aliases such
    as Africa/Asmera), sorted: what a person picks from. Any valid zone is still accepted."""
    from importlib.resources import files

    table = files("tzdata.zoneinfo").joinpath("zone1970.tab").read_text(encoding="utf-8")
    zones = {
        line.split("\t")[2]
        for line in table.splitlines()
        if line.strip() and not line.startswith("#")
    }
    return tuple(sorted((zones | {"UTC"}) & _time_zones()))


def validate_time_zone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(f"“{value}” is not an IANA time zone such as Asia/Baku.")


class Organisation(models.Model):
    """A legal entity that uses the portal: a consortium operator or a carrier customer.

    Operators carry what an invoice needs of its billing party (legal details, bank, invoice
    prefix, time zone); customers carry what an invoice needs of its addressee.
    """

    kind = models.CharField(max_length=16, choices=OrganisationKind.choices)
    name = models.CharField(max_length=100, unique=True, help_text="Short name, e.g. AzerTelecom.")
    legal_name = models.CharField(max_length=200)
    country = CountryField()
    tax_number = models.CharField(max_length=50, blank=True)
    address = models.TextField(blank=True)
    bank_name = models.CharField(max_length=200, blank=True)
    bank_account = models.CharField(max_length=64, blank=True, help_text="IBAN or account number.")
    bank_swift = models.CharField("bank SWIFT/BIC", max_length=11, blank=True)
    invoice_prefix = models.CharField(
        max_length=6,
        blank=True,
        validators=[invoice_prefix_validator],
        help_text="Operators only: the prefix of their invoice numbers, e.g. AZT.",
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Billing periods are calendar months in this time zone.",
    )
    currency = models.CharField(
        "currency of account", max_length=3, default="USD", validators=[currency_code_validator]
    )
    billing_email = models.EmailField(blank=True, help_text="Where invoices and notices are sent.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=OrganisationKind.CUSTOMER) | ~Q(invoice_prefix=""),
                name="operator_has_invoice_prefix",
                violation_error_message="An operator needs an invoice prefix.",
            ),
            models.UniqueConstraint(
                fields=["invoice_prefix"],
                condition=~Q(invoice_prefix=""),
                name="unique_invoice_prefix",
                violation_error_message="Another organisation already uses this invoice prefix.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_operator(self) -> bool:
        return self.kind == OrganisationKind.OPERATOR

    @property
    def is_customer(self) -> bool:
        return self.kind == OrganisationKind.CUSTOMER


def validate_role_for_organisation(role: str, organisation: Organisation | None) -> None:
    """Raise ``ValidationError`` unless ``role`` fits the kind of ``organisation``."""
    if role == Role.PLATFORM_ADMIN:
        if organisation is not None:
            raise ValidationError({"role": "A platform admin belongs to no organisation."})
        return
    if organisation is None:
        raise ValidationError({"organisation": "This role needs an organisation."})
    allowed = ROLES_BY_KIND[organisation.kind]
    if role not in allowed:
        labels = ", ".join(Role(r).label.lower() for r in allowed)
        raise ValidationError(
            {"role": f"A user of {organisation.kind} {organisation.name} can be: {labels}."}
        )


class PortalUserManager(UserManager):
    def create_superuser(
        self,
        username: str,
        email: str | None = None,
        password: str | None = None,
        **extra_fields: Any,
    ) -> User:
        extra_fields.setdefault("role", Role.PLATFORM_ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in. Belongs to one organisation (none for a platform admin)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="Times are shown in this IANA zone; empty: the organisation's zone.",
    )

    objects = PortalUserManager()

    class Meta(AbstractUser.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_known"),
            models.CheckConstraint(
                condition=(Q(role=Role.PLATFORM_ADMIN) & Q(organisation__isnull=True))
                | (~Q(role=Role.PLATFORM_ADMIN) & Q(organisation__isnull=False)),
                name="user_organisation_matches_role",
                violation_error_message=(
                    "A platform admin belongs to no organisation; every other user belongs to one."
                ),
            ),
        ]

    @property
    def display_zone(self) -> str:
        """The IANA zone this person reads times in: their own, else their organisation's."""
        if self.time_zone:
            return self.time_zone
        return self.organisation.time_zone if self.organisation_id else "UTC"

    def clean(self) -> None:
        super().clean()
        validate_role_for_organisation(self.role, self.organisation)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Django admin access follows the role, so it cannot drift from it.
        self.is_staff = self.is_superuser = self.role == Role.PLATFORM_ADMIN
        super().save(*args, **kwargs)


# djangorestframework-api-key makes keys of an 8-letter prefix, a dot and a 32-letter secret.
API_KEY_PREFIX_PATTERN = r"[A-Za-z0-9]{8}"
API_KEY_PATTERN = re.compile(rf"^{API_KEY_PREFIX_PATTERN}\.[A-Za-z0-9]{{32}}$")


class ApiKeyManager(APIKeyManager):
    def get_usable_keys(self) -> models.QuerySet[ApiKey]:
        return super().get_usable_keys().select_related("organisation")

    def usable(self) -> models.QuerySet[ApiKey]:
        """Keys that authenticate now: not revoked, not expired."""
        return self.filter(revoked=False).filter(
            Q(expiry_date__isnull=True) | Q(expiry_date__gt=timezone.now())
        )


class ApiKey(AbstractAPIKey):
    """A key for the wholesale API. Belongs to one organisation and acts with one role.

    The key itself is shown once when created; only its prefix (to look it up) and a SHA-512
    hash are stored (djangorestframework-api-key).
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_keys"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyManager()

    tenant_field = "organisation"

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    def clean(self) -> None:
        super().clean()
        if self.role == Role.PLATFORM_ADMIN:
            raise ValidationError({"role": "An API key cannot act as a platform admin."})
        if self.organisation_id is not None:
            validate_role_for_organisation(self.role, self.organisation)


class IdempotencyRecord(models.Model):
    """The first answer to a ``POST`` made with an ``Idempotency-Key``, kept to be given again.

    The same key and body get the stored answer and create nothing more; the same key with
    another body is refused (422). Keys are scoped to the organisation that sent them, or to
    the user for one of none (a platform admin): another client's key is another key.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    user = models.ForeignKey(
        "User", on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    key = models.CharField(max_length=255)
    path = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key"],
                condition=models.Q(organisation__isnull=False),
                name="one_answer_per_key",
            ),
            models.UniqueConstraint(
                fields=["user", "key"],
                condition=models.Q(organisation__isnull=True),
                name="one_answer_per_key_of_a_user",
            ),
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False, user__isnull=True)
                | models.Q(organisation__isnull=True, user__isnull=False),
                name="idempotency_key_of_an_organisation_or_a_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation or self.user} {self.key}"


class OutgoingEmail(models.Model):
    """A mail written in the transaction of the change it tells of, sent after the commit by a
    worker (and by the beat job ``send-pending-emails`` when the broker was down then): nothing
    is mailed for a change that rolled back, and no mail is lost while Redis or every worker is
    down. The body is cleared once sent (a password-reset link must not outlive its use)."""

    to = models.JSONField(default=list)
    subject = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"], condition=models.Q(sent_at__isnull=True), name="email_unsent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} to {', '.join(self.to)}"
