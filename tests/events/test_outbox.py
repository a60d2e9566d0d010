"""The outbox: events are written with the change, published in commit order, fanned out to the
subscriptions that want them."""

from __future__ import annotations

import pytest
from django.db import transaction

from events.choices import DeliveryStatus, EventType
from events.models import Event, WebhookDelivery, WebhookSubscription
from events.services.outbox import event_payload, publish_pending, record_event
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _subscription(organisation, types=()) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        organisation=organisation,
        url="http://127.0.0.1:9/hook",
        event_types=list(types),
        secret="whsec_test",
        created_by="test",
    )


def test_an_event_rolled_back_with_its_change_is_never_published() -> None:
    customer = CustomerFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(
            type=EventType.ORDER_STATE_CHANGED,
            organisation=customer,
            subject_type="order",
            subject_id=1,
            data={"state": "submitted"},
        )
        raise RuntimeError("the change failed")
    assert not Event.objects.exists()
    assert publish_pending() == 0


def test_published_events_get_positions_and_deliveries_for_wanting_subscriptions() -> None:
    customer, other = CustomerFactory(), CustomerFactory()
    every = _subscription(customer)
    invoices_only = _subscription(customer, [EventType.INVOICE_ISSUED])
    _subscription(other)
    with transaction.atomic():
        first = record_event(
            type=EventType.ORDER_STATE_CHANGED,
            organisation=customer,
            subject_type="order",
            subject_id=7,
            data={"state": "submitted"},
        )
        second = record_event(
            type=EventType.INVOICE_ISSUED,
            organisation=customer,
            subject_type="invoice",
            subject_id=3,
            data={"number": "AZT-2026-000001"},
        )
    # Outside CI's worker the commit's own dispatch may already have run (tasks in-process).
    publish_pending()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.position is not None and second.position == first.position + 1
    pairs = set(WebhookDelivery.objects.values_list("event_id", "subscription_id", "status"))
    assert pairs == {
        (first.pk, every.pk, DeliveryStatus.PENDING),
        (second.pk, every.pk, DeliveryStatus.PENDING),
        (second.pk, invoices_only.pk, DeliveryStatus.PENDING),
    }
    payload = event_payload(second)
    assert payload["id"] == str(second.uid)
    assert payload["type"] == "invoice.issued"
    assert payload["subject"] == {"type": "invoice", "id": "3"}
    assert payload["data"] == {"number": "AZT-2026-000001"}
