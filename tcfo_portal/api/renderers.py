"""DRF's browsable API under the Content-Security-Policy."""

from __future__ import annotations

from typing import Any

from csp.constants import UNSAFE_INLINE
from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's HTML pages of the API, for people with a browser session.

    Its templates run no inline script (the CSRF settings travel in a JSON ``<script>`` that
    executes nothing) but style a few elements inline (``style=""`` attributes and the code
    highlighting's ``<style>``); these pages, and only these, allow inline styles, never inline
    scripts.
    """

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> Any:
        response = (renderer_context or {}).get("response")
        if response is not None:
            # What django-csp's @csp_update decorator sets, for this response only.
            response._csp_update = {"style-src": [UNSAFE_INLINE]}
        return super().render(data, accepted_media_type, renderer_context)
