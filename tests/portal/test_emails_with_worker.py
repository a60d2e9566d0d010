"""E-mail leaves through a real Celery worker on Redis, only after the transaction commits."""

import re

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from organisations.emails import queue_email
from tcfo_portal.celery import app as celery_app

from ..conftest import wait_until
from ..factories import UserFactory

pytestmark = pytest.mark.celery_worker


def test_password_reset_mail_is_delivered_by_the_worker(client, celery_worker):
    assert celery_app.conf.task_always_eager is False  # through Redis, not in-process
    UserFactory(email="noc@carrier.test")
    response = client.post(reverse("password_reset"), {"email": "noc@carrier.test"})
    assert response.status_code == 302
    assert wait_until(lambda: len(mail.outbox) == 1), "the worker delivered no mail"
    assert re.search(r"/accounts/password-reset/\S+/", mail.outbox[0].body)


def test_a_rolled_back_transaction_mails_nobody(celery_worker):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_email(to=["a@example.test"], subject="rolled back", body="x")
        raise RuntimeError("abort")
    with transaction.atomic():
        queue_email(to=["b@example.test"], subject="committed", body="y")
    assert wait_until(lambda: len(mail.outbox) >= 1)
    assert [m.subject for m in mail.outbox] == ["committed"]
