"""What a person reads on the events page, the webhook pages and the partner guide: subjects
linked to their portal pages by their own names, filters with human labels and dates, times
with their zone, every attempt of a delivery, a disabled notice that reads well, and the guide
served in the portal (escaped) and linked from the pages and the API schema."""

from __future__ import annotations

import datetime
import html
import json
import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events.choices import DeliveryStatus, EventType
from events.guide import GUIDE_PATH, render
from events.models import Event, WebhookAttempt, WebhookDelivery
from events.services.outbox import publish_pending, record_event
from events.services.webhooks import create_subscription, update_subscription
from organisations.choices import Role
from tcfo_portal.formatting import format_moment
from tests.conftest import key_client
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _text(response) -> str:
    """The page's visible text, tags dropped and spaces collapsed."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _event(organisation, type, subject_type, subject_id, data=None, occurred_at=None) -> Event:
    event = record_event(
        type=type,
        organisation=organisation,
        subject_type=subject_type,
        subject_id=subject_id,
        data=data or {},
        occurred_at=occurred_at,
    )
    publish_pending()
    event.refresh_from_db()
    return event


@pytest.fixture
def admin():
    return UserFactory(
        organisation=CustomerFactory(name="Caspian Online"), role=Role.CUSTOMER_ADMIN
    )


def test_the_events_page_links_each_subject_to_its_portal_page(admin) -> None:
    org = admin.organisation
    _event(org, EventType.ORDER_STATE_CHANGED, "order", 22, {"url": "/api/v1/orders/22/"})
    _event(org, EventType.INVOICE_ISSUED, "invoice", 7, {"number": "AZT-2026-0007"})
    _event(org, EventType.CREDIT_NOTE_ISSUED, "credit_note", 4, {"number": "CN-0004"})
    _event(org, EventType.MAINTENANCE_SCHEDULED, "maintenance", 3, {"reference": "MNT-000003"})
    _event(org, EventType.TICKET_UPDATED, "trouble_ticket", 9)
    _event(org, EventType.PAYMENT_RECORDED, "payment", 5, {"invoice": 7})
    response = _client(admin).get("/events/")
    page = response.content.decode()
    assert '<a href="/orders/22/">order 22</a>' in page
    assert '<a href="/invoices/7/">invoice AZT-2026-0007</a>' in page
    assert '<a href="/credit-notes/4/pdf/">credit note CN-0004</a>' in page
    # a customer reads maintenance on Planned work, by its reference
    assert '<a href="/planned-work/">maintenance MNT-000003</a>' in page
    assert '<a href="/tickets/9/">ticket 9</a>' in page
    assert '<a href="/invoices/7/">payment 5</a>' in page
    assert 'href="/api/v1/orders/22/"' not in page  # the API's address is in the data only
    text = _text(response)
    assert "An order changed state" in text and "Maintenance was scheduled" in text


def test_the_events_filters_read_as_words_take_dates_and_a_single_type(admin) -> None:
    org = admin.organisation
    now = timezone.now()
    old = _event(
        org, EventType.ORDER_STATE_CHANGED, "order", 1, occurred_at=now - datetime.timedelta(days=3)
    )
    new = _event(org, EventType.INVOICE_ISSUED, "invoice", 2)
    client = _client(admin)
    response = client.get("/events/")
    page, text = response.content.decode(), _text(response)
    for label in ("Type", "About", "Its id", "From (UTC)", "Until (UTC)"):
        assert f">{label}</label>" in page, label
    assert "greater than" not in text and "less than" not in text
    assert page.count('type="date"') == 2
    assert '<option value="" selected>Any type</option>' in page
    assert "multiple" not in page  # no Ctrl-click list
    assert '<option value="maintenance">Maintenance</option>' in page

    today = now.date().isoformat()
    recent = client.get("/events/", {"since": today, "until": today}).content.decode()
    assert str(new.uid) in recent and str(old.uid) not in recent
    earlier = (now - datetime.timedelta(days=3)).date().isoformat()
    that_day = client.get("/events/", {"since": earlier, "until": earlier}).content.decode()
    assert str(old.uid) in that_day and str(new.uid) not in that_day
    one_type = client.get("/events/", {"type": "invoice.issued"}).content.decode()
    assert str(new.uid) in one_type and str(old.uid) not in one_type
    about = client.get("/events/", {"subject_type": "order"}).content.decode()
    assert str(old.uid) in about and str(new.uid) not in about

    bad = client.get("/events/", {"since": "yesterday"})
    assert bad.status_code == 400
    assert "Enter a valid date." in _text(bad)  # the page, with the filter's error
    assert 'value="yesterday"' in bad.content.decode()


def test_the_apis_event_filters_keep_their_names_and_times(admin) -> None:
    client = key_client(admin.organisation, Role.CUSTOMER_ADMIN)[0]
    event = _event(admin.organisation, EventType.INVOICE_ISSUED, "invoice", 2)
    before = (event.occurred_at - datetime.timedelta(seconds=1)).isoformat()
    found = client.get("/api/v1/events/", {"created_after": before, "type": "invoice.issued,x"})
    assert found.status_code == 400  # a comma list, each type checked, as before
    found = client.get("/api/v1/events/", {"created_after": before, "subject_type": "invoice"})
    assert [e["id"] for e in found.json()["results"]] == [str(event.uid)]


def _delivery(subscription, event, *, status, attempts) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event=event,
        status=status,
        attempts=len(attempts),
        last_attempt_at=attempts[-1][0] if attempts else None,
        next_attempt_at=attempts[-1][0] + datetime.timedelta(minutes=4)
        if status == DeliveryStatus.PENDING
        else None,
        response_status=attempts[-1][1] if attempts else None,
        last_error=attempts[-1][2] if attempts else "",
    )
    for at, code, error in attempts:
        WebhookAttempt.objects.create(
            delivery=delivery, at=at, response_status=code, error=error, duration_ms=12
        )
    return delivery


def test_the_delivery_log_links_subjects_shows_zones_attempts_and_filters_by_type(admin) -> None:
    admin.time_zone = "Asia/Baku"  # times are the reader's, named: not labelled UTC
    admin.save(update_fields=["time_zone"])
    subscription, _ = create_subscription(actor=admin, url="https://hooks.example.com/tcfo")
    org = admin.organisation
    maintenance = _event(
        org, EventType.MAINTENANCE_SCHEDULED, "maintenance", 3, {"reference": "MNT-000003"}
    )
    order = _event(org, EventType.ORDER_STATE_CHANGED, "order", 22)
    WebhookDelivery.objects.all().delete()
    first = timezone.make_aware(datetime.datetime(2026, 11, 29, 1, 50, 33), datetime.UTC)
    _delivery(
        subscription,
        maintenance,
        status=DeliveryStatus.PENDING,
        attempts=[
            (first, None, "connection refused: nothing listens on that port"),
            (first + datetime.timedelta(minutes=1), 500, "answered 500"),
        ],
    )
    _delivery(
        subscription,
        order,
        status=DeliveryStatus.DELIVERED,
        attempts=[(first + datetime.timedelta(minutes=2), 200, "")],
    )
    client = _client(admin)
    url = f"/webhooks/{subscription.pk}/"
    response = client.get(url)
    page, text = response.content.decode(), _text(response)
    assert '<a href="/planned-work/">maintenance MNT-000003</a>' in page
    assert '<a href="/orders/22/">order 22</a>' in page
    assert "maintenance 3" not in text
    assert "UTC" not in text
    assert "Last attempt" in text and "Next attempt" in text
    assert "29 Nov 2026, 05:52 Asia/Baku" in text  # the delivered one's last attempt
    assert "29 Nov 2026, 05:55 Asia/Baku" in text  # the pending one's next attempt
    attempts = re.findall(r'data-testid="attempt">([^<]*)<', page)
    assert [html.unescape(a) for a in attempts] == [
        "29 Nov 2026, 05:52 Asia/Baku: answered 200, 12 ms",  # the newest delivery first
        "29 Nov 2026, 05:50 Asia/Baku: connection refused: nothing listens on that port, 12 ms",
        "29 Nov 2026, 05:51 Asia/Baku: answered 500, 12 ms",
    ]
    assert '<option value="maintenance.scheduled">' in page
    only = _text(client.get(url, {"event_type": "order.state_changed"}))
    assert "order 22" in only and "MNT-000003" not in only
    assert "Status" in text and "Event type" in text


def test_a_disabled_webhook_says_so_once(admin) -> None:
    subscription, _ = create_subscription(actor=admin, url="https://hooks.example.com/tcfo")
    update_subscription(actor=admin, subscription=subscription, is_active=False)
    subscription.refresh_from_db()
    admin.time_zone = "Asia/Baku"
    admin.save(update_fields=["time_zone"])
    notice = re.search(
        r'data-testid="disabled-notice">([^<]*)<',
        _client(admin).get(f"/webhooks/{subscription.pk}/").content.decode(),
    ).group(1)
    when = format_moment(subscription.disabled_at, "Asia/Baku")
    assert when.endswith(" Asia/Baku")
    assert html.unescape(notice) == (
        f"Disabled since {when}. Turned off by {admin.username}. Nothing is sent to it, "
        "and events that happen meanwhile are not queued for it, until it is enabled again."
    )
    assert notice.count("isabled") == 1


def test_the_partner_guide_is_a_portal_page_linked_from_the_webhook_pages(admin) -> None:
    assert reverse("webhook-guide") == GUIDE_PATH
    anonymous = Client().get(GUIDE_PATH)
    assert anonymous.status_code == 200
    text = _text(anonymous)
    assert "Webhooks: a partner's guide" in text
    assert "Verifying the signature" in text and "def verify_signature(" in text
    page = anonymous.content.decode()
    assert '<h2 id="verifying-the-signature">' in page
    assert "<pre" in page and "<table>" in page
    client = _client(admin)
    assert f'href="{GUIDE_PATH}"' in client.get("/webhooks/").content.decode()
    subscription, _ = create_subscription(actor=admin, url="https://hooks.example.com/tcfo")
    assert f'href="{GUIDE_PATH}"' in client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert "docs/webhooks.md" not in client.get("/webhooks/").content.decode()


def test_the_guide_rendering_escapes_everything() -> None:
    title, body = render(
        "# A <b>title</b>\n\nText with `<script>` and **bold <i>**.\n\n"
        "```html\n<script>alert(1)</script>\n```\n\n| a | b |\n|---|---|\n| <x> | `y` |\n"
        "\n- one <img>\n  continued\n"
    )
    assert title == "A <b>title</b>"  # the template escapes it
    assert "<script" not in body and "<img" not in body and "<x>" not in body and "<i>" not in body
    assert "<code>&lt;script&gt;</code>" in body
    assert "<strong>bold &lt;i&gt;</strong>" in body
    assert (
        '<pre data-language="html"><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>' in body
    )
    assert "<td>&lt;x&gt;</td><td><code>y</code></td>" in body
    assert "<li>one &lt;img&gt; continued</li>" in body


def test_the_api_schema_names_the_guide_and_every_area(client) -> None:
    schema = json.loads(client.get("/api/schema/?format=json").content)
    description = schema["info"]["description"]
    for area in (
        "events",
        "webhooks",
        "maintenance",
        "outages",
        "trouble tickets",
        "settlement",
        "revenue",
        GUIDE_PATH,
    ):
        assert area in description, area
    assert description == settings.SPECTACULAR_SETTINGS["DESCRIPTION"]
    paths = schema["paths"]
    assert GUIDE_PATH in paths["/api/v1/webhooks/"]["post"]["description"]
    assert GUIDE_PATH in paths["/api/v1/webhooks/"]["get"]["description"]
    assert GUIDE_PATH in paths["/api/v1/webhooks/{id}/deliveries/"]["get"]["description"]
