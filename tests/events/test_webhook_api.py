"""``/api/v1/webhooks/`` and ``/api/v1/webhook-deliveries/`` with keys and sessions."""

from __future__ import annotations

import pytest

from events.choices import EventType
from events.models import WebhookDelivery, WebhookSubscription
from events.services.delivery import deliver_due
from events.services.outbox import publish_pending, record_event
from organisations.choices import Role
from tests.conftest import key_client, session_client
from tests.factories import CustomerFactory, OperatorFactory, UserFactory

from .receiver import receiver

pytestmark = pytest.mark.django_db


def test_a_partner_manages_a_webhook_and_reads_its_delivery_log() -> None:
    operator = OperatorFactory()
    client, _ = key_client(operator, role=Role.OPERATOR_NETWORK)
    with receiver() as endpoint:
        endpoint.script = [500]
        created = client.post(
            "/api/v1/webhooks/",
            {"url": endpoint.url, "event_types": ["order.state_changed"], "description": "ops"},
            format="json",
        )
        assert created.status_code == 201, created.json()
        body = created.json()
        assert body["secret"].startswith("whsec_")
        assert body["event_types"] == ["order.state_changed"]
        assert body["disabled_reason"] is None
        webhook = body["id"]
        shown = client.get(f"/api/v1/webhooks/{webhook}/").json()
        assert "secret" not in shown
        assert client.get("/api/v1/webhooks/").json()["count"] == 1

        record_event(
            type=EventType.ORDER_STATE_CHANGED,
            organisation=operator,
            subject_type="order",
            subject_id=5,
            data={"state": "acknowledged"},
        )
        publish_pending()
        deliver_due()
        log = client.get(f"/api/v1/webhooks/{webhook}/deliveries/?status=pending").json()
        assert log["count"] == 1
        [delivery] = log["results"]
        assert delivery["response_status"] == 500
        assert delivery["last_error"] == "answered 500"
        assert delivery["subject"] == {"type": "order", "id": "5"}
        assert (
            client.get(f"/api/v1/webhooks/{webhook}/deliveries/?status=delivered").json()["count"]
            == 0
        )
        assert (
            client.get(f"/api/v1/webhooks/{webhook}/deliveries/?event_type=invoice.issued").json()[
                "count"
            ]
            == 0
        )

        again = client.post(f"/api/v1/webhook-deliveries/{delivery['id']}/redeliver/")
        assert again.status_code == 202, again.json()
        queued = again.json()
        # queued, not sent inside the request: the dispatcher sends it
        assert queued["status"] == "pending" and len(queued["log"]) == 1
        assert len(endpoint.received) == 1
        assert deliver_due() == 1
        detail = client.get(f"/api/v1/webhook-deliveries/{delivery['id']}/").json()
        assert detail["status"] == "delivered"
        assert [a["response_status"] for a in detail["log"]] == [500, 200]
        assert detail["log"][1]["requested_by"].startswith("API key ")
        assert len(set(endpoint.event_ids())) == 1 and len(endpoint.received) == 2

    rotated = client.post(f"/api/v1/webhooks/{webhook}/rotate-secret/")
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in (None, body["secret"])
    assert rotated.json()["previous_secret_valid_until"] is not None

    changed = client.patch(
        f"/api/v1/webhooks/{webhook}/", {"is_active": False, "event_types": []}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["is_active"] is False and changed.json()["event_types"] == []
    assert changed.json()["disabled_reason"].startswith("Turned off by API key")

    assert client.delete(f"/api/v1/webhooks/{webhook}/").status_code == 204
    assert not WebhookSubscription.objects.exists()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://x.example.com/"}, "url"),
        ({"url": "https://u:p@x.example.com/"}, "url"),
        ({"url": "https://x.example.com/", "event_types": ["nope"]}, "event_types"),
        ({}, "url"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(body: dict, field: str) -> None:
    client = session_client(UserFactory(organisation=CustomerFactory(), role=Role.CUSTOMER_ADMIN))
    answer = client.post("/api/v1/webhooks/", body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()["errors"]


def test_members_and_customer_keys_of_member_role_may_not_manage_webhooks() -> None:
    customer = CustomerFactory()
    member = session_client(UserFactory(organisation=customer, role=Role.CUSTOMER_MEMBER))
    assert member.get("/api/v1/webhooks/").status_code == 403
    key, _ = key_client(customer, role=Role.CUSTOMER_MEMBER)
    assert key.post("/api/v1/webhooks/", {"url": "https://x.example.com/"}).status_code == 403
    admin_key, _ = key_client(customer, role=Role.CUSTOMER_ADMIN)
    assert admin_key.get("/api/v1/webhooks/").status_code == 200
