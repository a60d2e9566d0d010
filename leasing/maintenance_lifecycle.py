"""The maintenance lifecycle: which status may follow which, and the record of every step.

    scheduled ──start──> in_progress ──complete──> completed
        │
        └──cancel──> cancelled

A scheduled maintenance may also be updated (window, impact, reason) and one in progress may
have its end moved; neither changes its status (``UPDATABLE``). A maintenance's status changes
only through ``move``, which refuses a step not in ``ALLOWED`` (``InvalidTransition``, 409) and
records who took it, when, what changed and why (``MaintenanceChange``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from tcfo_portal.exceptions import InvalidTransition

from .choices import MaintenanceAction, MaintenanceStatus
from .models import Maintenance, MaintenanceChange

ALLOWED: dict[str, frozenset[str]] = {
    MaintenanceStatus.SCHEDULED: frozenset(
        {MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.CANCELLED}
    ),
    MaintenanceStatus.IN_PROGRESS: frozenset({MaintenanceStatus.COMPLETED}),
    MaintenanceStatus.COMPLETED: frozenset(),
    MaintenanceStatus.CANCELLED: frozenset(),
}

#: The statuses in which a maintenance's window, impact and reason may still change.
UPDATABLE = frozenset({MaintenanceStatus.SCHEDULED, MaintenanceStatus.IN_PROGRESS})

#: The history's name for the step to each status.
ACTION_TO: dict[str, str] = {
    MaintenanceStatus.IN_PROGRESS: MaintenanceAction.STARTED,
    MaintenanceStatus.COMPLETED: MaintenanceAction.COMPLETED,
    MaintenanceStatus.CANCELLED: MaintenanceAction.CANCELLED,
}

#: The timestamp each step sets.
STAMP: dict[str, str] = {
    MaintenanceStatus.IN_PROGRESS: "started_at",
    MaintenanceStatus.COMPLETED: "completed_at",
    MaintenanceStatus.CANCELLED: "cancelled_at",
}


def lock(maintenance: Maintenance) -> Maintenance:
    """The maintenance, re-read under a row lock for the rest of the transaction."""
    return Maintenance.objects.select_for_update().get(pk=maintenance.pk)


def check(maintenance: Maintenance, to_status: str) -> None:
    """Raise ``InvalidTransition`` (409) unless ``maintenance`` may go to ``to_status``."""
    if to_status not in ALLOWED[maintenance.status]:
        current = MaintenanceStatus(maintenance.status).label.lower()
        wanted = MaintenanceStatus(to_status).label.lower()
        raise InvalidTransition(f"Maintenance that is {current} cannot become {wanted}.")


def check_updatable(maintenance: Maintenance) -> None:
    """Raise ``InvalidTransition`` (409) unless ``maintenance`` may still be changed."""
    if maintenance.status not in UPDATABLE:
        current = MaintenanceStatus(maintenance.status).label.lower()
        raise InvalidTransition(f"Maintenance that is {current} cannot be changed.")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def record(
    maintenance: Maintenance,
    action: str,
    *,
    by: str,
    changes: dict[str, list[Any]] | None = None,
    note: str = "",
) -> MaintenanceChange:
    """Write one step of ``maintenance``'s history (``changes``: field -> [before, after])."""
    return MaintenanceChange.objects.create(
        maintenance=maintenance,
        action=action,
        changes={k: [_iso(a), _iso(b)] for k, (a, b) in (changes or {}).items()},
        note=note,
        by=by,
    )


@transaction.atomic
def move(
    maintenance: Maintenance,
    to_status: str,
    *,
    by: str,
    note: str = "",
    at: datetime.datetime | None = None,
) -> Maintenance:
    """Move ``maintenance`` (locked with ``lock``) to ``to_status``, stamping when, and record
    the step with who took it and why."""
    check(maintenance, to_status)
    at = at or timezone.now()
    from_status = maintenance.status
    stamp = STAMP[to_status]
    maintenance.status = to_status
    setattr(maintenance, stamp, at)
    maintenance.save(update_fields=["status", stamp, "updated_at"])
    record(
        maintenance,
        ACTION_TO[to_status],
        by=by,
        changes={"status": [from_status, to_status]},
        note=note,
    )
    return maintenance
