"""The portal's Webhooks pages: create with the secret shown once, edit, disable, rotate, log."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from events.choices import EventType
from events.models import WebhookSubscription
from events.services.delivery import deliver_due
from events.services.outbox import publish_pending, record_event
from organisations.choices import Role
from tcfo_portal.formatting import format_moment
from tests.factories import CustomerFactory, OperatorFactory, UserFactory

from .receiver import receiver

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _secret(page: str) -> str | None:
    found = re.search(r'data-testid="new-webhook-secret">([^<]+)<', page)
    return found.group(1) if found else None


def test_an_admin_creates_edits_rotates_and_redelivers_from_the_portal() -> None:
    admin = UserFactory(
        organisation=CustomerFactory(), role=Role.CUSTOMER_ADMIN, time_zone="Asia/Baku"
    )
    client = _client(admin)
    assert 'href="/webhooks/"' in client.get("/").content.decode()
    with receiver() as endpoint:
        endpoint.script = [500]
        created = client.post(
            "/webhooks/", {"url": endpoint.url, "event_types": ["order.state_changed"]}
        )
        assert created.status_code == 302
        subscription = WebhookSubscription.objects.get()
        page = client.get(created["Location"]).content.decode()
        assert _secret(page) == subscription.secret
        assert _secret(client.get(created["Location"]).content.decode()) is None  # once

        record_event(
            type=EventType.ORDER_STATE_CHANGED,
            organisation=admin.organisation,
            subject_type="order",
            subject_id=3,
            data={},
        )
        publish_pending()
        deliver_due()
        url = f"/webhooks/{subscription.pk}/"
        page = client.get(url).content.decode()
        assert "answered 500" in page and "pending" in page
        delivery = subscription.deliveries.get()
        queued = client.post(f"/webhooks/deliveries/{delivery.pk}/redeliver/", follow=True)
        assert "queued to be sent again" in queued.content.decode()
        assert len(endpoint.received) == 1  # not sent inside the request
        deliver_due()
        page = client.get(f"{url}?status=delivered").content.decode()
        assert str(delivery.event.uid) in page
        assert len(endpoint.received) == 2

    client.post(url, {"action": "update", "url": "https://hooks.example.com/new"})
    subscription.refresh_from_db()
    assert subscription.url == "https://hooks.example.com/new"
    assert subscription.event_types == []
    refused = client.post(url, {"action": "update", "url": "ftp://x"})
    assert refused.status_code == 400 and "Only http:// and https://" in refused.content.decode()

    rotated = client.post(url, {"action": "rotate", "confirmed": "yes"})
    old = subscription.secret
    subscription.refresh_from_db()
    shown = client.get(rotated["Location"]).content.decode()
    assert _secret(shown) == subscription.secret != old
    until = format_moment(subscription.previous_secret_expires_at, "Asia/Baku")  # the reader's
    assert f"keeps signing too (a second <code>v1=</code>) until {until}." in shown

    client.post(url, {"action": "disable"})
    subscription.refresh_from_db()
    assert not subscription.is_active
    client.post(url, {"action": "delete", "confirmed": "yes"})
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.CUSTOMER_ADMIN, True),
        (Role.CUSTOMER_MEMBER, False),
        (Role.OPERATOR_FINANCE, True),
        (Role.OPERATOR_NETWORK, True),
    ],
)
def test_who_sees_the_webhooks_page(role: str, allowed: bool) -> None:
    organisation = OperatorFactory() if role.startswith("operator") else CustomerFactory()
    client = _client(UserFactory(organisation=organisation, role=role))
    assert client.get("/webhooks/").status_code == (200 if allowed else 403)
    assert ('href="/webhooks/"' in client.get("/").content.decode()) is allowed
