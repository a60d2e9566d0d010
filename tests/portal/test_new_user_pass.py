"""What a new user's pass through the portal found (issue 15, i15-n): quotes that cannot be
ordered say so, bounds named as the services apply them, past-tense messages, and the like."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from leasing.services.capacity import allocate_capacity
from leasing.services.orders import (
    acknowledge_order,
    complete_order,
    create_quote,
    end_bounds,
    place_order,
    start_provisioning,
)
from organisations.choices import Role
from tcfo_portal.confirm import CONFIRM_FIELD
from tcfo_portal.formatting import format_date

from ..factories import UserFactory
from ..leasing.conftest import add_sales, build_net

pytestmark = pytest.mark.django_db
START = datetime.date(2027, 1, 1)


@pytest.fixture
def sales():
    return add_sales(build_net())


def _quote(net, start=START, **kwargs):
    terms = {"product": net.wl100, "term_months": 12, "path": net.path, "by": "t"}
    return create_quote(customer=net.customer, start_date=start, **{**terms, **kwargs})


def test_a_quote_whose_capacity_is_gone_says_so_and_offers_no_order(client, sales):
    quote = _quote(sales)
    client.force_login(sales.buyer)
    html = client.get(reverse("quote", args=[quote.pk])).content.decode()
    assert "Order now" in html and "Available: 4 more" in html
    for _ in range(4):  # every channel of the path, sold to someone
        allocate_capacity(
            product=sales.wl100, holder=sales.customer, start_date=START, path=sales.path
        )
    html = client.get(reverse("quote", args=[quote.pk])).content.decode()
    assert "Order now" not in html
    assert "Nothing is free" in html and "cannot be ordered now" in html
    assert "Check availability" in html
    assert f"{reverse('availability')}?product={sales.wl100.code}&amp;path=" in html
    # the service refuses as before
    response = client.post(reverse("quote", args=[quote.pk]), {CONFIRM_FIELD: "yes"})
    assert response.status_code == 409


def _service(net):
    order = place_order(quote=_quote(net), by="t")
    acknowledge_order(order=order, by="t")
    start_provisioning(order=order, by="t")
    return complete_order(order=order, by="t", ready_for_service_date=START)


@pytest.mark.parametrize("renews", [True, False])
def test_the_terminate_help_names_the_bounds_the_service_applies(client, sales, renews):
    service = _service(sales)
    service.contract.auto_renew = renews
    service.contract.save()
    earliest, latest, why, _ = end_bounds(service)
    if renews:  # the sales horizon from today, beyond the contract's end
        assert "days from today" in why and latest > service.contract.end_date
    else:
        assert latest == service.contract.end_date + datetime.timedelta(days=1)
    client.force_login(sales.noc)
    url = reverse("service", args=[service.circuit_id])
    html = client.get(url).content.decode().replace("&#x27;", "'")
    assert "by the contract's end at the latest" not in html
    assert f"{format_date(earliest)} (" in html
    assert f"{format_date(latest)} at the latest ({why})." in html
    # the last day it names is accepted (asked to confirm), the day after refused
    ok = client.post(url, {"action": "terminate", "on": latest.isoformat()})
    assert ok.status_code == 200 and 'name="confirmed" value="yes"' in ok.content.decode()
    late = latest + datetime.timedelta(days=1)
    assert client.post(url, {"action": "terminate", "on": late.isoformat()}).status_code == 400


def test_complete_starts_with_the_day_provisioning_planned(client, sales):
    order = place_order(quote=_quote(sales), by="t")
    acknowledge_order(order=order, by="t")
    start_provisioning(order=order, by="t", ready_for_service_date=START)
    client.force_login(sales.noc)
    response = client.get(reverse("order", args=[order.pk]))
    form = response.context["actions"]["complete"]
    assert form["ready_for_service_date"].value() == START
    assert 'name="complete-ready_for_service_date" value="2027-01-01"' in response.content.decode()


def test_new_quote_is_offered_only_to_those_who_may_ask_for_one(client, sales):
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN)
    client.force_login(admin)
    for name in ("quotes", "catalog"):
        html = client.get(reverse(name)).content.decode()
        assert reverse("quote-new") not in html, name
    assert client.get(reverse("quote-new")).status_code == 403
    client.force_login(sales.buyer)
    for name in ("quotes", "catalog"):
        assert reverse("quote-new") in client.get(reverse(name)).content.decode(), name


BACK = 'name="confirmed" value="no"'


def test_confirmations_offer_go_back_and_change_only_when_there_is_a_form(client, sales):
    quote = _quote(sales)
    client.force_login(sales.buyer)
    page = client.post(reverse("quote", args=[quote.pk])).content.decode()
    assert 'name="confirmed" value="yes"' in page and "Place the order" in page
    assert BACK not in page and "Go back and change" not in page
    assert f'href="{reverse("quote", args=[quote.pk])}">Cancel' in page

    service = _service(sales)
    client.force_login(sales.noc)
    url = reverse("service", args=[service.circuit_id])
    assert BACK not in client.post(url, {"action": "suspend"}).content.decode()
    ends = client.post(url, {"action": "terminate", "on": "2027-03-01"}).content.decode()
    assert BACK in ends and "Go back and change" in ends
