"""PDF downloads over the API: invoices, credit and debit notes, order forms.

A download answers the PDF's bytes as ``application/pdf``; a client that accepts only
``application/octet-stream`` gets the same bytes under that type (the schema lists both, so a
generated client that knows only the generic binary type keeps the operation). Its errors are JSON
in the contract's format whatever the ``Accept`` header asks, like every error of the API.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.utils.mediatypes import media_type_matches

PDF_MEDIA_TYPES = ("application/pdf", "application/octet-stream")

PDF_RESPONSES = {
    (200, *PDF_MEDIA_TYPES): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="The PDF (`application/pdf`, or `application/octet-stream` when only that "
        "is accepted).",
    )
}


class PdfNegotiation(DefaultContentNegotiation):
    """Never a 406 before the view runs: the download chooses its own type (``pdf_response``)
    and anything else it answers, an error, is JSON."""

    def select_renderer(
        self, request: Request, renderers: Sequence[BaseRenderer], format_suffix: Any = None
    ) -> tuple[BaseRenderer, str]:
        renderer = JSONRenderer()
        return renderer, renderer.media_type


def _accepted(request: Request) -> str:
    accept = request.META.get("HTTP_ACCEPT", "") or "*/*"
    tokens = [token.strip() for token in accept.split(",")[:64] if token.strip()]
    for media_type in PDF_MEDIA_TYPES:
        if any(media_type_matches(media_type, token) for token in tokens):
            return media_type
    raise NotAcceptable("A PDF is answered as application/pdf or application/octet-stream.")


def pdf_response(request: Request, document: FieldFile, filename: str) -> FileResponse:
    """The stored PDF as a download, in the type the client accepts."""
    content_type = _accepted(request)
    return FileResponse(document.open("rb"), content_type=content_type, filename=filename)


def pdf_bytes_response(
    request: Request, render: Callable[[], bytes], filename: str
) -> HttpResponse:
    """A PDF made on request (``render()``, called once the client is known to accept it) as a
    download, in the type the client accepts."""
    content_type = _accepted(request)
    response = HttpResponse(render(), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
