"""A customer holds capacity with at most ``TCFO_MAX_HOLDS_PER_CUSTOMER`` submitted orders at
once: one more is a 409 with the reason (API) or a message (portal), also when many are sent at
the same instant."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from leasing.choices import OrderState
from leasing.models import CapacityAllocation, Order, Price
from leasing.services.orders import (
    acknowledge_order,
    cancel_order,
    create_quote,
    holding_orders,
    place_order,
)

from ..conftest import key_client
from ..factories import CustomerFactory
from ..served import all_at_once, post_json
from .conftest import START

pytestmark = pytest.mark.django_db
QUOTE = {"product": "WL100", "path": "BAK-AKT", "term_months": 12, "start_date": str(START)}


def _order(client) -> tuple[int, dict]:
    quote = client.post("/api/v1/quotes/", QUOTE, format="json").json()["id"]
    response = client.post("/api/v1/orders/", {"quote": quote}, format="json")
    return response.status_code, response.json()


def test_one_order_more_than_the_limit_is_a_409_with_the_reason(sales_net, settings):
    settings.TCFO_MAX_HOLDS_PER_CUSTOMER = 2
    buyer = key_client(sales_net.customer)[0]
    first, second = (_order(buyer) for _ in range(2))
    assert first[0] == second[0] == 201
    status, body = _order(buyer)  # two of the four channels are still free
    assert status == 409
    assert body["type"] == "hold_limit_reached"
    assert body["detail"] == (
        "Buyer already holds capacity with 2 submitted orders, the most allowed at once (2). "
        "Cancel one, or wait until an operator acknowledges one, then order again."
    )
    assert body["errors"] == {"quote": ["At most 2 submitted orders may hold capacity at once."]}
    assert Order.objects.filter(customer=sales_net.customer).count() == 2

    # The limit is the customer's own: another customer orders.
    assert _order(key_client(sales_net.other_customer)[0])[0] == 201

    # An acknowledged order holds by an operator's decision: it no longer counts.
    acknowledge_order(order=Order.objects.get(pk=first[1]["id"]), by="noc")
    assert _order(buyer)[0] == 201
    assert _order(buyer)[0] == 409


def test_cancelled_and_lapsed_holds_do_not_count(sales_net, settings):
    settings.TCFO_MAX_HOLDS_PER_CUSTOMER = 1
    customer = sales_net.customer

    def quote():
        return create_quote(
            customer=customer, product=sales_net.wl100, path=sales_net.path, term_months=12,
            start_date=START, by="test",
        )  # fmt: skip

    order = place_order(quote=quote(), by="test")
    assert list(holding_orders(customer)) == [order]
    cancel_order(order=order, by="test")
    lapsing = place_order(quote=quote(), by="test")
    CapacityAllocation.objects.filter(pk=lapsing.allocation_id).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert not holding_orders(customer).exists()  # still submitted, but holds nothing
    assert place_order(quote=quote(), by="test").state == OrderState.SUBMITTED


def test_no_limit_when_it_is_0(sales_net, settings):
    settings.TCFO_MAX_HOLDS_PER_CUSTOMER = 0
    buyer = key_client(sales_net.customer)[0]
    assert [_order(buyer)[0] for _ in range(4)] == [201] * 4


def test_the_portal_says_why_the_order_was_refused(sales_net, settings, client):
    settings.TCFO_MAX_HOLDS_PER_CUSTOMER = 1
    client.force_login(sales_net.buyer)
    quotes = [
        create_quote(
            customer=sales_net.customer, product=sales_net.wl100, path=sales_net.path,
            term_months=12, start_date=START, by="test",
        )
        for _ in range(2)
    ]  # fmt: skip
    assert client.post(f"/orders/quotes/{quotes[0].pk}/", {"confirmed": "yes"}).status_code == 302
    refused = client.post(f"/orders/quotes/{quotes[1].pk}/", {"confirmed": "yes"})
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "already holds capacity with 1 submitted orders, the most allowed at once (1)" in html
    assert not Order.objects.filter(quote=quotes[1]).exists()


ORDERS = 12


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_orders_of_one_customer_never_pass_the_limit_together(
    live_server, net, settings
):
    """Twelve orders of one customer at the same instant, with room for 40 ports: exactly the
    limit's worth succeed, the others are refused for the limit."""
    settings.TCFO_MAX_HOLDS_PER_CUSTOMER = 3
    net.pool.ports = 40
    net.pool.save()
    Price.objects.create(
        product=net.ipt10, site=net.bak, term_months=12, valid_from=datetime.date(2026, 1, 1),
        currency="USD", commit_price_per_mbps=Decimal("0.45"), burst_price_per_mbps=Decimal("0.60"),
    )  # fmt: skip
    customer = CustomerFactory()
    client, _ = key_client(customer)
    secret = client._credentials["HTTP_AUTHORIZATION"].removeprefix("Api-Key ")
    quotes = [
        create_quote(
            customer=customer, product=net.ipt10, site=net.bak, commit_mbps=100,
            term_months=12, start_date=START, by="test",
        ).pk
        for _ in range(ORDERS)
    ]  # fmt: skip

    def order(quote_id: int) -> tuple[int, dict]:
        return post_json(f"{live_server.url}/api/v1/orders/", secret, {"quote": quote_id})

    results = all_at_once(order, quotes)

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 3 + [409] * (ORDERS - 3), results
    assert {body["type"] for status, body in results if status == 409} == {"hold_limit_reached"}
    assert holding_orders(customer).count() == Order.objects.filter(customer=customer).count() == 3
