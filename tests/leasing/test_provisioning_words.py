"""Provisioning in words network staff read: a place the capacity cannot take names the places
it can; "Proposed automatically" only while the proposal is untouched; what is held is said
as it is ("port 1 of the pool", "12.5 GHz slots 6 to 9")."""

import pytest
from django.urls import reverse

from leasing.services.orders import (
    acknowledge_order,
    complete_order,
    create_quote,
    place_order,
    start_provisioning,
)

from .conftest import START

pytestmark = pytest.mark.django_db


def _order(net, **terms):
    terms = terms or {"product": net.wl100, "path": net.path}
    quote = create_quote(customer=net.customer, term_months=12, start_date=START, by="t", **terms)
    return place_order(quote=quote, by="t")


def _provision(client, order, start):
    return client.post(
        reverse("order", args=[order.pk]), {"action": "provision", "provision-start": start}
    )


@pytest.mark.parametrize("start", ["-101", "3", "14"])
def test_a_place_off_the_band_or_grid_names_the_places_there_are(client, sales_net, start):
    net = sales_net
    order = _order(net)
    acknowledge_order(order=order, by="t")
    client.force_login(net.noc)
    response = _provision(client, order, start)
    assert response.status_code == 409
    page = response.content.decode()
    assert (
        f"{start} is not a start this capacity can take: it starts at a 12.5 GHz slot "
        "(0 = 193.1 THz) -2, 2, 6 or 10."
    ) in page
    assert "is not free on every hop" not in page
    order.refresh_from_db()
    assert order.state == "acknowledged"


def test_a_taken_place_names_the_free_ones(client, sales_net):
    net = sales_net
    _order(net)  # holds slots -2..1, the lowest
    order = _order(net)  # proposed at 2..5: free again while it moves
    acknowledge_order(order=order, by="t")
    client.force_login(net.noc)
    response = _provision(client, order, "-2")
    assert response.status_code == 409
    assert "12.5 GHz slot -2 is taken on some hop; free starts: 2, 6 or 10." in (
        response.content.decode()
    )


def test_proposed_automatically_only_while_the_proposal_is_untouched(client, sales_net):
    net = sales_net
    order = _order(net)
    client.force_login(net.noc)
    url = reverse("order", args=[order.pk])
    page = client.get(url).content.decode()
    assert "Proposed automatically" in page
    assert "12.5 GHz slots -2 to 1: " in page

    acknowledge_order(order=order, by="t")
    assert _provision(client, order, "6").status_code == 302
    page = client.get(url).content.decode()
    assert "Proposed automatically" not in page
    assert "Placed by network staff." in page
    assert "12.5 GHz slots 6 to 9" in page

    complete_order(order=order, by="t", ready_for_service_date=START)
    page = client.get(url).content.decode()
    assert "Proposed automatically" not in page


def test_completion_of_an_untouched_proposal_is_no_longer_a_proposal(client, sales_net):
    net = sales_net
    order = _order(net)
    acknowledge_order(order=order, by="t")
    start_provisioning(order=order, by="t")
    complete_order(order=order, by="t", ready_for_service_date=START)
    client.force_login(net.noc)
    page = client.get(reverse("order", args=[order.pk])).content.decode()
    assert "Proposed automatically" not in page and "Placed by network staff" not in page


def test_ports_read_as_ports(client, sales_net):
    net = sales_net
    order = _order(net, product=net.ipt10, site=net.bak, commit_mbps=1000)
    client.force_login(net.noc)
    page = client.get(reverse("order", args=[order.pk])).content.decode()
    assert "port 1 of the pool" in page
    assert "from 1 to 2" not in page
    acknowledge_order(order=order, by="t")
    response = _provision(client, order, "5")
    assert response.status_code == 409
    assert "it starts at a port (0 = port 1) 0 or 1." in response.content.decode()
