"""The mail outbox: a mail is a row of the change's transaction, sent once after the commit,
retried with backoff when the mail server fails, and its body not kept once sent."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from organisations.emails import RETRY_MINUTES, queue_email, send_pending_emails
from organisations.models import OutgoingEmail

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_committed_mail_is_sent_once_and_its_body_is_not_kept() -> None:
    with transaction.atomic():
        email = queue_email(to=["a@x.test", "a@x.test", ""], subject="Hello\nthere", body="Hi")
    assert [m.to for m in mail.outbox] == [["a@x.test"]]
    assert mail.outbox[0].subject == "Hello there"
    email.refresh_from_db()
    assert email.sent_at is not None and email.body == "" and email.attempts == 1
    later = timezone.now() + datetime.timedelta(hours=1)
    assert send_pending_emails(now=later) == 0
    assert len(mail.outbox) == 1


def test_a_rolled_back_change_leaves_no_mail() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_email(to=["a@x.test"], subject="no", body="no")
        raise RuntimeError("abort")
    assert not OutgoingEmail.objects.exists()
    assert mail.outbox == []


def test_nobody_to_mail_queues_nothing() -> None:
    assert queue_email(to=[], subject="s", body="b") is None
    assert not OutgoingEmail.objects.exists()


def test_a_failing_mail_server_is_retried_with_backoff_then_given_up(settings) -> None:
    # A mail server that refuses every connection: the port of nothing on this machine.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    email = queue_email(to=["a@x.test"], subject="s", body="b")
    email.refresh_from_db()
    assert email.sent_at is None and email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error
    now = email.last_attempt_at
    # Not before its wait; then once per wait, until the waits are used up.
    assert send_pending_emails(now=now + datetime.timedelta(seconds=30)) == 0
    for minutes in RETRY_MINUTES:
        now += datetime.timedelta(minutes=minutes)
        send_pending_emails(now=now)
    email.refresh_from_db()
    assert email.attempts == 1 + len(RETRY_MINUTES)
    send_pending_emails(now=now + datetime.timedelta(days=7))
    email.refresh_from_db()
    assert email.attempts == 1 + len(RETRY_MINUTES) and email.sent_at is None
    # The server is back: a mail that was not given up goes out at its next turn.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    other = OutgoingEmail.objects.create(
        to=["b@x.test"], subject="t", body="c", created_at=now - datetime.timedelta(minutes=5)
    )
    assert send_pending_emails(now=now) == 1
    other.refresh_from_db()
    assert other.sent_at == now
    assert [m.to for m in mail.outbox] == [["b@x.test"]]
