"""Portal pages of the sale: a customer quotes and orders, the operators work the queue."""

import pytest
from django.urls import reverse

from leasing.models import Order, Quote
from leasing.services.orders import (
    acknowledge_order,
    complete_order,
    create_quote,
    place_order,
    start_provisioning,
)

from ..isolation import assert_page_isolated
from .conftest import START

pytestmark = pytest.mark.django_db


def _order(net, customer=None):
    quote = create_quote(
        customer=customer or net.customer,
        product=net.wl100,
        term_months=12,
        start_date=START,
        path=net.path,
        by="t",
    )
    return place_order(quote=quote, by="t")


def test_a_customer_asks_for_a_quote_and_orders_it(client, sales_net):
    client.force_login(sales_net.buyer)
    response = client.post(
        reverse("quote-new"),
        {"product": "WL100", "path": "BAK-AKT", "term_months": "12", "start_date": "2026-12-01"},
    )
    quote = Quote.objects.get()
    assert response["Location"] == reverse("quote", args=[quote.pk])
    page = client.get(response["Location"]).content.decode()
    assert "12,500.00 USD" in page and "Order now" in page

    response = client.post(reverse("quote", args=[quote.pk]), {"confirmed": "yes"})
    order = Order.objects.get()
    assert response["Location"] == reverse("order", args=[order.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Submitted" in page
    assert 'value="cancel"' in page
    assert 'value="acknowledge"' not in page


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"product": "WL100", "term_months": "12", "start_date": "2026-12-01"}, "sold on a path"),
        (
            {
                "product": "WL100",
                "path": "BAK-AKT",
                "term_months": "36",
                "start_date": "2026-12-01",
            },
            "no 36-month price",
        ),
        (
            {"product": "WL100", "path": "BAK-AKT", "term_months": "7", "start_date": "2026-12-01"},
            "Select a valid choice",
        ),
        (
            {
                "product": "WL100",
                "path": "BAK-AKT",
                "term_months": "12",
                "start_date": "2020-01-01",
            },
            "in the past",
        ),
    ],
)
def test_a_bad_quote_request_is_a_400_with_the_reason(client, sales_net, body, message):
    client.force_login(sales_net.buyer)
    response = client.post(reverse("quote-new"), body)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Quote.objects.exists()


def test_ordering_the_last_unit_gone_says_so(client, sales_net):
    net = sales_net
    for _ in range(4):
        _order(net, net.other_customer)
    quote = create_quote(
        customer=net.customer,
        product=net.wl100,
        term_months=12,
        start_date=START,
        path=net.path,
        by="t",
    )
    client.force_login(net.buyer)
    response = client.post(reverse("quote", args=[quote.pk]), {"confirmed": "yes"})
    assert response.status_code == 409
    assert "No WL100 capacity is free" in response.content.decode()


def test_network_staff_work_the_queue_to_completion(
    client, sales_net, django_capture_on_commit_callbacks
):
    net = sales_net
    order = _order(net)
    client.force_login(net.noc)
    queue = client.get(reverse("orders")).content.decode()
    assert f"Order {order.pk}" in queue and "Buyer" in queue
    url = reverse("order", args=[order.pk])
    assert client.post(url, {"action": "acknowledge"}).status_code == 302
    assert client.post(url, {"action": "provision", "provision-start": "6"}).status_code == 302
    bad = client.post(url, {"action": "complete", "complete-ready_for_service_date": "soon"})
    assert bad.status_code == 400
    complete = {"action": "complete", "complete-ready_for_service_date": "2026-12-10"}
    asked = client.post(url, complete).content.decode()
    assert 'name="confirmed" value="yes"' in asked and "in service from 10 Dec 2026" in asked
    assert "a month from 10 Dec 2026" in asked
    order.refresh_from_db()
    assert order.state == "in_progress"
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**complete, "confirmed": "yes"})
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.state == "completed"
    service = order.service
    assert service.allocation.spectrum.first().start == 6
    page = client.get(reverse("service", args=[service.circuit_id])).content.decode()
    assert service.circuit_id in page and "Terminate" in page

    client.force_login(net.buyer)
    contract = service.contract
    pdf = client.get(reverse("contract-pdf", args=[contract.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Disposition"].startswith("attachment")
    assert client.get(reverse("contracts")).content.decode().count(service.circuit_id) == 1


def test_an_illegal_step_in_the_portal_is_a_409_with_the_reason(client, sales_net):
    net = sales_net
    order = _order(net)
    client.force_login(net.noc)
    response = client.post(
        reverse("order", args=[order.pk]),
        {"action": "complete", "complete-ready_for_service_date": "2026-12-10"},
    )
    assert response.status_code == 409
    assert "cannot become completed" in response.content.decode()


def test_customers_cannot_take_operator_actions_in_the_portal(client, sales_net):
    net = sales_net
    order = _order(net)
    client.force_login(net.buyer)
    response = client.post(reverse("order", args=[order.pk]), {"action": "acknowledge"})
    assert response.status_code == 403
    order.refresh_from_db()
    assert order.state == "submitted"


def test_another_customer_cannot_reach_any_page_of_a_sale(
    client, sales_net, django_capture_on_commit_callbacks
):
    net = sales_net
    order = _order(net)
    acknowledge_order(order=order, by="t")
    start_provisioning(order=order, by="t")
    with django_capture_on_commit_callbacks(execute=True):
        service = complete_order(order=order, by="t", ready_for_service_date=START)
    client.force_login(net.rival_user)
    for listing in ("orders", "services", "contracts"):
        assert (
            service.circuit_id
            not in client.get(reverse(listing), {"state": "all"}).content.decode()
        )
    assert_page_isolated(
        client,
        obj=order.quote,
        urls=[reverse("quote", args=[order.quote.pk])],
        post_urls=[reverse("quote", args=[order.quote.pk])],
    )
    assert_page_isolated(
        client,
        obj=order,
        urls=[reverse("order", args=[order.pk])],
        post_urls=[reverse("order", args=[order.pk])],
    )
    assert_page_isolated(
        client,
        obj=service,
        urls=[reverse("service", args=[service.circuit_id])],
        post_urls=[reverse("service", args=[service.circuit_id])],
    )
    contract = service.contract
    assert_page_isolated(
        client,
        obj=contract,
        urls=[reverse("contract", args=[contract.pk]), reverse("contract-pdf", args=[contract.pk])],
    )
