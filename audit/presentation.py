"""An audit entry as people read it: the action in words and each change as "field: old → new",
with an empty value as "—" and moments, dates and decimals in the portal's format.

django-auditlog stores every value as text (``str()`` of the Python value: ``None``,
``2026-11-29 05:15:31.487842+00:00``, ``12500.0000``); these are recognised and formatted, any
other text is shown as stored.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import FieldDoesNotExist

from tcfo_portal.formatting import NO_VALUE, format_date, format_moment, format_number

ACTION_LABELS = {
    LogEntry.Action.CREATE: "Created",
    LogEntry.Action.UPDATE: "Changed",
    LogEntry.Action.DELETE: "Deleted",
    LogEntry.Action.ACCESS: "Viewed",
}
_MOMENT = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d{1,6})?)?([+-]\d\d:\d\d|Z)?")
_DATE = re.compile(r"\d{4}-\d\d-\d\d")
_DECIMAL = re.compile(r"-?\d+\.\d+")
_EMPTY = {"None", "", "null"}


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


def action_label(entry: LogEntry) -> str:
    return ACTION_LABELS.get(entry.action, entry.get_action_display())


def readable_value(value: Any) -> str:
    """One stored value as people read it (see the module's docstring)."""
    if value is None:
        return NO_VALUE
    text = str(value).strip()
    if text in _EMPTY:
        return NO_VALUE
    if _MOMENT.fullmatch(text):
        try:
            moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)  # Django stores moments in UTC
        return format_moment(moment)
    if _DATE.fullmatch(text):
        try:
            return format_date(datetime.date.fromisoformat(text))
        except ValueError:
            return text
    if _DECIMAL.fullmatch(text):
        return format_number(Decimal(text))
    return text


def _label(entry: LogEntry, name: str) -> str:
    model = entry.content_type.model_class() if entry.content_type_id else None
    try:
        field = model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        field = None
    verbose = getattr(field, "verbose_name", None)
    return str(verbose).capitalize() if verbose else name.replace("_", " ").capitalize()


def readable_changes(entry: LogEntry) -> list[Change]:
    """The entry's changes, field by field: a creation's new values (``old`` "—"), a
    deletion's last ones (``new`` "—"), an update's old and new."""
    changes = entry.changes_dict or {}
    result = []
    for name, values in changes.items():
        if isinstance(values, list | tuple) and len(values) == 2:
            old, new = values
        else:
            old, new = None, values
        result.append(Change(_label(entry, name), readable_value(old), readable_value(new)))
    return result
