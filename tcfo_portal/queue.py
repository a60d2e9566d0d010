"""Services queue Celery tasks here: by the task's name, once the transaction commits.

Tasks call services, never the reverse: a service that wants work done later (a PDF, a mail, a
chunk of a billing run) names the task instead of importing the tasks module, which imports the
services. Each app imports its tasks module when it is ready (``AppConfig.ready``), so every process
(the web, commands, the worker) knows the names; an unknown name fails at once, not at commit.

A broker that is down when the transaction commits does not turn the committed change into an
error: the failure to queue is logged (``on_commit(robust=True)``) after Celery's short publish
retries (settings: ``CELERY_TASK_PUBLISH_RETRY_POLICY``). What the task would have done is then
the business of a periodic job (the outbox's dispatcher, missing PDFs...) or of nobody (a mail).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from .celery import app as celery_app


def on_commit_robustly(callback: Callable[[], object]) -> None:
    """``transaction.on_commit`` for queueing work: once the transaction commits (at once
    outside one), logging instead of raising when the broker cannot take it. Tasks that run
    in-process (no broker: development and most tests) still raise, so their bugs show."""
    transaction.on_commit(callback, robust=not celery_app.conf.task_always_eager)


def after_commit(task_name: str, *args: object) -> None:
    """Queue ``task_name`` with ``args`` once the current transaction commits (at once outside
    one); nothing is queued if it rolls back. Without a broker the task runs in-process then."""
    task = celery_app.tasks[task_name]
    on_commit_robustly(lambda: task.delay(*args))
