"""Two-factor authentication for every page a session reaches (the portal, the API with a
browser session, the Django admin). Requests made with an API key are not concerned; the API
also refuses an unverified session itself (``VerifiedSessionAuthentication``)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from tcfo_portal.api.errors import error_body

from . import two_factor
from .api.authentication import presents_api_key

# Pages a staff user who must enrol can still reach: enrolling itself, and leaving.
_ENROLMENT_PATHS = ("two-factor", "two-factor-setup", "logout")
_ADMIN_PATH = "/admin/"


class TwoFactorMiddleware:
    """After ``django_otp.middleware.OTPMiddleware``:

    - a session of a user who has an authenticator but was not verified with it (a session from
      before the user enrolled elsewhere) is ended: the user logs in again, with a code;
    - a staff user who must enrol (``TCFO_REQUIRE_STAFF_2FA``) and has not is sent to the
      enrolment page and can reach nothing else (the API answers 403); the Django admin asks
      this of its users whatever the setting.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refusal = self._refusal(request)
        return refusal if refusal is not None else self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if request.path.startswith("/api/") and presents_api_key(request):
            return None  # the key (accepted or refused) decides, not the session
        if two_factor.is_enrolled(user):
            logout(request)
            return self._to_login(request)
        # The Django admin always wants a verified session, whatever the setting says.
        # (Only of users it lets in: for anyone else it is the "Not allowed" page.)
        admin = request.path.startswith(_ADMIN_PATH) and user.is_staff
        required = two_factor.must_enrol(user) or admin
        if required and not self._enrolment_page(request):
            return self._to_enrolment(request)
        return None

    @staticmethod
    def _enrolment_page(request: HttpRequest) -> bool:
        return request.path in {reverse(name) for name in _ENROLMENT_PATHS}

    @staticmethod
    def _to_login(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            body = error_body("two_factor_required", "Log in again, with your code.")
            return JsonResponse(body, status=403)
        messages.info(request, "Log in again, with the code of your authenticator app.")
        return redirect(f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}")

    @staticmethod
    def _to_enrolment(request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            body = error_body(
                "two_factor_required",
                "Set up two-factor authentication in the portal first (Account security).",
            )
            return JsonResponse(body, status=403)
        return redirect("two-factor-setup")


class ReaderTimeZoneMiddleware:
    """Times on pages are shown in the signed-in person's zone (``User.display_zone``); an
    anonymous visitor reads them in UTC. ``tcfo_portal.formatting`` names the zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user.display_zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
