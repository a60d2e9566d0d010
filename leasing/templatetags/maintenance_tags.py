"""Template tags of the maintenance pages: a history step's changes as people read them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django import template

from tcfo_portal.formatting import format_moment

from ..choices import MaintenanceImpact, MaintenanceStatus
from ..models import MaintenanceChange

register = template.Library()

#: The names people read for the fields a maintenance's history records.
FIELD_LABELS = {
    "segments": "Segments",
    "window_start": "Window start",
    "window_end": "Window end",
    "impact": "Impact",
    "reason": "Reason",
    "status": "Status",
}

#: The choices whose labels stand for a field's stored values.
_CHOICES: dict[str, type] = {"impact": MaintenanceImpact, "status": MaintenanceStatus}
_TIMES = {"window_start", "window_end"}


@dataclass(frozen=True)
class ShownChange:
    """One field of a step: its label and its values before and after, as text (``before`` is
    None when the step set the field for the first time)."""

    label: str
    before: str | None
    after: str


def shown_time(value: str) -> str:
    """An ISO time as the portal shows times: in the reader's zone with its name, whatever
    offset it was typed in (``2026-12-10T02:00:00+04:00`` -> ``9 Dec 2026, 22:00 UTC`` for a
    reader in UTC)."""
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M}"
    return format_moment(moment)


def shown_value(field: str, value: Any) -> str:
    """A stored value of ``field`` as people read it: a label for a choice, codes joined, a
    time in UTC; "-" for none."""
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if field in _TIMES and isinstance(value, str):
        try:
            return shown_time(value)
        except ValueError:
            return value
    choices = _CHOICES.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)


@register.simple_tag
def maintenance_changes(change: MaintenanceChange) -> list[ShownChange]:
    """``{% maintenance_changes change as rows %}``: the step's changes in the order of
    ``FIELD_LABELS``, each with its label and readable values."""
    order = list(FIELD_LABELS)
    fields = sorted(change.changes, key=lambda f: order.index(f) if f in order else len(order))
    rows = []
    for field in fields:
        before, after = change.changes[field]
        rows.append(
            ShownChange(
                label=FIELD_LABELS.get(field, field.replace("_", " ").capitalize()),
                before=None if before is None else shown_value(field, before),
                after=shown_value(field, after),
            )
        )
    return rows
