"""Outgoing e-mail, through an outbox: written in the request's transaction, sent by a worker
after the commit, retried by a beat job while the mail server or the broker is down."""

from __future__ import annotations

import datetime
import smtplib

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from tcfo_portal.queue import after_commit

from .models import OutgoingEmail

SEND_TASK = "organisations.tasks.send_email"
# Minutes to wait after the n-th failed attempt before the next; then the mail is given up
# (kept, unsent, with its last error, for the platform admins to see in the admin).
RETRY_MINUTES = (1, 5, 15, 60, 180, 360)
# The commit's own task is given this long before the beat job sends a mail in its place.
GRACE = datetime.timedelta(minutes=1)
SEND_ERRORS = (OSError, smtplib.SMTPException)


def queue_email(
    *, to: list[str], subject: str, body: str, html_body: str | None = None
) -> OutgoingEmail | None:
    """Send an e-mail once the current transaction commits (at once outside a transaction).

    The mail is a row of the transaction: a rolled-back change mails nobody, and a committed
    one mails even if the broker was down at the commit (``send_pending_emails`` sends it).
    """
    recipients = [address for address in dict.fromkeys(to) if address]
    if not recipients:
        return None
    email = OutgoingEmail.objects.create(
        to=recipients,
        subject=" ".join(subject.splitlines()).strip()[:300],
        body=body,
        html_body=html_body or "",
    )
    after_commit(SEND_TASK, email.pk)
    return email


def send_queued_email(*, email_id: int, now: datetime.datetime | None = None) -> bool:
    """Send one queued mail unless it was sent (or another worker is sending it); return
    whether it left now. A failure is recorded for the retries."""
    now = now or timezone.now()
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, sent_at__isnull=True)
            .first()
        )
        if email is None:
            return False
        message = EmailMultiAlternatives(subject=email.subject, body=email.body, to=email.to)
        if email.html_body:
            message.attach_alternative(email.html_body, "text/html")
        email.attempts += 1
        email.last_attempt_at = now
        try:
            message.send()
        except SEND_ERRORS as error:
            email.last_error = f"{type(error).__name__}: {error}"[:300]
            email.save(update_fields=["attempts", "last_attempt_at", "last_error"])
            return False
        email.sent_at = now
        email.body = email.html_body = ""
        email.save()
        return True


def _due(email: OutgoingEmail, now: datetime.datetime) -> bool:
    if email.attempts == 0:
        return email.created_at <= now - GRACE
    if email.attempts > len(RETRY_MINUTES):
        return False
    wait = datetime.timedelta(minutes=RETRY_MINUTES[email.attempts - 1])
    return email.last_attempt_at is None or email.last_attempt_at <= now - wait


def send_pending_emails(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Send the mails whose own task did not (broker down, worker killed, mail server down),
    each when its retry is due; return how many left."""
    now = now or timezone.now()
    candidates = (
        OutgoingEmail.objects.filter(sent_at__isnull=True, attempts__lte=len(RETRY_MINUTES))
        .order_by("created_at", "pk")
        .only("created_at", "attempts", "last_attempt_at")[:batch]
    )
    sent = 0
    for email in candidates:
        if _due(email, now) and send_queued_email(email_id=email.pk, now=now):
            sent += 1
    return sent
