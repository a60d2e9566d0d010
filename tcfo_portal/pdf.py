"""PDFs with WeasyPrint, fetching nothing but our own static files.

Templates refer to assets as ``static:portal/pdf.css``; anything else (http, https, file, ...)
is refused, so text a customer typed can never make the renderer read a file or call a server.
"""

from __future__ import annotations

import hashlib
import mimetypes
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_SCHEME = "static:"


class OwnStaticFilesOnly(URLFetcher):
    """Serves ``static:<path>`` from the project's static files and ``data:`` URIs; refuses
    every other URL."""

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(STATIC_SCHEME):
            relative = url.removeprefix(STATIC_SCHEME).lstrip("/")
            found = finders.find(relative) if ".." not in relative.split("/") else None
            if found:
                with open(found, "rb") as asset:
                    body = asset.read()
                content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body, {"Content-Type": content_type})
        raise ValueError(f"PDF rendering does not fetch {url[:80]}")


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render a Django template (HTML, autoescaped) to PDF bytes."""
    html = render_to_string(template, context)
    return HTML(string=html, url_fetcher=OwnStaticFilesOnly()).write_pdf()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
