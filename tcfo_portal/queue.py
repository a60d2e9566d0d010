"""Services queue Celery tasks here: by the task's name, once the transaction commits.

Tasks call services, never the reverse: a service that wants work done later (a PDF, a mail, a
chunk of a billing run) names the task instead of importing the tasks module, which imports the
services. Each app imports its tasks module when it is ready (``AppConfig.ready``), so every process
(the web, commands, the worker) knows the names; an unknown name fails at once, not at commit.
"""

from __future__ import annotations

from django.db import transaction

from .celery import app as celery_app


def after_commit(task_name: str, *args: object) -> None:
    """Queue ``task_name`` with ``args`` once the current transaction commits (at once outside
    one); nothing is queued if it rolls back. Without a broker the task runs in-process then."""
    task = celery_app.tasks[task_name]
    transaction.on_commit(lambda: task.delay(*args))
