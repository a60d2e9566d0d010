"""Form widgets the portal's forms share.

A browser's ``<input type=date>`` takes its value as ``YYYY-MM-DD`` only, and
``<input type=datetime-local>`` as ``YYYY-MM-DDTHH:MM``: any other text (the ``28/11/2026`` of
the en-gb format Django renders by default) shows an empty picker, and the form submitted as
is says "This field is required". These two widgets render those formats whatever the value
is: a date or a datetime, or text typed in any of the language's input formats (a link's
``?start_date=28/11/2026``, a form's ``initial`` given as text). Every date or date-and-time
picker of the project is one of them (tests/test_project.py).
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import formats, timezone

ISO_DATE = "%Y-%m-%d"
ISO_MINUTE = "%Y-%m-%dT%H:%M"


def _read(value: str, format_key: str, own: str) -> datetime.datetime | None:
    """``value`` read with the widget's own format or one of the language's input formats."""
    for candidate in (
        own,
        *formats.get_format(format_key),
        *formats.get_format("DATE_INPUT_FORMATS"),
    ):
        try:
            return datetime.datetime.strptime(value.strip(), candidate)
        except (TypeError, ValueError):
            continue
    return None


class DateInput(forms.DateInput):
    """A browser date picker: its value is always ``YYYY-MM-DD``."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_DATE)

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, str) and value.strip():
            read = _read(value, self.format_key, ISO_DATE)
            value = read.date() if read is not None else value  # unreadable text: as typed
        elif isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return super().format_value(value)


class DateTimeInput(forms.DateTimeInput):
    """A browser date-and-time picker: its value is always ``YYYY-MM-DDTHH:MM``, an aware time
    in the current time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=ISO_MINUTE)

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, str) and value.strip():
            value = _read(value, self.format_key, ISO_MINUTE) or value
        elif isinstance(value, datetime.datetime) and timezone.is_aware(value):
            value = timezone.localtime(value)
        return super().format_value(value)
