"""What django-auditlog does not know by itself: whose record changed (the entry's scopes), who
acted (an API key is no user; outside a request, a Celery task or a management command), and
that an API key's primary key embeds its hash (entries name a key by its prefix)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from auditlog.models import LogEntry
from auditlog.signals import post_log
from celery.signals import task_postrun, task_prerun
from django.db.models.signals import pre_save

from .models import EntryScope
from .registry import scope_of

# Who acts in the current request (set by ``audit.middleware``), read when an entry is written.
request_actor: ContextVar[Callable[[], str] | None] = ContextVar(
    "audit_request_actor", default=None
)
# Who acts outside a request: set around each Celery task a worker runs.
_job: ContextVar[str | None] = ContextVar("audit_job", default=None)


def current_actor_label() -> str:
    """Who makes the change being logged: the request's actor, else the running task or
    command, else the system."""
    in_request = request_actor.get()
    if in_request is not None:
        return in_request()
    job = _job.get()
    if job:
        return job
    argv = sys.argv
    if len(argv) > 1 and argv[0].endswith("manage.py"):
        return f"manage.py {argv[1]}"
    return "system"


def write_scopes(entry: LogEntry, instance: object) -> None:
    scope = scope_of(instance)
    rows = [EntryScope(entry=entry, organisation_id=pk) for pk in sorted(scope.organisation_ids)]
    if scope.consortium:
        rows.append(EntryScope(entry=entry, organisation=None))
    if rows:
        EntryScope.objects.bulk_create(rows)


def _after_log(sender: type, instance: object, log_entry: LogEntry | None = None, **_: Any) -> None:
    if log_entry is not None:
        write_scopes(log_entry, instance)


def _before_entry_saved(sender: type, instance: LogEntry, **_: Any) -> None:
    if instance.pk is None:
        instance.additional_data = {
            **(instance.additional_data or {}),
            "actor": current_actor_label(),
        }
    content_type = instance.content_type
    if (content_type.app_label, content_type.model) == ("organisations", "apikey"):
        instance.object_pk = instance.object_pk.partition(".")[0]


def _task_started(task: Any = None, **_: Any) -> None:
    _job.set(f"task {getattr(task, 'name', 'unknown')}")


def _task_finished(**_: Any) -> None:
    _job.set(None)


def connect() -> None:
    post_log.connect(_after_log, dispatch_uid="audit.scopes")
    pre_save.connect(_before_entry_saved, sender=LogEntry, dispatch_uid="audit.actor")
    task_prerun.connect(_task_started, dispatch_uid="audit.task_started", weak=False)
    task_postrun.connect(_task_finished, dispatch_uid="audit.task_finished", weak=False)
