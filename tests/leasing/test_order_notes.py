"""Notes on an order's history are internal (operators only) or written for the customer, chosen
when written; the customer reads only the latter, in the API, the portal, e-mails and the order
form PDF."""

import datetime
import importlib
import io

import pytest
from django.apps import apps
from django.core import mail
from pypdf import PdfReader

from leasing.choices import NoteVisibility, OrderState
from leasing.models import Order, OrderTransition
from leasing.services.orders import (
    acknowledge_order,
    complete_order,
    create_quote,
    place_order,
    start_provisioning,
)
from organisations.choices import Role

from ..conftest import key_client, session_client
from ..factories import UserFactory
from .conftest import START

pytestmark = pytest.mark.django_db
INTERNAL = "Customer's credit is under review; do not expedite."
VISIBLE = "Patching at Aktau is planned for next week."


def _placed(net) -> Order:
    quote = create_quote(
        customer=net.customer, product=net.wl100, path=net.path, term_months=12,
        start_date=START, by="test",
    )  # fmt: skip
    return place_order(quote=quote, by="buyer")


def _history(client, order: Order) -> list[tuple[str, str, str]]:
    body = client.get(f"/api/v1/orders/{order.pk}/").json()
    return [(s["to_state"], s["note"], s["note_visibility"]) for s in body["history"]]


def test_operators_choose_who_reads_a_note_and_the_customer_reads_only_its_own(sales_net):
    noc = key_client(sales_net.azt, Role.OPERATOR_NETWORK)[0]
    buyer = key_client(sales_net.customer)[0]
    order = _placed(sales_net)
    acknowledged = noc.post(
        f"/api/v1/orders/{order.pk}/acknowledge/", {"note": INTERNAL}, format="json"
    )
    assert acknowledged.status_code == 200, acknowledged.content
    provisioned = noc.post(
        f"/api/v1/orders/{order.pk}/provision/",
        {"note": VISIBLE, "note_visibility": "customer"},
        format="json",
    )
    assert provisioned.status_code == 200, provisioned.content
    held = OrderTransition.objects.get(order=order, from_state="").note
    assert held.startswith("capacity held until")

    assert _history(noc, order) == [
        ("submitted", held, "customer"),
        ("acknowledged", INTERNAL, "internal"),  # internal unless said otherwise
        ("in_progress", VISIBLE, "customer"),
    ]
    admin = session_client(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    assert _history(admin, order) == _history(noc, order)
    finance = key_client(sales_net.azt, Role.OPERATOR_FINANCE)[0]
    assert _history(finance, order) == _history(noc, order)

    assert _history(buyer, order) == [
        ("submitted", held, "customer"),
        ("acknowledged", "", "internal"),
        ("in_progress", VISIBLE, "customer"),
    ]
    listed = buyer.get("/api/v1/orders/").json()["results"]
    assert INTERNAL not in str(listed) and VISIBLE in str(listed)
    # The customer's own note (a cancellation's reason) is the customer's to read.
    other = _placed(sales_net)
    cancelled = buyer.post(
        f"/api/v1/orders/{other.pk}/cancel/", {"reason": "Budget moved"}, format="json"
    ).json()
    assert cancelled["history"][-1]["note"] == "Budget moved"
    assert cancelled["history"][-1]["note_visibility"] == "customer"


def test_a_note_visibility_that_is_not_one_is_a_400(sales_net):
    noc = key_client(sales_net.azt, Role.OPERATOR_NETWORK)[0]
    order = _placed(sales_net)
    response = noc.post(
        f"/api/v1/orders/{order.pk}/acknowledge/",
        {"note": VISIBLE, "note_visibility": "everyone"},
        format="json",
    )
    assert response.status_code == 400
    assert "note_visibility" in response.json()["errors"]
    assert Order.objects.get(pk=order.pk).state == OrderState.SUBMITTED


def test_the_portal_shows_the_customer_only_the_notes_written_for_it(sales_net, client):
    order = _placed(sales_net)
    client.force_login(sales_net.noc)
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert 'name="acknowledge-note_visibility" value="internal"' in page
    assert "Visible to the customer" in page
    response = client.post(
        f"/orders/{order.pk}/",
        {"action": "acknowledge", "acknowledge-note": INTERNAL},  # the default: internal
    )
    assert response.status_code == 302
    client.post(
        f"/orders/{order.pk}/",
        {
            "action": "provision",
            "provision-note": VISIBLE,
            "provision-note_visibility": "customer",
        },
    )
    operator_page = client.get(f"/orders/{order.pk}/").content.decode()
    assert INTERNAL.replace("'", "&#x27;") in operator_page and VISIBLE in operator_page
    assert "internal</span>" in operator_page and "visible to the customer</span>" in operator_page

    client.force_login(sales_net.buyer)
    customer_page = client.get(f"/orders/{order.pk}/").content.decode()
    assert VISIBLE in customer_page
    assert "credit is under review" not in customer_page
    assert "internal</span>" not in customer_page


def test_e_mails_carry_only_the_notes_written_for_the_customer(
    sales_net, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order = _placed(sales_net)
    with django_capture_on_commit_callbacks(execute=True):
        acknowledge_order(order=order, by="ops", note=INTERNAL)
    acknowledged = mail.outbox[-1]
    assert acknowledged.subject == f"TCFO order {order.pk} is acknowledged"
    assert "credit is under review" not in acknowledged.body and "Note:" not in acknowledged.body
    with django_capture_on_commit_callbacks(execute=True):
        start_provisioning(
            order=order, by="ops", note=VISIBLE, note_visibility=NoteVisibility.CUSTOMER
        )
    assert f"Note: {VISIBLE}" in mail.outbox[-1].body
    assert all("credit is under review" not in m.body for m in mail.outbox)


def test_the_order_form_pdf_carries_no_internal_note(
    sales_net, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    order = _placed(sales_net)
    acknowledge_order(order=order, by="ops", note=INTERNAL)
    start_provisioning(order=order, by="ops", note=INTERNAL)
    with django_capture_on_commit_callbacks(execute=True):
        service = complete_order(order=order, by="ops", ready_for_service_date=START)
    contract = service.contract
    contract.refresh_from_db()
    text = " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(contract.order_form.read())).pages
    )
    assert service.circuit_id in text and "credit is under review" not in text


def test_existing_notes_become_internal_unless_written_for_the_customer(sales_net):
    """The migration: the system's notes on submission and completion and the reasons of
    rejections, cancellations and failures (the order's reason, which the customer reads
    anyway) are visible; the notes operators wrote on acknowledgement and provisioning stay
    internal."""
    order = _placed(sales_net)
    steps = [
        ("", OrderState.SUBMITTED, "capacity held until ..."),
        (OrderState.SUBMITTED, OrderState.ACKNOWLEDGED, INTERNAL),
        (OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS, "ops detail"),
        (OrderState.IN_PROGRESS, OrderState.COMPLETED, "service ready"),
        (OrderState.SUBMITTED, OrderState.REJECTED, "no fibre"),
        (OrderState.SUBMITTED, OrderState.CANCELLED, "changed our mind"),
        (OrderState.IN_PROGRESS, OrderState.FAILED, "splice failed"),
    ]
    OrderTransition.objects.filter(order=order).delete()
    for from_state, to_state, note in steps:
        OrderTransition.objects.create(
            order=order, from_state=from_state, to_state=to_state, by="old", note=note,
            at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
        )  # fmt: skip
    migration = importlib.import_module("leasing.migrations.0011_order_note_visibility")
    migration.existing_notes(apps, None)
    assert dict(OrderTransition.objects.values_list("note", "note_visibility")) == {
        "capacity held until ...": "customer",
        INTERNAL: "internal",
        "ops detail": "internal",
        "service ready": "customer",
        "no fibre": "customer",
        "changed our mind": "customer",
        "splice failed": "customer",
    }
