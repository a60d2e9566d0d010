"""Filters of the project's logging (``settings.LOGGING``)."""

from __future__ import annotations

import logging


class RefusalWithoutTraceback(logging.Filter):
    """A refused request (4xx: a 403 from ``PermissionDenied``, a 404 from ``Http404``) is one
    line in the log: ``django.request`` attaches the exception that answered it, whose
    traceback says nothing an operator needs. Server errors (5xx) keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
