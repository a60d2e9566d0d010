"""API authentication: an API key as ``Authorization: Api-Key <key>``, or the same key as
``Authorization: Bearer <key>`` (what clients generated from the schema send); else a browser
session, only once two-factor authentication let it through."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, status
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from .. import two_factor
from ..models import API_KEY_PATTERN, ApiKey, Organisation, User
from ..services import record_api_key_use


@dataclass(frozen=True)
class ApiKeyActor:
    """The ``request.user`` of a request made with an API key: its organisation and role."""

    api_key: ApiKey

    is_authenticated = True
    is_api_key = True
    is_anonymous = False
    is_active = True
    pk = None

    @property
    def organisation(self) -> Organisation:
        return self.api_key.organisation

    @property
    def role(self) -> str:
        return self.api_key.role

    def __str__(self) -> str:
        return f"API key {self.api_key.prefix} of {self.organisation}"


class ApiKeyParser(KeyParser):
    """The key after either keyword, in any case: ``Api-Key <key>`` or ``Bearer <key>``."""

    keywords = (KeyParser.keyword, "Bearer")

    def get_from_authorization(self, request: HttpRequest) -> str | None:
        keyword, found, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if not found or keyword.lower() not in {word.lower() for word in self.keywords}:
            return None
        return key


def presents_api_key(request: HttpRequest) -> bool:
    """Whether ``request`` carries an API key in a scheme we read (``Api-Key``, ``Bearer``): then
    the key alone decides who it is (or refuses it), never a session the client also sends."""
    return ApiKeyAuthentication.key_parser.get(request) is not None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = KeyParser.keyword
    key_parser = ApiKeyParser()

    def authenticate(self, request: Request) -> tuple[ApiKeyActor, ApiKey] | None:
        key = self.key_parser.get(request)
        if key is None:
            return None
        key = key.strip()
        if not API_KEY_PATTERN.match(key):
            raise exceptions.AuthenticationFailed("Malformed API key.")
        try:
            api_key = ApiKey.objects.get_from_key(key)
        except ApiKey.DoesNotExist:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.") from None
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed("This API key has expired.")
        if not api_key.organisation.is_active:
            raise exceptions.AuthenticationFailed("The organisation of this API key is inactive.")
        record_api_key_use(api_key=api_key)
        return ApiKeyActor(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return self.keyword


class TwoFactorRequired(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "two_factor_required"
    default_detail = (
        "This session has not passed two-factor authentication: log in again with your code, "
        "or set it up in the portal first (Account security)."
    )


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (with its CSRF check), for sessions that passed two-factor
    authentication when they must: a session of a user who has an authenticator but did not
    log in with it, or of a staff user who must enrol and has not, is refused 403
    ``two_factor_required`` whatever else the request carries."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        authenticated = super().authenticate(request)
        if authenticated is None:
            return None
        user = authenticated[0]
        verified = getattr(user, "is_verified", None)  # set by django-otp's middleware
        if verified is not None and verified():
            return authenticated
        if two_factor.is_enrolled(user) or two_factor.must_enrol(user):
            raise TwoFactorRequired()
        return authenticated


class VerifiedSessionScheme(SessionScheme):
    """In the schema: the session cookie, as for DRF's own session authentication."""

    target_class = "organisations.api.authentication.VerifiedSessionAuthentication"


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Two ways to send the same key, either one enough: ``Bearer`` for generated clients,
    ``Api-Key`` as the contract has always said."""

    target_class = "organisations.api.authentication.ApiKeyAuthentication"
    name = ["Bearer", "ApiKey"]

    def get_security_requirement(self, auto_schema: object) -> list[dict[str, list]]:
        return [{name: []} for name in self.name]

    def get_security_definition(self, auto_schema: object) -> list[dict[str, str]]:
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "`Authorization: Bearer <key>`: an API key, shown once when it "
                "is created.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "`Authorization: Api-Key <key>`: the same key with the "
                "contract's own keyword.",
            },
        ]
