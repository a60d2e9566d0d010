"""Writing audit entries where django-auditlog's signals do not reach."""

from __future__ import annotations

from collections.abc import Iterable

from auditlog.context import auditlog_disabled
from auditlog.diff import model_instance_diff
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.db import models

from .signals import write_scopes


def log_created(objects: Iterable[models.Model]) -> None:
    """Log rows written with ``bulk_create`` (which sends no signals) exactly as a ``save``
    would have been logged: one entry each, with the values created and their scopes."""
    if auditlog_disabled.get():
        return
    for instance in objects:
        if not auditlog.contains(type(instance)):
            continue
        changes = model_instance_diff(None, instance)
        entry = LogEntry.objects.log_create(
            instance, action=LogEntry.Action.CREATE, changes=changes, force_log=True
        )
        if entry is not None:
            write_scopes(entry, instance)
