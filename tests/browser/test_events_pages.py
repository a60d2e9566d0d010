"""Layout a person meets on the events and webhook pages, in a real headless Chromium: the
delivery log's filters sit side by side (not a select stretched across the page), a delivery's
attempts open in place, the events filters take a date from a date picker and one type from a
list, and the partner guide reads as a page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events.choices import DeliveryStatus, EventType
from events.models import WebhookAttempt, WebhookDelivery
from events.services.outbox import publish_pending, record_event
from events.services.webhooks import create_subscription
from organisations.choices import Role

from ..factories import TEST_PASSWORD, CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_the_delivery_log_and_the_events_filters_fit_a_person(live_server, page):
    customer = CustomerFactory(name="Caspian Online")
    admin = UserFactory(organisation=customer, role=Role.CUSTOMER_ADMIN, username="hooks")
    subscription, _ = create_subscription(actor=admin, url="https://hooks.example.com/tcfo")
    record_event(
        type=EventType.MAINTENANCE_SCHEDULED,
        organisation=customer,
        subject_type="maintenance",
        subject_id=3,
        data={"reference": "MNT-000003"},
    )
    publish_pending()
    delivery = WebhookDelivery.objects.get()
    WebhookAttempt.objects.create(delivery=delivery, response_status=500, error="answered 500")
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=1, status=DeliveryStatus.FAILED, last_attempt_at=timezone.now()
    )
    _log_in(page, live_server, admin)

    page.goto(f"{live_server.url}/webhooks/{subscription.pk}/")
    status = page.get_by_label("Status", exact=True)
    event_type = page.get_by_label("Event type")
    main_width = page.locator("main").bounding_box()["width"]
    assert status.bounding_box()["width"] < main_width / 2
    # side by side: the two selects share a row
    assert abs(status.bounding_box()["y"] - event_type.bounding_box()["y"]) < 5
    # (the on-commit dispatch may have tried the unresolvable host first: the last is ours)
    attempt = page.get_by_test_id("attempt").last
    expect(attempt).to_be_hidden()
    page.locator("details.attempts summary").click()
    expect(attempt).to_contain_text("answered 500")
    expect(page.get_by_role("link", name="maintenance MNT-000003")).to_be_visible()

    page.goto(f"{live_server.url}/events/")
    page.get_by_text("Filter and search").click()  # the filters fold until one is set
    since = page.get_by_label("From (UTC)")
    assert since.get_attribute("type") == "date"
    since.fill(timezone.now().date().isoformat())
    page.get_by_label("Type").select_option("maintenance.scheduled")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="maintenance MNT-000003")).to_be_visible()
    assert "type=maintenance.scheduled" in page.url

    page.get_by_role("link", name="partner guide").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks: a partner's guide")
    expect(page.get_by_role("heading", name="Verifying the signature")).to_be_visible()
