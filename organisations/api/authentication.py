"""API key authentication for the wholesale API: ``Authorization: Api-Key <key>``, or the same key
as ``Authorization: Bearer <key>`` (what clients generated from the schema send)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request
from rest_framework_api_key.permissions import KeyParser

from ..models import API_KEY_PATTERN, ApiKey, Organisation
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
