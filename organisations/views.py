from __future__ import annotations

import json
import time
from functools import partial
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import user_login_failed
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, ListView, TemplateView
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from tcfo_portal.confirm import Confirmation, confirmation_page, is_confirmed, wants_changes
from tcfo_portal.exceptions import DomainError
from tcfo_portal.formatting import format_moment
from tcfo_portal.forms import add_domain_error, flash_domain_error, submit
from tcfo_portal.lists import Column, PortalList, column, computed_list, portal_list

from . import two_factor
from .access import visible_to
from .api.views import ApiKeyViewSet
from .choices import ROLES_BY_KIND, Capability
from .filtersets import ApiKeyFilterSet
from .forms import (
    ApiKeyCreateForm,
    CodeForm,
    PersonalSettingsForm,
    PortalAuthenticationForm,
    QueuedPasswordResetForm,
    UnlockForm,
)
from .mixins import CapabilityRequiredMixin
from .models import ApiKey, User
from .security import (
    Lockout,
    client_address,
    current_lockouts,
    lockout_response,
    password_reset_allowed,
    unlock_login,
)
from .services import create_api_key, revoke_api_key, set_time_zone

# --- Logging in: the password, then (for a user with an authenticator) a code ---------------------

_PENDING_LOGIN = "tcfo_pending_login"


class LoginView(auth_views.LoginView):
    """The password step. A user with an authenticator is not logged in yet: the session only
    remembers who gave the right password, for the code step, for a few minutes."""

    authentication_form = PortalAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: PortalAuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not two_factor.is_enrolled(user):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[_PENDING_LOGIN] = {
            "user": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "at": time.time(),
        }
        return redirect("login-code")


def _pending_login(request: HttpRequest) -> tuple[User | None, dict[str, Any]]:
    pending = request.session.get(_PENDING_LOGIN)
    if not isinstance(pending, dict):
        return None, {}
    if time.time() - pending.get("at", 0) > settings.TCFO_2FA_LOGIN_SECONDS:
        del request.session[_PENDING_LOGIN]
        return None, {}
    user = User.objects.filter(pk=pending.get("user"), is_active=True).first()
    return user, pending


def _refuse_code(form: CodeForm, checked: two_factor.CodeCheck) -> None:
    if checked.wait_seconds:
        form.add_error(
            "code",
            f"Too many wrong codes: wait {checked.wait_seconds} second(s), then try the code "
            "your app shows then.",
        )
    else:
        form.add_error("code", "That code is not right (or was used already).")


@method_decorator(never_cache, name="dispatch")
class LoginCodeView(FormView):
    """The code step: the authenticator's code or a recovery code. Wrong codes count as failed
    logins of the account (django-axes), and the device itself slows down repeated guesses."""

    template_name = "registration/login_code.html"
    form_class = CodeForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.user, self.pending = _pending_login(request)
        if self.user is None:
            messages.info(request, "Log in with your password first (the code step times out).")
            return redirect("login")
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: CodeForm) -> HttpResponse:
        request, user = self.request, self.user
        credentials = {"username": user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return lockout_response(request, None, credentials)
        checked = two_factor.check_code(user=user, code=form.cleaned_data["code"])
        if not checked.ok:
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            _refuse_code(form, checked)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        del request.session[_PENDING_LOGIN]
        auth_login(request, user, backend=self.pending["backend"])
        otp_login(request, checked.device)
        if isinstance(checked.device, StaticDevice):
            left = two_factor.recovery_codes_left(user)
            messages.warning(
                request,
                f"You logged in with a recovery code; {left} left. Make new ones on your account "
                "security page if you are running low.",
            )
        return redirect(self.pending["next"])


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, limited per e-mail and per address (``TCFO_PASSWORD_RESET_*``).
    Whether the e-mail has an account or not, the answer is the same."""

    form_class = QueuedPasswordResetForm
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form: QueuedPasswordResetForm) -> HttpResponse:
        allowed = password_reset_allowed(
            email=form.cleaned_data["email"],
            address=client_address(self.request) or "unknown",
        )
        if not allowed:
            minutes = settings.TCFO_PASSWORD_RESET_WINDOW_MINUTES
            form.add_error(
                None,
                "Too many password reset requests for this e-mail or from your address. "
                f"Try again in {minutes} minutes; a link sent earlier still works.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


# --- Account security: enrolling an authenticator, recovery codes --------------------------------

_CODE_CONFIRMED = "tcfo_2fa_confirmed_at"


def _confirmed_recently(request: HttpRequest) -> bool:
    """Whether the user typed a code of their current authenticator (or a recovery code) on the
    account page in the last ``TCFO_2FA_CONFIRM_SECONDS``: what replacing the authenticator,
    making new recovery codes or turning two-factor authentication off asks first, so a
    session alone (a stolen cookie, a computer left unlocked) cannot do them."""
    at = request.session.get(_CODE_CONFIRMED)
    if not isinstance(at, int | float):
        return False
    return 0 <= time.time() - at <= settings.TCFO_2FA_CONFIRM_SECONDS


def _ask_for_a_code(request: HttpRequest) -> HttpResponse:
    messages.info(request, "Type a code of your authenticator app (or a recovery code) first.")
    return redirect("two-factor")


@method_decorator(never_cache, name="dispatch")
class TwoFactorView(LoginRequiredMixin, FormView):
    """The account's two-factor status. A user with an authenticator confirms with a code here
    before changing it (new phone, new recovery codes, off)."""

    template_name = "organisations/two_factor.html"
    form_class = CodeForm

    def get_form(self, form_class: type[CodeForm] | None = None) -> CodeForm:
        form = super().get_form(form_class)
        form.fields["code"].widget.attrs.pop("autofocus", None)
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        return super().get_context_data(
            enrolled=two_factor.is_enrolled(user),
            must_enrol=two_factor.must_enrol(user),
            staff_role=two_factor.is_staff_role(user),
            recovery_codes_left=two_factor.recovery_codes_left(user),
            confirmed=_confirmed_recently(self.request),
            confirm_minutes=max(1, settings.TCFO_2FA_CONFIRM_SECONDS // 60),
            **kwargs,
        )

    def form_valid(self, form: CodeForm) -> HttpResponse:
        request = self.request
        if not two_factor.is_enrolled(request.user):
            return redirect("two-factor")
        _require_verified(request)
        checked = two_factor.check_code(user=request.user, code=form.cleaned_data["code"])
        if not checked.ok:
            _refuse_code(form, checked)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        request.session[_CODE_CONFIRMED] = time.time()
        return redirect("two-factor")


@method_decorator(never_cache, name="dispatch")
class TwoFactorSetupView(LoginRequiredMixin, FormView):
    """Shows a new authenticator's QR code and secret; a code from the app confirms it, and the
    recovery codes are shown once in the answer. Replacing an authenticator (a new phone) asks
    for a code of the current one first (on the account page)."""

    template_name = "organisations/two_factor_setup.html"
    form_class = CodeForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.replacing = request.user.is_authenticated and two_factor.is_enrolled(request.user)
        if self.replacing and not _confirmed_recently(request):
            return _ask_for_a_code(request)
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class: type[CodeForm] | None = None) -> CodeForm:
        form = super().get_form(form_class)
        form.fields["code"].help_text = "The 6 digits your authenticator app shows now."
        return form

    def get_device(self) -> Any:
        user = self.request.user
        return two_factor.pending_enrolment(user) or two_factor.start_enrolment(user=user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        device = self.get_device()
        return super().get_context_data(
            qr_code=two_factor.qr_code_svg(device),
            secret=two_factor.secret_of(device),
            must_enrol=two_factor.must_enrol(self.request.user) and not self.replacing,
            replacing=self.replacing,
            **kwargs,
        )

    def form_valid(self, form: CodeForm) -> HttpResponse:
        device = self.get_device()
        try:
            codes = two_factor.confirm_enrolment(device=device, code=form.cleaned_data["code"])
        except DomainError as error:
            add_domain_error(form, error)
            return self.render_to_response(self.get_context_data(form=form), status=400)
        device.refresh_from_db()
        otp_login(self.request, device)
        self.request.session.pop(_CODE_CONFIRMED, None)
        return render(
            self.request, "organisations/recovery_codes.html", {"codes": codes, "enrolled": True}
        )


def _require_verified(request: HttpRequest) -> None:
    if not request.user.is_verified():
        raise PermissionDenied("Log in with your code first.")


@method_decorator(never_cache, name="dispatch")
class RecoveryCodesView(LoginRequiredMixin, View):
    """New recovery codes (the old ones stop working), shown once."""

    def post(self, request: HttpRequest) -> HttpResponse:
        _require_verified(request)
        if not _confirmed_recently(request):
            return _ask_for_a_code(request)
        codes = two_factor.new_recovery_codes(user=request.user)
        return render(request, "organisations/recovery_codes.html", {"codes": codes})


class TwoFactorRemoveView(LoginRequiredMixin, View):
    """A customer turns two-factor authentication off again (staff roles that must keep it
    cannot)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        _require_verified(request)
        if not _confirmed_recently(request):
            return _ask_for_a_code(request)
        try:
            two_factor.remove_two_factor(user=request.user)
        except DomainError as error:
            flash_domain_error(request, error)
        else:
            request.session.pop(_CODE_CONFIRMED, None)
            messages.success(request, "Two-factor authentication is off.")
        return redirect("two-factor")


# --- Locked-out logins, for platform admins ----------------------------------------------------


# --- i15-i begin: the locked logins' filters, sorts and CSV ---
class LockoutFilterForm(forms.Form):
    """What is locked: an account or an address."""

    kind = forms.ChoiceField(
        choices=[("", "Any"), ("account", "Accounts"), ("address", "Addresses")],
        label="Locked",
    )


def _lockout_keeps(lockout: Lockout, values: dict[str, str]) -> bool:
    kind = values.get("kind")
    return kind is None or (kind == "address") == lockout.is_address


def _lockout_text(lockout: Lockout) -> str:
    return " ".join([lockout.username, lockout.ip_address, *lockout.others])


LOCKOUT_ORDERING = {
    "last_failure": lambda lockout: lockout.last_failure,
    "failures": lambda lockout: lockout.failures,
    "until": lambda lockout: lockout.until,
    "name": lambda lockout: (lockout.ip_address or lockout.username).casefold(),
}
LOCKOUT_CSV = [
    Column("kind", lambda lockout: "address" if lockout.is_address else "account"),
    column("username"),
    column("ip_address"),
    column("failures"),
    column("last_failure"),
    column("until"),
    Column("others", lambda lockout: " ".join(lockout.others)),
]


class LockoutListView(CapabilityRequiredMixin, TemplateView):
    """Locked accounts and addresses (``current_lockouts``, the most recent failure first),
    filtered, searched, sorted, paged and exported; unlock one, or any by name or address."""

    required_capability = Capability.ADMINISTER_PLATFORM
    template_name = "organisations/lockouts.html"

    def listing(self) -> PortalList:
        return computed_list(
            self.request,
            current_lockouts(),
            form_class=LockoutFilterForm,
            keep=_lockout_keeps,
            ordering_fields=LOCKOUT_ORDERING,
            search=lambda lockout: " ".join(
                [lockout.username, lockout.ip_address, *lockout.others]
            ),
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        listing = self.listing()
        if listing.wants_csv:
            return listing.csv("locked-logins", LOCKOUT_CSV)
        context = self.get_context_data(list=listing)
        return self.render_to_response(context, status=listing.status)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("form", UnlockForm())
        kwargs.setdefault("list", None)
        if kwargs["list"] is None:
            kwargs["list"] = self.listing()
        return super().get_context_data(**kwargs)

    # --- i15-i end ---

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UnlockForm(request.POST)
        if not form.is_valid():
            context = self.get_context_data(form=form)
            return self.render_to_response(context, status=400)
        removed = unlock_login(**form.cleaned_data)
        who = " and ".join(value for value in form.cleaned_data.values() if value)
        messages.success(request, f"Unlocked {who} ({removed} record(s) of failures removed).")
        return redirect("lockouts")


_NEW_KEY_COOKIE = "new_api_key"


def _hand_over_secret(request: HttpRequest, response: HttpResponse, *, name: str, key: str) -> None:
    """Carry a new key's secret over the redirect to the one page load that shows it.

    The secret travels in a short-lived signed cookie to the browser of the admin who made it,
    never into the session or any other server-side store: only the key's hash is kept.
    """
    response.set_signed_cookie(
        _NEW_KEY_COOKIE,
        json.dumps({"name": name, "key": key}),
        salt=_NEW_KEY_COOKIE,
        max_age=60,
        path=reverse("api-keys"),
        secure=request.is_secure(),
        httponly=True,
        samesite="Strict",
    )


API_KEY_CSV = [
    column("prefix"),
    column("name"),
    column("organisation", "organisation.name"),
    column("role"),
    column("created"),
    column("created_by", "created_by.username"),
    column("last_used_at"),
    column("revoked"),
    column("revoked_at"),
]


class ApiKeyListView(CapabilityRequiredMixin, ListView):
    required_capability = Capability.MANAGE_API_KEYS
    template_name = "organisations/api_keys.html"
    context_object_name = "api_keys"

    def get_queryset(self) -> QuerySet[ApiKey]:
        queryset = ApiKey.objects.select_related("organisation", "created_by").order_by(
            "revoked", "-created"
        )
        return visible_to(queryset, self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        organisation = self.request.user.organisation
        if organisation is not None:
            context.setdefault("form", ApiKeyCreateForm(organisation=organisation))
        return context

    def filters(self, data: Any, queryset: QuerySet) -> ApiKeyFilterSet:
        """The API's filters, the role offering only the roles the organisation's keys can
        have (a customer is offered no operator's role)."""
        filters = ApiKeyFilterSet(data, queryset=queryset)
        organisation = self.request.user.organisation
        if organisation is not None:
            roles = ROLES_BY_KIND.get(organisation.kind, ())
            field = filters.form.fields["role"]
            field.choices = [(v, label) for v, label in field.choices if v and v in roles]
        return filters

    def listing(self) -> PortalList:
        return portal_list(
            self.request,
            self.get_queryset(),
            filterset_class=self.filters,
            ordering_fields=ApiKeyViewSet.ordering_fields,
            search_fields=("name", "prefix"),
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        listing = self.listing()
        if listing.wants_csv:
            return listing.csv("api-keys", API_KEY_CSV)
        new_key = request.get_signed_cookie(
            _NEW_KEY_COOKIE, default=None, salt=_NEW_KEY_COOKIE, max_age=60
        )
        self.object_list = listing.page_rows
        context = self.get_context_data(
            new_key=json.loads(new_key) if new_key else None, list=listing
        )
        response = self.render_to_response(context, status=listing.status)
        if new_key:
            response.delete_cookie(_NEW_KEY_COOKIE, path=reverse("api-keys"))
            add_never_cache_headers(response)
        return response

    def post(self, request: HttpRequest) -> HttpResponse:
        organisation = request.user.organisation
        if organisation is None:
            messages.error(request, "Platform admins create keys with manage.py create_api_key.")
            return redirect("api-keys")
        form = ApiKeyCreateForm(request.POST, organisation=organisation)
        if form.is_valid():
            try:
                api_key, secret = create_api_key(
                    organisation=organisation, created_by=request.user, **form.cleaned_data
                )
            except DomainError as error:
                add_domain_error(form, error)
            else:
                response = redirect("api-keys")
                _hand_over_secret(request, response, name=api_key.name, key=secret)
                return response
        listing = self.listing()
        self.object_list = listing.page_rows
        context = self.get_context_data(form=form, list=listing)
        return render(request, self.template_name, context, status=400)


class ApiKeyRevokeView(CapabilityRequiredMixin, View):
    required_capability = Capability.MANAGE_API_KEYS

    def post(self, request: HttpRequest, prefix: str) -> HttpResponse:
        api_key = get_object_or_404(visible_to(ApiKey.objects.all(), request.user), prefix=prefix)
        if wants_changes(request):
            return redirect("api-keys")
        if not is_confirmed(request):
            return confirmation_page(
                request,
                Confirmation(
                    title=f"Revoke the key “{api_key.name}”?",
                    action=f"Every request with the key {api_key.prefix}… of "
                    f"{api_key.organisation} (acting as {api_key.get_role_display()}) is "
                    "refused from now on. A revoked key cannot be used again: the systems "
                    "using it need a new one.",
                    facts=[
                        ("Key", f"{api_key.prefix}…"),
                        ("Last used", format_moment(api_key.last_used_at)),
                    ],
                    confirm_label="Revoke the key",
                    cancel_url=reverse("api-keys"),
                    back_label=None,
                    danger=True,
                ),
            )
        revoke_api_key(api_key=api_key)
        messages.success(request, f"The key “{api_key.name}” ({api_key.prefix}…) is revoked.")
        return redirect("api-keys")


# --- A person's own settings ----------------------------------------------------------------------


class PersonalSettingsView(LoginRequiredMixin, View):
    """Anyone signed in sets the time zone they read times in (blank: their organisation's).
    Only their own: the form changes ``request.user`` and nobody else."""

    template_name = "organisations/settings.html"

    def _organisation_zone(self) -> str:
        organisation = self.request.user.organisation
        return organisation.time_zone if organisation is not None else "UTC"

    def _page(self, form: PersonalSettingsForm, status: int = 200) -> HttpResponse:
        context = {
            "form": form,
            "organisation_zone": self._organisation_zone(),
            "now": timezone.now(),
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        form = PersonalSettingsForm(
            initial={"time_zone": request.user.time_zone},
            organisation_zone=self._organisation_zone(),
        )
        return self._page(form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PersonalSettingsForm(request.POST, organisation_zone=self._organisation_zone())
        if not submit(form, partial(set_time_zone, user=request.user)):
            return self._page(form, status=400)
        messages.success(request, f"Times are now shown in {request.user.display_zone}.")
        return redirect("settings")
