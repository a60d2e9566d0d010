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


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_each_step_says_what_it_did_in_the_past_tense(client, sales):
    order = place_order(quote=_quote(sales), by="t")
    url = reverse("order", args=[order.pk])
    client.force_login(sales.noc)
    said = _messages(client.post(url, {"action": "acknowledge"}, follow=True))
    assert said == [f"Order {order.pk} acknowledged."]
    said = _messages(client.post(url, {"action": "provision"}, follow=True))
    assert said == [f"Order {order.pk} is being provisioned."]
    done = client.post(
        url,
        {
            "action": "complete",
            "complete-ready_for_service_date": "2027-01-01",
            CONFIRM_FIELD: "yes",
        },
        follow=True,
    )
    order.refresh_from_db()
    circuit = order.service.circuit_id
    assert _messages(done) == [
        f"Order {order.pk} completed: service {circuit} in service from 1 Jan 2027."
    ]
    service_url = reverse("service", args=[circuit])
    steps = [
        ({"action": "suspend"}, f"Service {circuit} suspended."),
        ({"action": "resume"}, f"Service {circuit} resumed."),
        ({"action": "terminate", "on": "2027-03-01"}, f"Service {circuit} ends on 1 Mar 2027."),
        (
            {"action": "change_end", "on": "2027-04-01"},
            f"Service {circuit} now ends on 1 Apr 2027.",
        ),
        ({"action": "change_end", "on": ""}, f"Service {circuit} no longer ends: it runs on."),
    ]
    for data, message in steps:
        response = client.post(service_url, {**data, CONFIRM_FIELD: "yes"}, follow=True)
        assert _messages(response) == [message], data
    for response in (done,):
        assert "done." not in response.content.decode()


def test_a_customer_cancelling_is_not_told_the_customer_reads_it(client, sales):
    order = place_order(quote=_quote(sales), by="t")
    client.force_login(sales.buyer)
    url = reverse("order", args=[order.pk])
    page = client.get(url).content.decode()
    assert "The customer reads it." not in page and "the operators read it" in page
    said = client.post(
        url, {"action": "cancel", "cancel-reason": "No", CONFIRM_FIELD: "yes"}, follow=True
    )
    assert _messages(said) == [f"Order {order.pk} cancelled; its capacity is free again."]
    other = place_order(quote=_quote(sales, start=START + datetime.timedelta(days=1)), by="t")
    client.force_login(sales.noc)
    assert (
        "The customer reads it." in client.get(reverse("order", args=[other.pk])).content.decode()
    )


def test_drafts_are_named_by_their_number(client, sales):
    from billing.models import Invoice

    draft = Invoice.objects.create(
        billing_party=sales.azt, customer=sales.customer, period="2026-10", currency="USD"
    )
    finance = UserFactory(organisation=sales.azt, role=Role.OPERATOR_FINANCE)
    client.force_login(finance)
    page = client.get(reverse("invoice", args=[draft.pk])).content.decode()
    assert f"<h1>Draft {draft.pk}</h1>" in page and "Draft invoice" not in page
    listing = client.get(reverse("invoices")).content.decode()
    assert f'{reverse("invoice", args=[draft.pk])}">Draft {draft.pk}</a>' in listing


def test_the_time_zone_list_offers_canonical_zones_the_region_first(client, customer_admin):
    import re

    client.force_login(customer_admin)
    page = client.get(reverse("settings")).content.decode()
    select = page[page.index('name="time_zone"') : page.index("</select>")]
    offered = re.findall(r'<option value="([^"]*)"', select)
    assert offered[:5] == ["", "Asia/Baku", "Asia/Almaty", "Asia/Aqtau", "Asia/Atyrau"]
    assert "UTC" in offered[:12] and "Europe/London" in offered
    for alias in ("Africa/Asmera", "America/Argentina/ComodRivadavia", "US/Eastern", "GMT"):
        assert alias not in offered
    assert len(offered) < 450 and len(offered) == len(set(offered))
    # an alias saved earlier is still shown as chosen and accepted
    customer_admin.time_zone = "Asia/Calcutta"
    customer_admin.save()
    page = client.get(reverse("settings")).content.decode()
    assert '<option value="Asia/Calcutta" selected>' in page
    assert client.post(reverse("settings"), {"time_zone": "Asia/Calcutta"}).status_code == 302
    assert client.post(reverse("settings"), {"time_zone": "Mars/Olympus"}).status_code == 400


def test_filters_read_yes_no_proper_labels_and_the_organisations_roles(client, sales):
    client.force_login(sales.buyer)
    quotes = client.get(reverse("quotes"))
    ordered = quotes.context["list"].form["ordered"]
    assert list(ordered.field.choices) == [("", "Any"), ("true", "Yes"), ("false", "No")]
    assert client.get(reverse("quotes"), {"ordered": "false"}).status_code == 200

    keys = client.get(reverse("api-keys"))
    form = keys.context["list"].form
    assert [label for _, label in form.fields["revoked"].choices] == ["Any", "Yes", "No"]
    roles = [value for value, _ in form.fields["role"].choices]
    assert roles == ["", Role.CUSTOMER_ADMIN, Role.CUSTOMER_MEMBER]
    assert client.get(reverse("api-keys"), {"role": Role.OPERATOR_FINANCE}).status_code == 400

    tickets = client.get(reverse("tickets")).context["list"].form
    assert tickets.fields["created_after"].label == "Created after"
    html = client.get(reverse("tickets")).content.decode()
    assert "is greater than or equal to" not in html and "is less than" not in html
