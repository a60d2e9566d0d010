"""Webhook deliveries to a real HTTP receiver on 127.0.0.1: signed, retried with backoff, in
order per object, never redirected, refused for private addresses when the setting is off."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import json

import pytest
from django.utils import timezone

from events.choices import DeliveryStatus, EventType
from events.models import Event, WebhookDelivery, WebhookSubscription
from events.services.delivery import deliver_due, retry_delay
from events.services.outbox import event_payload, publish_pending, record_event
from events.services.webhooks import (
    create_subscription,
    forbidden_address,
    redeliver,
    rotate_secret,
    update_subscription,
)
from organisations.choices import Role
from tcfo_portal.exceptions import Forbidden, InvalidInput
from tests.factories import CustomerFactory, OperatorFactory, UserFactory

from .receiver import receiver

pytestmark = pytest.mark.django_db


def _event(organisation, subject_id: int = 1, state: str = "acknowledged") -> Event:
    event = record_event(
        type=EventType.ORDER_STATE_CHANGED,
        organisation=organisation,
        subject_type="order",
        subject_id=subject_id,
        data={"id": subject_id, "state": state},
    )
    publish_pending()
    event.refresh_from_db()
    return event


def _signatures(header: str) -> tuple[int, list[str]]:
    pairs = [item.split("=", 1) for item in header.split(",")]
    timestamp = int(next(value for key, value in pairs if key == "t"))
    return timestamp, [value for key, value in pairs if key == "v1"]


def _signed_by(request, secret: str) -> bool:
    timestamp, signatures = _signatures(request.headers["TCFO-Signature"])
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


@pytest.fixture
def admin():
    return UserFactory(organisation=CustomerFactory(), role=Role.CUSTOMER_ADMIN)


def test_a_delivery_is_signed_and_carries_the_event(admin) -> None:
    with receiver() as endpoint:
        subscription, secret = create_subscription(actor=admin, url=endpoint.url)
        assert secret.startswith("whsec_")
        event = _event(admin.organisation)
        assert deliver_due() == 1
        [request] = endpoint.received
    assert request.path == "/hook"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["TCFO-Event-Id"] == str(event.uid)
    assert request.headers["TCFO-Event-Type"] == "order.state_changed"
    assert request.headers["TCFO-Delivery-Attempt"] == "1"
    assert request.headers["User-Agent"].startswith("TCFO-Webhooks/")
    assert json.loads(request.body) == event_payload(event)
    assert _signed_by(request, secret)
    assert not _signed_by(request, "whsec_someone_else")
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.response_status == 200
    assert [a.response_status for a in delivery.log.all()] == [200]
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None


def test_a_receiver_answering_500_then_200_gets_the_event_once_more_and_no_more(admin) -> None:
    with receiver() as endpoint:
        endpoint.script = [500]
        create_subscription(actor=admin, url=endpoint.url)
        event = _event(admin.organisation)
        now = timezone.now()
        deliver_due(now=now)
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == DeliveryStatus.PENDING
        assert delivery.response_status == 500
        assert delivery.next_attempt_at == now + datetime.timedelta(minutes=1)
        assert deliver_due(now=now + datetime.timedelta(seconds=30)) == 0
        deliver_due(now=now + datetime.timedelta(minutes=1))
        deliver_due(now=now + datetime.timedelta(days=5))
        received = list(endpoint.received)
    assert [r.headers["TCFO-Delivery-Attempt"] for r in received] == ["1", "2"]
    assert [r.headers["TCFO-Event-Id"] for r in received] == [str(event.uid)] * 2
    assert received[0].body == received[1].body
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [(a.response_status, a.error) for a in delivery.log.all()] == [
        (500, "answered 500"),
        (200, ""),
    ]


def test_backoff_doubles_from_a_minute_up_to_six_hours() -> None:
    delays = [retry_delay(n) for n in range(1, 12)]
    assert delays[:4] == [datetime.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert delays[-1] == datetime.timedelta(hours=6)


def test_an_objects_events_stay_in_order_when_an_earlier_delivery_fails(admin) -> None:
    with receiver() as endpoint:
        endpoint.script = [500]
        create_subscription(actor=admin, url=endpoint.url)
        first = _event(admin.organisation, subject_id=1, state="acknowledged")
        second = _event(admin.organisation, subject_id=1, state="in_progress")
        other = _event(admin.organisation, subject_id=2, state="acknowledged")
        now = timezone.now()
        deliver_due(now=now)
        # The first failed: the second (same order) waits, the other order's goes.
        assert endpoint.event_ids() == [str(first.uid), str(other.uid)]
        deliver_due(now=now + datetime.timedelta(minutes=2))
        ids = endpoint.event_ids()
    assert ids == [str(first.uid), str(other.uid), str(first.uid), str(second.uid)]


def test_rotation_signs_with_both_secrets_during_the_grace_period_only(admin, settings) -> None:
    settings.TCFO_WEBHOOK_SECRET_GRACE_HOURS = 24
    now = timezone.now()
    with receiver() as endpoint:
        subscription, old = create_subscription(actor=admin, url=endpoint.url)
        subscription, new = rotate_secret(actor=admin, subscription=subscription, now=now)
        assert new != old and new.startswith("whsec_")
        _event(admin.organisation, subject_id=1)
        deliver_due(now=now + datetime.timedelta(hours=23))
        _event(admin.organisation, subject_id=2)
        deliver_due(now=now + datetime.timedelta(hours=25))
        during, after = endpoint.received
    assert len(_signatures(during.headers["TCFO-Signature"])[1]) == 2
    assert _signed_by(during, old) and _signed_by(during, new)
    assert len(_signatures(after.headers["TCFO-Signature"])[1]) == 1
    assert _signed_by(after, new) and not _signed_by(after, old)


def test_a_disabled_subscription_receives_nothing_until_enabled(admin) -> None:
    with receiver() as endpoint:
        subscription, _ = create_subscription(actor=admin, url=endpoint.url)
        pending = _event(admin.organisation, subject_id=1)  # published while it was active
        update_subscription(actor=admin, subscription=subscription, is_active=False)
        missed = _event(admin.organisation, subject_id=2)  # while disabled: replay from the list
        assert deliver_due() == 0
        assert endpoint.received == []
        update_subscription(actor=admin, subscription=subscription, is_active=True)
        later = _event(admin.organisation, subject_id=3)
        deliver_due()
        assert endpoint.event_ids() == [str(pending.uid), str(later.uid)]
    assert not missed.deliveries.exists()


def test_a_subscription_failing_past_the_retry_window_is_disabled_with_a_notice(
    admin, settings, mailoutbox, django_capture_on_commit_callbacks
) -> None:
    settings.TCFO_WEBHOOK_RETRY_HOURS = 24
    with receiver() as endpoint:
        endpoint.default = 503
        subscription, _ = create_subscription(actor=admin, url=endpoint.url)
        _event(admin.organisation)
        moment = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            while WebhookDelivery.objects.get().status == DeliveryStatus.PENDING:
                deliver_due(now=moment)
                moment += datetime.timedelta(hours=1)
        attempts = len(endpoint.received)
        deliver_due(now=moment + datetime.timedelta(days=3))
        assert len(endpoint.received) == attempts
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    # the last attempt falls on the end of the window, a day after the first
    assert delivery.last_attempt_at - delivery.log.first().at >= datetime.timedelta(hours=24)
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "failed for 24 hours" in subscription.disabled_reason
    notice = Event.objects.get(type=EventType.WEBHOOK_DISABLED)
    assert notice.subject_id == str(subscription.pk)
    [mail] = mailoutbox
    assert admin.email in mail.to and admin.organisation.billing_email in mail.to
    assert subscription.url in mail.body
    assert subscription.secret not in mail.body


def test_a_redirect_is_a_failure_and_is_not_followed(admin) -> None:
    with receiver() as endpoint:
        endpoint.default = 302
        create_subscription(actor=admin, url=endpoint.url)
        _event(admin.organisation)
        deliver_due()
        assert [r.path for r in endpoint.received] == ["/hook"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.response_status == 302
    assert "redirects are not followed" in delivery.last_error


def test_a_private_address_is_refused_when_the_setting_is_off(admin, settings) -> None:
    with receiver() as endpoint:
        create_subscription(actor=admin, url=endpoint.url)
        settings.TCFO_WEBHOOK_ALLOW_PRIVATE_TARGETS = False
        _event(admin.organisation)
        deliver_due()
        assert endpoint.received == []
        with pytest.raises(InvalidInput) as refused:
            create_subscription(actor=admin, url=endpoint.url)
        assert refused.value.field == "url"
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.response_status is None
    assert "private" in delivery.last_error
    # "localhost" is refused on resolving, not only as a literal address
    subscription = WebhookSubscription.objects.get()
    WebhookSubscription.objects.filter(pk=subscription.pk).update(url="http://localhost:9/x")
    delivery.next_attempt_at = timezone.now()
    delivery.save()
    deliver_due()
    delivery.refresh_from_db()
    assert "private" in delivery.last_error


@pytest.mark.parametrize(
    ("address", "forbidden"),
    [
        ("10.1.2.3", True),
        ("172.16.0.1", True),
        ("192.168.1.1", True),
        ("127.0.0.1", True),
        ("169.254.169.254", True),
        ("0.0.0.0", True),  # noqa: S104
        ("224.0.0.1", True),
        ("240.0.0.1", True),
        ("100.64.0.1", True),
        ("::1", True),
        ("::", True),
        ("fe80::1", True),
        ("fc00::1", True),
        ("ff02::1", True),
        ("::ffff:10.0.0.1", True),
        ("::ffff:127.0.0.1", True),
        ("fec0::1", True),  # site-local
        ("2002:0a00:0001::1", True),  # 6to4 of 10.0.0.1
        ("2002:7f00:0001::1", True),  # 6to4 of 127.0.0.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", True),  # Teredo, client 10.0.0.1
        ("2002:0808:0808::1", False),  # 6to4 of 8.8.8.8
        ("8.8.8.8", False),
        ("2001:4860:4860::8888", False),
        ("::ffff:8.8.8.8", False),
    ],
)
def test_forbidden_addresses(address: str, forbidden: bool) -> None:
    assert forbidden_address(ipaddress.ip_address(address)) is forbidden


def test_a_receiver_that_does_not_answer_times_out(admin, settings) -> None:
    settings.TCFO_WEBHOOK_TIMEOUT_SECONDS = 0.3
    with receiver() as endpoint:
        endpoint.stall_seconds = 10
        create_subscription(actor=admin, url=endpoint.url)
        _event(admin.organisation)
        deliver_due()
        endpoint.release.set()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.last_error == "timed out waiting for the answer"
    assert delivery.response_status is None


def test_manual_redelivery_sends_the_same_event_again_and_records_who(admin) -> None:
    with receiver() as endpoint:
        create_subscription(actor=admin, url=endpoint.url)
        event = _event(admin.organisation)
        deliver_due()
        delivery = redeliver(actor=admin, delivery=WebhookDelivery.objects.get())
        assert delivery.status == DeliveryStatus.PENDING
        assert endpoint.event_ids() == [str(event.uid)]  # queued, not sent here
        assert deliver_due() == 1
        assert endpoint.event_ids() == [str(event.uid)] * 2
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.requested_by == ""
    assert [a.requested_by for a in delivery.log.all()] == ["", admin.username]


def test_who_may_manage_webhooks() -> None:
    customer, operator = CustomerFactory(), OperatorFactory()
    for role, organisation in [
        (Role.CUSTOMER_ADMIN, customer),
        (Role.OPERATOR_FINANCE, operator),
        (Role.OPERATOR_NETWORK, operator),
    ]:
        user = UserFactory(organisation=organisation, role=role)
        create_subscription(actor=user, url="https://hooks.example.com/tcfo")
    member = UserFactory(organisation=customer, role=Role.CUSTOMER_MEMBER)
    with pytest.raises(Forbidden):
        create_subscription(actor=member, url="https://hooks.example.com/tcfo")
    intruder = UserFactory(organisation=CustomerFactory(), role=Role.CUSTOMER_ADMIN)
    theirs = WebhookSubscription.objects.filter(organisation=customer).get()
    with pytest.raises(Forbidden):
        rotate_secret(actor=intruder, subscription=theirs)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/x", "Only http:// and https://"),
        ("https://user:pw@hooks.example.com/x", "no user name or password"),
        ("https:///x", "names no host"),
        ("https://hooks.example.com:99999/x", "not a valid URL"),
        ("https://hooks.example.com/" + "x" * 2000, "At most 2000"),
        ("", "Give the URL"),
    ],
)
def test_urls_are_checked_with_clear_errors(admin, url: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        create_subscription(actor=admin, url=url)
    assert refused.value.field == "url"
    assert message in refused.value.detail


def test_event_types_must_exist(admin) -> None:
    with pytest.raises(InvalidInput) as refused:
        create_subscription(
            actor=admin, url="https://h.example.com/", event_types=["order.state_changed", "nope"]
        )
    assert refused.value.field == "event_types" and "nope" in refused.value.detail
    subscription, _ = create_subscription(
        actor=admin,
        url="https://h.example.com/",
        event_types=["invoice.issued", "invoice.issued"],
    )
    assert subscription.event_types == ["invoice.issued"]
