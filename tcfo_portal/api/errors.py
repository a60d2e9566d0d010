"""One error shape for every API response that is not a success.

``{"type": "...", "detail": "human readable", "errors": {"field": ["..."]}}``
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from tcfo_portal.exceptions import DomainError

from .throttling import count_refused_credentials

logger = logging.getLogger(__name__)

_TYPES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(error_type: str, detail: str, errors: dict[str, Any] | None = None) -> dict:
    return {"type": error_type, "detail": detail, "errors": errors or {}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(error_body(exc.error_type, exc.detail, exc.errors), status=exc.status_code)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("too_large", "The request body is too large; send smaller batches."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, ProtectedError | RestrictedError):
        counts = Counter(obj._meta.verbose_name_plural for obj in exc.protected_objects)
        users = ", ".join(f"{count} {name}" for name, count in sorted(counts.items()))
        return Response(
            error_body("in_use", f"It is still in use ({users}); remove those first."),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IntegrityError):
        # A rule the database enforces that validation did not catch first: a concurrent
        # change, e.g. two prices for the same period. Logged, answered as a conflict.
        logger.warning("integrity error answered 409: %s", exc)
        return Response(
            error_body("conflict", "This conflicts with data stored meanwhile; reload and retry."),
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # Refused for its credentials: counted against its address's budget (a 429 once over).
        exc = count_refused_credentials(context.get("request")) or exc

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: a 500, logged by Django

    error_type = next(
        (name for cls, name in _TYPES.items() if isinstance(exc, cls)), exc.default_code
    )
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        detail = _summary(errors)
    else:
        errors = {}
        detail = str(exc.detail)
    response.data = error_body(error_type, detail, errors)
    return response


def _summary(errors: dict[str, Any]) -> str:
    """The first message, prefixed by its field, to say in one line what was wrong."""
    for field, messages in errors.items():
        first = messages
        while isinstance(first, (list, dict)) and first:
            first = first[0] if isinstance(first, list) else next(iter(first.values()))
        if field in ("non_field_errors", "__all__"):
            return str(first)
        return f"{field}: {first}"
    return "Invalid input."


def json_bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(
        error_body("bad_request", "The request could not be understood."),
        status=status.HTTP_400_BAD_REQUEST,
    )


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(
        error_body("not_found", "No such resource."), status=status.HTTP_404_NOT_FOUND
    )


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body("server_error", "An unexpected error occurred; it has been logged."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )
