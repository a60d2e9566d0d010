from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.template import loader

from .choices import DEFAULT_KEY_ROLE, ROLES_BY_KIND, Role
from .emails import queue_email
from .models import REGIONAL_ZONES, Organisation, User, canonical_time_zones


class PortalAuthenticationForm(AuthenticationForm):
    def confirm_login_allowed(self, user: User) -> None:
        super().confirm_login_allowed(user)
        if user.organisation is not None and not user.organisation.is_active:
            raise forms.ValidationError(
                "Your organisation's access to the portal is suspended.", code="inactive"
            )


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's password reset, with the mail delivered by a Celery task after the commit."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = loader.render_to_string(subject_template_name, context)
        body = loader.render_to_string(email_template_name, context)
        html_body = (
            loader.render_to_string(html_email_template_name, context)
            if html_email_template_name
            else None
        )
        queue_email(to=[to_email], subject=subject, body=body, html_body=html_body)


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        max_length=50,
        help_text="What uses the key, e.g. “OSS/BSS integration”.",
    )
    role = forms.ChoiceField(choices=())

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        # Its own ids: the page's filters have a "role" of their own (one id, one label).
        kwargs.setdefault("auto_id", "id_key_%s")
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [
            (role, Role(role).label) for role in ROLES_BY_KIND[organisation.kind]
        ]
        self.fields["role"].initial = DEFAULT_KEY_ROLE[organisation.kind]
        self.fields["role"].help_text = "The key can do what a user of this role can."


class CodeForm(forms.Form):
    """The second step of a login, or the confirmation of a new authenticator."""

    code = forms.CharField(
        max_length=32,
        strip=True,
        help_text="The 6 digits your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class UnlockForm(forms.Form):
    username = forms.CharField(max_length=150, required=False)
    ip_address = forms.GenericIPAddressField(label="IP address", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("username") and not cleaned.get("ip_address"):
            raise forms.ValidationError("Name a username or an address to unlock.")
        return cleaned


class PersonalSettingsForm(forms.Form):
    """A person's own settings: the zone they read (and type) times in."""

    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Times on pages are shown in it with its name; forms read times typed in it.",
    )

    def __init__(self, *args: Any, organisation_zone: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regional = [(zone, zone) for zone in REGIONAL_ZONES]
        others = [(z, z) for z in canonical_time_zones() if z not in REGIONAL_ZONES]
        stored = self.initial.get("time_zone") or ""
        if stored and stored not in REGIONAL_ZONES and stored not in canonical_time_zones():
            others = sorted([*others, (stored, stored)])  # an older alias stays as chosen
        self.fields["time_zone"].choices = [
            ("", f"My organisation's ({organisation_zone})"),
            ("In the region", regional),
            ("Every zone", others),
        ]
        # Offered: the canonical zones; accepted: any IANA zone (an alias saved before).
        self.fields["time_zone"].valid_value = lambda value: value in _valid_zones()


def _valid_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {""}
