"""Outgoing e-mail: rendered in the request, delivered by a Celery task after the commit."""

from __future__ import annotations

from tcfo_portal.queue import on_commit_robustly

from .tasks import send_email


def queue_email(*, to: list[str], subject: str, body: str, html_body: str | None = None) -> None:
    """Send an e-mail once the current transaction commits (at once outside a transaction).

    Queuing after the commit means a rolled-back change never mails anybody, and the worker never
    sees a message about rows it cannot read yet. A broker that is down then loses the mail (the
    error is logged) rather than failing the change that committed.
    """
    subject = " ".join(subject.splitlines()).strip()
    on_commit_robustly(
        lambda: send_email.delay(subject=subject, body=body, to=list(to), html_body=html_body)
    )
