"""``GET /api/v1/events/``: an organisation's own events in published order, read forward with a
cursor that misses nothing and repeats nothing (even when events are published out of id
order), filtered by type, subject and time; another organisation's event is a 404, and refused
as a cursor like an id that does not exist."""

from __future__ import annotations

import datetime
import threading
import uuid

import pytest
from django.db import connection, transaction
from django.utils import timezone

from events.choices import EventType
from events.models import Event
from events.services.outbox import publish_pending, record_event
from organisations.choices import Role

from ..conftest import key_client, session_client
from ..factories import CustomerFactory, UserFactory

URL = "/api/v1/events/"


def _event(organisation, type=EventType.ORDER_STATE_CHANGED, subject_id=1, **kwargs) -> Event:
    subject_type = type.split(".")[0]
    event = record_event(
        type=type,
        organisation=organisation,
        subject_type=subject_type,
        subject_id=subject_id,
        data={"n": subject_id},
        **kwargs,
    )
    publish_pending()
    event.refresh_from_db()
    return event


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


@pytest.mark.django_db
def test_a_customer_reads_its_own_events_in_order_and_one_by_id():
    mine, theirs = CustomerFactory(name="Mine"), CustomerFactory(name="Theirs")
    first = _event(mine, subject_id=1)
    other = _event(theirs, subject_id=2)
    second = _event(mine, type=EventType.INVOICE_ISSUED, subject_id=3)
    client, _ = key_client(mine, Role.CUSTOMER_MEMBER)

    response = client.get(URL)
    body = response.json()
    assert _ids(response) == [str(first.uid), str(second.uid)]
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert body["results"][1] == {
        "id": str(second.uid),
        "type": "invoice.issued",
        "created_at": second.occurred_at.isoformat().replace("+00:00", "Z"),
        "organisation": "Mine",
        "subject": {"type": "invoice", "id": "3"},
        "data": {"n": 3},
    }
    one = client.get(f"{URL}{second.uid}/")
    assert one.status_code == 200 and one.json() == body["results"][1]
    # Another organisation's event is answered exactly as one that does not exist.
    theirs_answer = client.get(f"{URL}{other.uid}/")
    missing_answer = client.get(f"{URL}{uuid.uuid4()}/")
    assert theirs_answer.status_code == missing_answer.status_code == 404
    assert theirs_answer.json() == missing_answer.json()
    # A member signed in to the portal reads the same.
    member = UserFactory(organisation=mine, role=Role.CUSTOMER_MEMBER)
    assert _ids(session_client(member).get(URL)) == [str(first.uid), str(second.uid)]
    # An event written but not yet published is not listed (it has no place yet).
    with transaction.atomic():
        record_event(
            type=EventType.ORDER_STATE_CHANGED,
            organisation=mine,
            subject_type="order",
            subject_id=9,
            data={},
        )
        assert len(_ids(client.get(URL))) == 2


@pytest.mark.django_db
def test_platform_admins_read_every_organisation_or_one():
    mine, theirs = CustomerFactory(name="Mine"), CustomerFactory(name="Theirs")
    a, b = _event(mine), _event(theirs)
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN, is_staff=True)
    client = session_client(admin)
    assert _ids(client.get(URL)) == [str(a.uid), str(b.uid)]
    assert _ids(client.get(URL, {"organisation": "Theirs"})) == [str(b.uid)]
    # A customer naming another organisation still reads only its own: nothing here.
    customer, _ = key_client(mine)
    assert _ids(customer.get(URL, {"organisation": "Theirs"})) == []


@pytest.mark.django_db
def test_the_cursor_pages_through_everything_once():
    mine, theirs = CustomerFactory(), CustomerFactory()
    expected = []
    for n in range(7):
        expected.append(str(_event(mine, subject_id=n).uid))
        _event(theirs, subject_id=n)  # interleaved: never shown, never counted
    client, _ = key_client(mine)
    seen, url, pages = [], f"{URL}?page_size=3", 0
    while url:
        response = client.get(url)
        seen += _ids(response)
        url = response.json()["next"]
        pages += 1
        if url:
            assert f"after={seen[-1]}" in url and "page_size=3" in url
    assert seen == expected and pages == 3
    # From a cursor: what follows it, counted from there.
    after = client.get(URL, {"after": expected[4]})
    assert _ids(after) == expected[5:] and after.json()["count"] == 2
    # Nothing after the last: an empty page, and the reader keeps its cursor.
    last = client.get(URL, {"after": expected[-1]})
    assert _ids(last) == [] and last.json()["next"] is None


@pytest.mark.django_db
def test_a_cursor_that_is_not_one_of_your_events_is_a_400_that_tells_nothing():
    mine, theirs = CustomerFactory(), CustomerFactory()
    _event(mine)
    foreign = _event(theirs)
    client, _ = key_client(mine)
    answers = [
        client.get(URL, {"after": str(foreign.uid)}),
        client.get(URL, {"after": str(uuid.uuid4())}),
    ]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json() == answers[1].json()
    assert answers[0].json()["type"] == "validation_error"
    assert "after" in answers[0].json()["errors"]
    malformed = client.get(URL, {"after": "not-an-id"})
    assert malformed.status_code == 400 and "after" in malformed.json()["errors"]


@pytest.mark.django_db
def test_filters_by_type_subject_and_time():
    mine = CustomerFactory()
    order = _event(mine, EventType.ORDER_STATE_CHANGED, subject_id=5)
    invoice = _event(mine, EventType.INVOICE_ISSUED, subject_id=6)
    payment = _event(mine, EventType.PAYMENT_RECORDED, subject_id=7)
    old = _event(
        mine,
        EventType.ORDER_STATE_CHANGED,
        subject_id=5,
        occurred_at=timezone.now() - datetime.timedelta(days=10),
    )
    client, _ = key_client(mine)
    assert _ids(client.get(URL, {"type": "invoice.issued"})) == [str(invoice.uid)]
    both = [str(invoice.uid), str(payment.uid)]
    assert _ids(client.get(f"{URL}?type=invoice.issued&type=payment.recorded")) == both
    assert _ids(client.get(f"{URL}?type=invoice.issued,payment.recorded")) == both
    unknown = client.get(URL, {"type": "order.eaten"})
    assert unknown.status_code == 400 and "type" in unknown.json()["errors"]
    by_subject = client.get(URL, {"subject_type": "order", "subject_id": "5"})
    assert _ids(by_subject) == [str(order.uid), str(old.uid)]
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert str(old.uid) not in _ids(client.get(URL, {"created_after": since}))
    assert _ids(client.get(URL, {"created_before": since})) == [str(old.uid)]
    for bad in ("yesterday", "2026-13-01T00:00:00Z", "9999-12-31T23:59:59-23:59"):
        answer = client.get(URL, {"created_after": bad})
        assert answer.status_code == 400 and "created_after" in answer.json()["errors"], bad
    # A filter and a cursor together: the cursor counts in published order.
    after = client.get(URL, {"type": "order.state_changed", "after": str(invoice.uid)})
    assert _ids(after) == [str(old.uid)]


@pytest.mark.django_db(transaction=True)
def test_events_published_out_of_id_order_are_read_in_published_order_without_a_miss():
    """Two transactions: the first to write an event (lower id) commits last. Its event is
    published after the other's, so a reader that has read the other's and asks for what
    follows gets it: positions follow publishing, not ids."""
    customer = CustomerFactory()
    client, _ = key_client(customer)
    written, release, done = threading.Event(), threading.Event(), threading.Event()
    slow: dict[str, Event] = {}

    def slow_transaction() -> None:
        try:
            with transaction.atomic():
                slow["event"] = record_event(
                    type=EventType.ORDER_STATE_CHANGED,
                    organisation=customer,
                    subject_type="order",
                    subject_id=1,
                    data={"n": 1},
                )
                written.set()
                release.wait(timeout=30)
            publish_pending()
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    assert written.wait(timeout=30)
    fast = _event(customer, subject_id=2)  # commits (and is published) first
    assert fast.pk > slow["event"].pk
    page = client.get(URL)
    assert _ids(page) == [str(fast.uid)]
    cursor = page.json()["results"][-1]["id"]

    release.set()
    assert done.wait(timeout=30)
    thread.join()
    slow_event = Event.objects.get(pk=slow["event"].pk)
    assert slow_event.position > fast.position
    assert _ids(client.get(URL, {"after": cursor})) == [str(slow_event.uid)]
    assert _ids(client.get(URL)) == [str(fast.uid), str(slow_event.uid)]


@pytest.mark.django_db
def test_the_portal_page_lists_the_organisations_events_newest_first_and_filters_them(client):
    mine, theirs = CustomerFactory(name="Mine"), CustomerFactory(name="Theirs")
    order = _event(mine, EventType.ORDER_STATE_CHANGED, subject_id=5)
    invoice = _event(mine, EventType.INVOICE_ISSUED, subject_id=6)
    foreign = _event(theirs, EventType.INVOICE_ISSUED, subject_id=7)
    client.force_login(UserFactory(organisation=mine, role=Role.CUSTOMER_MEMBER))
    page = client.get("/events/").content.decode()
    assert str(foreign.uid) not in page
    assert page.index(str(invoice.uid)) < page.index(str(order.uid))  # newest first
    assert 'name="organisation"' not in page  # platform admins' filter only
    only = client.get("/events/", {"type": "order.state_changed"}).content.decode()
    assert str(order.uid) in only and str(invoice.uid) not in only
    bad = client.get("/events/", {"type": "order.eaten"})
    assert bad.status_code == 400
