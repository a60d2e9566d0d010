"""Every irreversible or costly action of buyers and network staff is confirmed first
(``tcfo_portal.confirm``): the first POST changes nothing and names what will happen and its
amount; "Go back and change" brings the form back as typed; the confirmed POST acts."""

from __future__ import annotations

import datetime
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from events.models import Event, WebhookSubscription
from events.services.webhooks import create_subscription
from leasing.choices import ServiceStatus
from leasing.models import Maintenance, Order, ServiceTransition
from leasing.services.orders import (
    acknowledge_order,
    complete_order,
    create_quote,
    place_order,
    start_provisioning,
)
from organisations.choices import Role
from organisations.models import ApiKey
from organisations.services import create_api_key

from ..factories import UserFactory
from .conftest import START
from .maintenance_world import add_maintenance_world
from .test_maintenance import _plan

pytestmark = pytest.mark.django_db

CONFIRM_PAGE = 'name="confirmed" value="yes"'


def _quote(net):
    return create_quote(
        customer=net.customer,
        product=net.wl100,
        term_months=12,
        start_date=START,
        path=net.path,
        by="t",
    )


def _service(net):
    order = place_order(quote=_quote(net), by="t")
    acknowledge_order(order=order, by="t")
    start_provisioning(order=order, by="t")
    return complete_order(order=order, by="t", ready_for_service_date=START)


def _hidden(page: str, name: str) -> str | None:
    found = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', page)
    return found.group(1) if found else None


# --- orders ---------------------------------------------------------------------------------------


def test_order_now_names_the_monthly_and_one_off_charges_the_term_and_the_total(client, sales_net):
    net = sales_net
    quote = _quote(net)
    url = reverse("quote", args=[quote.pk])
    client.force_login(net.buyer)
    asked = client.post(url)
    page = asked.content.decode()
    assert asked.status_code == 200 and CONFIRM_PAGE in page
    assert "12,500.00 USD a month" in page  # the amount
    assert "5,000.00 USD" in page  # one-off
    assert "12 months from 1 Dec 2026" in page
    assert "155,000.00 USD" in page  # 12 x 12,500 + 5,000
    assert not Order.objects.exists()

    back = client.post(url, {"confirmed": "no"})
    assert back["Location"] == url and not Order.objects.exists()

    done = client.post(url, {"confirmed": "yes"})
    order = Order.objects.get()
    assert done["Location"] == reverse("order", args=[order.pk])


def test_an_iru_order_names_its_price_and_yearly_o_and_m(client, sales_net):
    net = sales_net
    quote = create_quote(
        customer=net.customer,
        product=net.iru,
        term_months=180,
        start_date=START,
        path=net.path,
        by="t",
    )
    client.force_login(net.buyer)
    page = client.post(reverse("quote", args=[quote.pk])).content.decode()
    assert "1,200,000.01 USD + 48,000.00 USD a year" in page
    assert "1,920,000.01 USD" in page  # the price + 15 years of 4% O&M


def test_cancelling_an_order_is_confirmed_and_going_back_keeps_the_reason(client, sales_net):
    net = sales_net
    order = place_order(quote=_quote(net), by="t")
    url = reverse("order", args=[order.pk])
    client.force_login(net.buyer)
    typed = {"action": "cancel", "cancel-reason": "Budget moved to Q3"}
    asked = client.post(url, typed)
    page = asked.content.decode()
    assert asked.status_code == 200 and CONFIRM_PAGE in page
    assert f"Cancel order {order.pk}?" in page and "12,500.00 USD a month" in page
    assert _hidden(page, "cancel-reason") == "Budget moved to Q3"
    order.refresh_from_db()
    assert order.state == "submitted"

    back = client.post(url, {**typed, "confirmed": "no"})
    assert back.status_code == 200 and CONFIRM_PAGE not in back.content.decode()
    assert "Budget moved to Q3" in back.content.decode()  # the form as typed
    order.refresh_from_db()
    assert order.state == "submitted"

    assert client.post(url, {**typed, "confirmed": "yes"}).status_code == 302
    order.refresh_from_db()
    assert (order.state, order.reason) == ("cancelled", "Budget moved to Q3")


def test_a_step_the_order_no_longer_allows_is_refused_without_asking(client, sales_net):
    net = sales_net
    order = place_order(quote=_quote(net), by="t")
    acknowledge_order(order=order, by="t")
    start_provisioning(order=order, by="t")
    client.force_login(net.buyer)
    refused = client.post(
        reverse("order", args=[order.pk]), {"action": "cancel", "cancel-reason": "x"}
    )
    assert refused.status_code == 409 and CONFIRM_PAGE not in refused.content.decode()


# --- services -------------------------------------------------------------------------------------


def test_suspend_and_resume_are_confirmed(client, sales_net):
    net = sales_net
    service = _service(net)
    url = reverse("service", args=[service.circuit_id])
    client.force_login(net.noc)
    page = client.post(url, {"action": "suspend"}).content.decode()
    assert CONFIRM_PAGE in page and f"Suspend {service.circuit_id}?" in page
    assert "its contract keeps billing" in page and "Monthly charge" in page
    service.refresh_from_db()
    assert service.status == ServiceStatus.ACTIVE
    assert client.post(url, {"action": "suspend", "confirmed": "no"}).status_code == 200
    service.refresh_from_db()
    assert service.status == ServiceStatus.ACTIVE
    assert client.post(url, {"action": "suspend", "confirmed": "yes"}).status_code == 302
    service.refresh_from_db()
    assert service.status == ServiceStatus.SUSPENDED

    page = client.post(url, {"action": "resume"}).content.decode()
    assert CONFIRM_PAGE in page and f"Resume {service.circuit_id}?" in page
    assert client.post(url, {"action": "resume", "confirmed": "yes"}).status_code == 302
    service.refresh_from_db()
    assert service.status == ServiceStatus.ACTIVE


def test_terminate_names_the_day_and_what_remains_billable(client, sales_net):
    net = sales_net
    service = _service(net)  # from 1 Dec 2026, 12 months: its contract's last day 30 Nov 2027
    url = reverse("service", args=[service.circuit_id])
    client.force_login(net.noc)
    typed = {"action": "terminate", "on": "2027-03-01"}
    page = client.post(url, typed).content.decode()
    assert CONFIRM_PAGE in page and f"End {service.circuit_id} on 1 Mar 2027?" in page
    assert "Last day of service" in page and "28 Feb 2027" in page
    # billed from this month (Nov 2026, before the activation: nothing) to February: 3 months
    assert "37,500.00 USD still billable" in page
    service.refresh_from_db()
    assert service.terminated_on is None

    back = client.post(url, {**typed, "confirmed": "no"}).content.decode()
    assert 'value="2027-03-01"' in back and CONFIRM_PAGE not in back

    assert client.post(url, {**typed, "confirmed": "yes"}).status_code == 302
    service.refresh_from_db()
    assert service.terminated_on == datetime.date(2027, 3, 1)
    assert service.allocation.spectrum.first().valid_to == datetime.date(2027, 3, 1)


@pytest.mark.parametrize(
    ("on", "message"),
    [
        ("9999-12-31", "Give 1 Dec 2027, the day after its contract&#x27;s last day"),
        ("2026-11-01", "Give a date after 1 Dec 2026."),
    ],
)
def test_an_end_out_of_bounds_is_refused_naming_the_bound_before_asking(
    client, sales_net, on, message
):
    net = sales_net
    service = _service(net)
    service.contract.auto_renew = False
    service.contract.save()
    client.force_login(net.noc)
    refused = client.post(
        reverse("service", args=[service.circuit_id]), {"action": "terminate", "on": on}
    )
    page = refused.content.decode()
    assert refused.status_code == 400 and CONFIRM_PAGE not in page
    assert message in page
    service.refresh_from_db()
    assert service.terminated_on is None


def _ended_iru(net):
    """An IRU (not renewing) whose term ended a month ago and that still runs."""
    from leasing.models import CapacityAllocation, Contract, Service
    from leasing.services.capacity import RESERVATION_MODELS

    service = _service(net)
    today = timezone.localdate()
    began, ended = today - datetime.timedelta(days=400), today - datetime.timedelta(days=30)
    Contract.objects.filter(pk=service.contract.pk).update(
        auto_renew=False, start_date=began, end_date=ended
    )
    Service.objects.filter(pk=service.pk).update(activated_on=began)
    CapacityAllocation.objects.filter(pk=service.allocation_id).update(valid_from=began)
    for model in RESERVATION_MODELS:
        model.objects.filter(allocation=service.allocation_id).update(valid_from=began)
    return Service.objects.get(pk=service.pk)


def _billing_today(service):
    zone = zoneinfo.ZoneInfo(service.order.billing_party.time_zone)
    return timezone.now().astimezone(zone).date()


def test_an_ended_iru_is_terminated_today_and_no_later_in_the_portal(client, sales_net):
    net = sales_net
    service = _ended_iru(net)
    today = _billing_today(service)
    url = reverse("service", args=[service.circuit_id])
    client.force_login(net.noc)
    later = client.post(url, {"action": "terminate", "on": str(today + datetime.timedelta(1))})
    assert later.status_code == 400 and "its contract ended on" in later.content.decode()
    typed = {"action": "terminate", "on": str(today)}
    assert CONFIRM_PAGE in client.post(url, typed).content.decode()
    assert client.post(url, {**typed, "confirmed": "yes"}).status_code == 302
    service.refresh_from_db()
    assert (service.status, service.terminated_on) == (ServiceStatus.TERMINATED, today)
    assert service.allocation.spectrum.first().valid_to == today


def test_an_ended_iru_is_terminated_today_through_the_api(sales_net):
    from ..conftest import key_client

    net = sales_net
    service = _ended_iru(net)
    today = _billing_today(service)
    noc, _ = key_client(net.azt, Role.OPERATOR_NETWORK)
    url = f"/api/v1/services/{service.circuit_id}/terminate/"
    later = noc.post(url, {"on": str(today + datetime.timedelta(1))}, format="json")
    assert later.status_code == 400
    ended = noc.post(url, {"on": str(today)}, format="json")
    assert ended.status_code == 200, ended.content
    assert (ended.json()["status"], ended.json()["terminated_on"]) == ("terminated", str(today))


def test_a_renewing_contract_ends_within_the_sales_horizon(sales_net, settings):
    from leasing.services.orders import latest_end

    service = _service(sales_net)
    today = timezone.localdate()
    day, why = latest_end(service)
    assert service.contract.auto_renew
    assert day >= today + datetime.timedelta(days=settings.TCFO_SALES_HORIZON_DAYS - 1)
    assert "days from today" in why


def test_a_scheduled_end_is_moved_and_withdrawn_until_it_comes(client, sales_net):
    net = sales_net
    service = _service(net)
    url = reverse("service", args=[service.circuit_id])
    client.force_login(net.noc)
    client.post(url, {"action": "terminate", "on": "2027-06-01", "confirmed": "yes"})
    page = client.get(url).content.decode()
    assert 'value="change_end"' in page and 'value="terminate"' not in page
    assert 'name="on" value="2027-06-01"' in page  # the form starts from the end set

    moved = {"action": "change_end", "on": "2027-04-01"}
    asked = client.post(url, moved).content.decode()
    assert CONFIRM_PAGE in asked
    assert f"Move the end of {service.circuit_id} to 1 Apr 2027?" in asked
    assert client.post(url, {**moved, "confirmed": "yes"}).status_code == 302
    service.refresh_from_db()
    assert service.terminated_on == datetime.date(2027, 4, 1)
    assert service.allocation.spectrum.first().valid_to == datetime.date(2027, 4, 1)

    withdrawn = {"action": "change_end", "on": ""}
    asked = client.post(url, withdrawn).content.decode()
    assert f"Withdraw the end of {service.circuit_id}?" in asked
    assert client.post(url, {**withdrawn, "confirmed": "yes"}).status_code == 302
    service.refresh_from_db()
    assert service.terminated_on is None and service.status == ServiceStatus.ACTIVE
    assert service.allocation.spectrum.first().valid_to is None
    assert 'value="terminate"' in client.get(url).content.decode()

    steps = ServiceTransition.objects.filter(service=service, action="change_end")
    assert [(s.by, s.effective_on, s.note) for s in steps] == [
        (net.noc.username, datetime.date(2027, 4, 1), "End moved from 1 Jun 2027 to 1 Apr 2027."),
        (net.noc.username, None, "End withdrawn (was 1 Apr 2027): the service runs on."),
    ]
    told = Event.objects.filter(type="service.end_changed").order_by("pk")
    assert [e.data["terminated_on"] for e in told] == ["2027-04-01", None]


def test_an_end_cannot_move_later_once_the_capacity_is_sold_again(sales_net):
    from leasing.exceptions import CapacityUnavailable
    from leasing.services.orders import change_service_end, terminate_service

    net = sales_net
    service = _service(net)
    terminate_service(service=service, on=datetime.date(2027, 3, 1), actor=net.noc)
    # Another customer buys the same slots from the day they are free.
    sold = create_quote(
        customer=net.other_customer,
        product=net.wl100,
        term_months=12,
        start_date=datetime.date(2027, 3, 1),
        path=net.path,
        by="t",
    )
    held = place_order(quote=sold, by="t")
    assert held.allocation.spectrum.first().start == service.allocation.spectrum.first().start
    with pytest.raises(CapacityUnavailable, match="sold again from 1 Mar 2027") as refused:
        change_service_end(service=service, on=None, actor=net.noc)
    assert refused.value.errors == {"on": [refused.value.detail]}
    with pytest.raises(CapacityUnavailable):
        change_service_end(service=service, on=datetime.date(2027, 5, 1), actor=net.noc)
    moved = change_service_end(service=service, on=datetime.date(2027, 2, 1), actor=net.noc)
    assert moved.terminated_on == datetime.date(2027, 2, 1)


def test_an_end_that_has_come_no_longer_changes_and_customers_change_none(sales_net):
    from leasing.exceptions import NotPermitted
    from leasing.services.orders import change_service_end, terminate_service
    from tcfo_portal.exceptions import InvalidTransition

    net = sales_net
    service = _service(net)
    with pytest.raises(InvalidTransition, match="no end date to change"):
        change_service_end(service=service, on=None, actor=net.noc)
    terminate_service(service=service, on=datetime.date(2027, 3, 1), actor=net.noc)
    with pytest.raises(NotPermitted):
        change_service_end(service=service, on=None, actor=net.buyer)
    # The day comes (the closing task has not run yet): it stands.
    service.refresh_from_db()
    with pytest.MonkeyPatch.context() as patch:
        moment = datetime.datetime(2027, 3, 1, 12, tzinfo=datetime.UTC)
        patch.setattr(timezone, "now", lambda: moment)
        with pytest.raises(InvalidTransition, match="its end can no longer change"):
            change_service_end(service=service, on=None, actor=net.noc)


# --- API keys, webhooks, maintenance --------------------------------------------------------------


def test_revoking_a_key_is_confirmed(client, customer_admin):
    api_key, _ = create_api_key(organisation=customer_admin.organisation, name="billing robot")
    url = reverse("api-key-revoke", args=[api_key.prefix])
    client.force_login(customer_admin)
    page = client.post(url).content.decode()
    assert CONFIRM_PAGE in page and "Revoke the key “billing robot”?" in page
    assert not ApiKey.objects.get(pk=api_key.pk).revoked
    assert client.post(url, {"confirmed": "no"})["Location"] == reverse("api-keys")
    assert not ApiKey.objects.get(pk=api_key.pk).revoked
    client.post(url, {"confirmed": "yes"})
    assert ApiKey.objects.get(pk=api_key.pk).revoked


def test_rotating_and_deleting_a_webhook_are_confirmed(client, customer_admin):
    subscription, secret = create_subscription(
        actor=customer_admin, url="https://hooks.example.com/in"
    )
    url = reverse("webhook", args=[subscription.pk])
    client.force_login(customer_admin)
    page = client.post(url, {"action": "rotate"}).content.decode()
    assert CONFIRM_PAGE in page and "keeps signing too for 24 hours" in page
    subscription.refresh_from_db()
    assert subscription.secret == secret
    client.post(url, {"action": "rotate", "confirmed": "yes"})
    subscription.refresh_from_db()
    assert subscription.secret != secret

    page = client.post(url, {"action": "delete"}).content.decode()
    assert CONFIRM_PAGE in page and "Delete the webhook to https://hooks.example.com/in?" in page
    assert client.post(url, {"action": "delete", "confirmed": "no"})["Location"] == url
    assert WebhookSubscription.objects.exists()
    client.post(url, {"action": "delete", "confirmed": "yes"})
    assert not WebhookSubscription.objects.exists()


def test_cancelling_maintenance_is_confirmed_and_going_back_keeps_the_reason(client, sales_net):
    world = add_maintenance_world(sales_net)
    maintenance = _plan(world)
    url = reverse("maintenance-cancel", args=[maintenance.pk])
    client.force_login(world.noc)
    typed = {"reason": "The ship is delayed"}
    page = client.post(url, typed).content.decode()
    assert CONFIRM_PAGE in page and f"Cancel maintenance {maintenance.reference}?" in page
    assert "Services affected" in page
    assert Maintenance.objects.get(pk=maintenance.pk).status == "scheduled"
    back = client.post(url, {**typed, "confirmed": "no"}).content.decode()
    assert "The ship is delayed" in back and CONFIRM_PAGE not in back
    client.post(url, {**typed, "confirmed": "yes"})
    assert Maintenance.objects.get(pk=maintenance.pk).status == "cancelled"


def test_platform_admins_see_no_customer_only_confirmation(client, sales_net):
    """A sanity check of the harness: the operator's role is refused before any question."""
    admin_like = UserFactory(organisation=sales_net.customer, role=Role.CUSTOMER_MEMBER)
    service = _service(sales_net)
    client.force_login(admin_like)
    refused = client.post(
        reverse("service", args=[service.circuit_id]), {"action": "terminate", "on": "2027-03-01"}
    )
    assert refused.status_code == 403 and CONFIRM_PAGE not in refused.content.decode()


def test_the_api_moves_and_withdraws_an_end_through_the_same_service(sales_net):
    from ..conftest import key_client

    net = sales_net
    service = _service(net)
    noc, api_key = key_client(net.azt, Role.OPERATOR_NETWORK)
    url = f"/api/v1/services/{service.circuit_id}/"
    far = noc.post(url + "terminate/", {"on": "9999-12-31"}, format="json")
    assert far.status_code == 400 and "or an earlier date" in far.json()["errors"]["on"][0]
    assert noc.post(url + "terminate/", {"on": "2027-06-01"}, format="json").status_code == 200
    moved = noc.post(url + "change-end/", {"on": "2027-04-01"}, format="json")
    assert moved.status_code == 200 and moved.json()["terminated_on"] == "2027-04-01"
    withdrawn = noc.post(url + "change-end/", {"on": None}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["terminated_on"] is None
    again = noc.post(url + "change-end/", {"on": None}, format="json")
    assert again.status_code == 409
    step = ServiceTransition.objects.filter(service=service, action="change_end").last()
    assert step.by == f"API key {api_key.prefix} ({net.azt.name})"
