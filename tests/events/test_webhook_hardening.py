"""Webhooks under adverse conditions: a receiver that answers slowly, leases and ordering, queued
manual redelivery, internationalised and odd URLs, repeated rotations, disabling only what is
broken, re-enabling, the settings' system checks and the claim's batch and indexes."""

from __future__ import annotations

import datetime
import hashlib
import hmac

import pytest
from django.contrib import admin as django_admin
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from events.admin import WebhookSubscriptionAdmin
from events.choices import DeliveryStatus, EventType
from events.models import Event, WebhookDelivery, WebhookSubscription
from events.services.delivery import CLAIM_BATCH, claim_due, deliver_due, record_outcome
from events.services.outbox import DISPATCH_TASK, publish_pending, record_event
from events.services.webhooks import (
    create_subscription,
    redeliver,
    rotate_secret,
    update_subscription,
    validate_url,
)
from organisations.choices import Role
from tcfo_portal.exceptions import InvalidInput
from tests.factories import CustomerFactory, UserFactory

from .receiver import receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return UserFactory(organisation=CustomerFactory(), role=Role.CUSTOMER_ADMIN)


def _event(organisation, subject_id: int = 1) -> Event:
    event = record_event(
        type=EventType.ORDER_STATE_CHANGED,
        organisation=organisation,
        subject_type="order",
        subject_id=subject_id,
        data={"id": subject_id},
    )
    publish_pending()
    event.refresh_from_db()
    return event


def _signed_by(request, secret: str) -> bool:
    pairs = [item.split("=", 1) for item in request.headers["TCFO-Signature"].split(",")]
    timestamp = next(value for key, value in pairs if key == "t")
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, value) for key, value in pairs if key == "v1")


# --- 1. a slow receiver, leases, ordering, queued redelivery ---


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_deadline(admin, settings) -> None:
    settings.TCFO_WEBHOOK_TIMEOUT_SECONDS = 0.5
    with receiver() as endpoint:
        endpoint.drip_seconds = 30  # a byte every 50 ms: each read is quick, the answer is not
        create_subscription(actor=admin, url=endpoint.url)
        _event(admin.organisation)
        assert deliver_due() == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.response_status is None
    assert delivery.last_error == "timed out waiting for the answer"
    assert [a.error for a in delivery.log.all()] == ["timed out waiting for the answer"]


def test_a_leased_delivery_is_not_claimed_again_and_its_objects_later_events_wait(
    admin,
) -> None:
    create_subscription(actor=admin, url="https://hooks.example.com/x")
    first = _event(admin.organisation, subject_id=1)
    _event(admin.organisation, subject_id=1)
    other = _event(admin.organisation, subject_id=2)
    now = timezone.now()
    claimed, lease_until = claim_due(now=now)
    assert [d.event_id for d in claimed] == [first.pk, other.pk]
    assert lease_until > now
    # leased: nobody claims them again, and the order's second event waits for the first
    assert claim_due(now=now)[0] == []
    assert claim_due(now=lease_until - datetime.timedelta(seconds=1))[0] == []
    # a worker killed mid-POST: once the lease ends, the first is claimed again, alone
    again, _ = claim_due(now=lease_until)
    assert [d.event_id for d in again] == [first.pk, other.pk]


def test_an_outcome_recorded_after_someone_requeued_the_delivery_leaves_its_schedule(
    admin,
) -> None:
    """A failure is scheduled by the claimer only while the lease is its own."""
    with receiver() as endpoint:
        endpoint.default = 500
        create_subscription(actor=admin, url=endpoint.url)
        _event(admin.organisation)
        now = timezone.now()
        [delivery], lease_until = claim_due(now=now)
        redeliver(actor=admin, delivery=delivery, now=now)  # a person asks meanwhile
        from events.services.delivery import Outcome

        record_outcome(
            delivery.pk, Outcome(status=500, error="answered 500"), now=now, lease_until=lease_until
        )
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == now  # still due for the person's request
    assert delivery.requested_by == admin.username
    assert delivery.attempts == 1


def test_manual_redelivery_queues_the_dispatcher_and_never_counts_against_the_webhook(
    admin, settings, django_capture_on_commit_callbacks
) -> None:
    settings.TCFO_WEBHOOK_RETRY_HOURS = 24
    with receiver() as endpoint:
        subscription, _ = create_subscription(actor=admin, url=endpoint.url)
        _event(admin.organisation)
        delivery = WebhookDelivery.objects.get()
        old = timezone.now() - datetime.timedelta(hours=30)
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, created_at=old
        )
        with django_capture_on_commit_callbacks() as callbacks:
            queued = redeliver(actor=admin, delivery=delivery)
        assert len(callbacks) == 1  # the dispatcher, queued after the commit
        assert endpoint.received == []
        assert (queued.status, queued.requested_by) == (DeliveryStatus.PENDING, admin.username)
        endpoint.default = 500
        assert deliver_due() == 1
        assert len(endpoint.received) == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED  # past the window: failed again
    assert [a.requested_by for a in delivery.log.all()] == [admin.username]
    subscription.refresh_from_db()
    assert subscription.is_active and subscription.consecutive_failures == 0


def test_the_dispatch_task_has_time_limits() -> None:
    from tcfo_portal.celery import app

    task = app.tasks[DISPATCH_TASK]
    assert task.soft_time_limit and task.time_limit
    assert task.soft_time_limit < task.time_limit


# --- 2. URLs: internationalised hosts, and nothing odd crashes a delivery ---


def test_an_internationalised_host_is_stored_as_punycode(admin) -> None:
    assert validate_url("https://пример.рф/hook") == "https://xn--e1afmkfd.xn--p1ai/hook"
    assert validate_url("https://Пример.рф:8443/a b".replace(" ", "%20")) == (
        "https://xn--e1afmkfd.xn--p1ai:8443/a%20b"
    )
    assert validate_url("https://hooks.example.com/путь") == (
        "https://hooks.example.com/%D0%BF%D1%83%D1%82%D1%8C"
    )
    subscription, _ = create_subscription(actor=admin, url="https://пример.рф/hook")
    assert subscription.url == "https://xn--e1afmkfd.xn--p1ai/hook"
    with pytest.raises(InvalidInput) as refused:
        create_subscription(actor=admin, url="https://" + "я" * 70 + ".рф/")
    assert refused.value.field == "url" and "IDNA" in refused.value.detail


def test_a_url_that_cannot_be_sent_is_a_failed_attempt_not_a_crash(admin) -> None:
    with receiver() as endpoint:
        subscription, _ = create_subscription(actor=admin, url=endpoint.url)
        # a row written before URLs were checked this way
        WebhookSubscription.objects.filter(pk=subscription.pk).update(url=f"{endpoint.url}/ü")
        _event(admin.organisation)
        assert deliver_due() == 1
        assert endpoint.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.last_error == "the URL cannot be sent: it is not plain ASCII"


# --- 3. rotation ---


def test_rotating_twice_within_the_grace_period_keeps_the_secret_the_partner_holds(
    admin, settings
) -> None:
    settings.TCFO_WEBHOOK_SECRET_GRACE_HOURS = 24
    now = timezone.now()
    with receiver() as endpoint:
        subscription, original = create_subscription(actor=admin, url=endpoint.url)
        subscription, _ = rotate_secret(actor=admin, subscription=subscription, now=now)
        grace_end = subscription.previous_secret_expires_at
        later = now + datetime.timedelta(hours=1)
        subscription, newest = rotate_secret(actor=admin, subscription=subscription, now=later)
        assert subscription.previous_secret == original
        assert subscription.previous_secret_expires_at == grace_end
        _event(admin.organisation, subject_id=1)
        deliver_due(now=later)
        _event(admin.organisation, subject_id=2)
        deliver_due(now=now + datetime.timedelta(hours=25))
        during, after = endpoint.received
    assert _signed_by(during, original) and _signed_by(during, newest)
    assert _signed_by(after, newest) and not _signed_by(after, original)
    # signing after the grace period forgot the previous secret
    subscription.refresh_from_db()
    assert (subscription.previous_secret, subscription.previous_secret_expires_at) == ("", None)
    # a rotation after the grace period keeps the then current secret beside the new one
    at = now + datetime.timedelta(hours=30)
    subscription, _ = rotate_secret(actor=admin, subscription=subscription, now=at)
    assert subscription.previous_secret == newest
    assert subscription.previous_secret_expires_at == at + datetime.timedelta(hours=24)


# --- 4. and 5. disabling and enabling ---


def test_one_stuck_delivery_does_not_disable_a_webhook_that_works(admin, settings) -> None:
    settings.TCFO_WEBHOOK_RETRY_HOURS = 24
    with receiver() as endpoint:
        endpoint.default = 422  # the receiver refuses this one event, and accepts others
        subscription, _ = create_subscription(actor=admin, url=endpoint.url)
        _event(admin.organisation)
        delivery = WebhookDelivery.objects.get()
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            last_success_at=delivery.created_at + datetime.timedelta(hours=2)
        )
        deliver_due(now=delivery.created_at + datetime.timedelta(hours=24))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    subscription.refresh_from_db()
    assert subscription.is_active
    assert not Event.objects.filter(type=EventType.WEBHOOK_DISABLED).exists()


def test_enabling_a_webhook_fails_its_deliveries_past_the_retry_window(admin, settings) -> None:
    settings.TCFO_WEBHOOK_RETRY_HOURS = 24
    with receiver() as endpoint:
        endpoint.default = 500
        subscription, _ = create_subscription(actor=admin, url=endpoint.url)
        _event(admin.organisation, subject_id=1)
        _event(admin.organisation, subject_id=2)
        stale, fresh = WebhookDelivery.objects.order_by("pk")
        WebhookDelivery.objects.filter(pk=stale.pk).update(
            created_at=timezone.now() - datetime.timedelta(hours=30)
        )
        update_subscription(actor=admin, subscription=subscription, is_active=False)
        update_subscription(actor=admin, subscription=subscription, is_active=True)
        stale.refresh_from_db()
        assert stale.status == DeliveryStatus.FAILED and stale.next_attempt_at is None
        assert "while the webhook was disabled" in stale.last_error
        deliver_due()
        # only the fresh one is sent; its failure is retried, the webhook stays enabled
        assert endpoint.event_ids() == [str(fresh.event.uid)]
    subscription.refresh_from_db()
    assert subscription.is_active


# --- 7. system checks ---


def test_a_retry_window_under_a_day_is_a_system_check_error(settings) -> None:
    settings.TCFO_WEBHOOK_RETRY_HOURS = 12
    with pytest.raises(SystemCheckError, match=r"events\.E001"):
        call_command("check")
    settings.TCFO_WEBHOOK_RETRY_HOURS = 24
    call_command("check")


def test_private_targets_are_a_deployment_warning(settings) -> None:
    def deploy_ids() -> set[str]:
        found = checks.run_checks(include_deployment_checks=True, tags=[checks.Tags.security])
        return {message.id for message in found}

    settings.TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert "events.W001" in deploy_ids()
    assert "events.W001" not in {m.id for m in checks.run_checks()}  # deploy only
    settings.TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    assert "events.W001" not in deploy_ids()
    # ``make check-deploy`` fails on any warning: none of ours, nor of the schema's enum names
    everything = checks.run_checks(include_deployment_checks=True)
    assert [m.id for m in everything if m.id.startswith(("events.", "drf_spectacular."))] == []


# --- 8. the claim with a backlog ---


def test_a_batch_is_claimed_in_two_queries_on_indexes(admin, django_assert_max_num_queries) -> None:
    create_subscription(actor=admin, url="https://hooks.example.com/x")
    for subject in range(CLAIM_BATCH + 5):
        record_event(
            type=EventType.ORDER_STATE_CHANGED,
            organisation=admin.organisation,
            subject_type="order",
            subject_id=subject,
            data={},
        )
    publish_pending()
    # the claim, the lease, the claimed rows (and the savepoint around the first two)
    with django_assert_max_num_queries(5):
        claimed, _ = claim_due(now=timezone.now())
    assert len(claimed) == CLAIM_BATCH
    positions = [d.event.position for d in claimed]
    assert positions == sorted(positions)
    with connection.cursor() as cursor:
        delivery = connection.introspection.get_constraints(cursor, "events_webhookdelivery")
        event = connection.introspection.get_constraints(cursor, "events_event")
    assert delivery["delivery_subscription_status"]["columns"] == ["subscription_id", "status"]
    assert event["event_subject_position"]["columns"] == [
        "subject_type",
        "subject_id",
        "position",
    ]


# --- 10. the portal's secret cookie, the admin ---


def test_a_new_secret_shows_on_its_own_webhooks_page_only(admin) -> None:
    other, _ = create_subscription(actor=admin, url="https://hooks.example.com/other")
    client = Client()
    client.force_login(admin)
    created = client.post("/webhooks/", {"url": "https://hooks.example.com/new"})
    assert created.status_code == 302
    subscription = WebhookSubscription.objects.exclude(pk=other.pk).get()
    marker = 'data-testid="new-webhook-secret"'
    assert marker not in client.get(f"/webhooks/{other.pk}/").content.decode()
    assert marker not in client.get("/webhooks/").content.decode()
    page = client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert marker in page and subscription.secret in page


def test_the_admin_cannot_change_a_webhooks_url_or_organisation(admin) -> None:
    subscription, _ = create_subscription(actor=admin, url="https://hooks.example.com/x")
    superuser = UserFactory(is_staff=True, is_superuser=True)
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admin = WebhookSubscriptionAdmin(WebhookSubscription, django_admin.site)
    form = model_admin.get_form(request, subscription)
    assert "url" not in form.base_fields and "organisation" not in form.base_fields
    assert {"url", "organisation"} <= set(model_admin.get_readonly_fields(request, subscription))
    assert not model_admin.has_add_permission(request)
