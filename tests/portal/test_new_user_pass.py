"""What a new user's pass through the portal found (issue 15, i15-n): quotes that cannot be
ordered say so, bounds named as the services apply them, past-tense messages, and the like."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from leasing.services.capacity import allocate_capacity
from leasing.services.orders import create_quote
from organisations.choices import Role
from tcfo_portal.confirm import CONFIRM_FIELD

from ..factories import UserFactory
from ..leasing.conftest import add_sales, build_net

pytestmark = pytest.mark.django_db
START = datetime.date(2027, 1, 1)


@pytest.fixture
def sales():
    net = add_sales(build_net())
    net.buyer = UserFactory(organisation=net.customer, role=Role.CUSTOMER_ADMIN)
    return net


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
