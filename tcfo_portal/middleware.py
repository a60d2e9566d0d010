"""Project-wide answers to refused input, for the portal and the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render

from .api.errors import error_body
from .exceptions import DomainError, InvalidInput
from .inputs import unstorable_text


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _refusal(request: HttpRequest, error: DomainError) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            error_body(error.error_type, error.detail, error.errors), status=error.status_code
        )
    return render(request, "400.html", {"error": error}, status=error.status_code)


class UnstorableTextMiddleware:
    """A query parameter or form field holding a NUL character, which no text column can store
    (PostgreSQL refuses it), is a 400 naming the field, before any view reads it by hand.

    Lone surrogates cannot arrive this way: Django decodes query strings and form bodies with
    replacement characters. JSON bodies are checked by the API's parser
    (``tcfo_portal.api.parsers``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        sources = [request.GET]
        if request.method == "POST" and not _is_api(request):  # the API takes JSON only
            sources.append(request.POST)
        for source in sources:
            error = _first_problem(source)
            if error is not None:
                return _refusal(request, error)
        return None


def _first_problem(values: QueryDict) -> InvalidInput | None:
    for name, texts in values.lists():
        problem = unstorable_text(name)
        if problem is not None:
            return InvalidInput("non_field_errors", problem)
        for text in texts:
            problem = unstorable_text(text)
            if problem is not None:
                return InvalidInput(name, problem)
    return None


class DomainErrorPageMiddleware:
    """A ``DomainError`` no portal view caught, e.g. a query parameter that is not a whole
    number (``tcfo_portal.inputs``), is answered with its status and message on a page, never a
    500. API views map domain errors themselves (``tcfo_portal.api.errors``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DomainError) or _is_api(request):
            return None
        return _refusal(request, exception)
