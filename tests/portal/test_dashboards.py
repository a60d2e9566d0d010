"""Dashboards per role (issue 15): what to act on, each count or sum matching the data and linking
to the list behind it with the list's FilterSet parameters; an empty state for each block."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from html import escape

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from billing.choices import LateKind
from billing.models import Invoice, LateAdjustment, UsageEvent
from billing.periods import local_date
from billing.services.balances import balance_of
from billing.services.drafts import add_manual_line
from billing.services.usage import ingest
from leasing.models import Contract
from leasing.services.orders import create_quote, place_order
from leasing.services.outages import record_outage
from leasing.services.tickets import open_ticket
from organisations.choices import Role
from organisations.models import OutgoingEmail
from organisations.security import current_lockouts
from tcfo_portal.formatting import format_money

from ..billing.conftest import OCT_BAKU, issued_october, october, usage
from ..factories import UserFactory
from ..leasing.conftest import net, sales_net

__all__ = ["issued_october", "net", "october", "sales_net", "usage"]

pytestmark = pytest.mark.django_db


def _block(page: str, key: str) -> str:
    """The HTML of one block of the dashboard."""
    start = page.index(f'id="block-{key}"')
    return page[start : page.index("</section>", start)]


def _href(url: str) -> str:
    return f'href="{escape(url)}"'


def _dashboard(client, user) -> str:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def _submitted_order(net):
    quote = create_quote(
        customer=net.customer,
        product=net.wl100,
        term_months=12,
        start_date=timezone.localdate() + datetime.timedelta(days=30),
        path=net.path,
        by="test",
    )
    return place_order(quote=quote, by="test")


def _overdue_invoice(net) -> Invoice:
    """An issued invoice of customer A billed by AZT, due ten days ago."""
    invoice = Invoice.objects.create(
        billing_party=net.azt, customer=net.customer, period="2026-08", currency="USD"
    )
    add_manual_line(
        invoice=invoice,
        description="cross-connect",
        quantity=Decimal(1),
        unit_price=Decimal("100.00"),
        service_date=datetime.date(2026, 8, 1),
        path=net.path,
        actor=net.finance,
    )
    Invoice.objects.filter(pk=invoice.pk).update(
        status="issued",
        number="DASH-000001",
        issued_at=timezone.now(),
        due_date=net.today - datetime.timedelta(days=10),
    )
    return Invoice.objects.get(pk=invoice.pk)


@pytest.fixture
def world(issued_october):
    """October billed and issued; customer A (``buyer``) with an open order, an overdue
    invoice, a contract ending within 90 days and an open ticket."""
    net = issued_october
    net.today = local_date(timezone.now(), net.azt.time_zone)
    net.order = _submitted_order(net)
    net.overdue = _overdue_invoice(net)
    Contract.objects.filter(customer=net.customer).update(
        end_date=net.today + datetime.timedelta(days=400)
    )
    Contract.objects.filter(pk=net.transit.contract.pk).update(
        end_date=net.today + datetime.timedelta(days=30)
    )
    open_ticket(
        service=net.transit,
        actor=net.buyer,
        severity="moderate",
        observed_impact="degraded",
        description="loss",
        contact_name="NOC",
        contact_email="noc@a.test",
    )
    return net


def test_the_customer_dashboard_counts_and_links(world, client):
    net = world
    page = _dashboard(client, net.buyer)

    orders = _block(page, "orders")
    assert _href("/orders/?state=submitted") in orders
    assert '<span class="act-figure">1</span> <span class="act-label">Submitted</span>' in orders
    # The link shows the order counted.
    listed = client.get("/orders/?state=submitted").content.decode()
    assert f'href="/orders/{net.order.pk}/"' in listed

    money = _block(page, "money")
    owed = sum(
        balance_of(i).due
        for i in Invoice.objects.filter(pk__in=[net.foreign_invoice.pk, net.overdue.pk])
    )
    overdue_amount = balance_of(net.overdue).due
    assert owed > overdue_amount > 0
    assert format_money(owed, "USD") in money and format_money(overdue_amount, "USD") in money
    assert _href("/invoices/?status=issued&currency=USD") in money
    yesterday = net.today - datetime.timedelta(days=1)
    overdue = f"/invoices/?status=issued&due_before={yesterday}&currency=USD"
    assert _href(overdue) in money and "Overdue in USD" in money

    renewals = _block(page, "renewals")
    until = net.today + datetime.timedelta(days=90)
    assert _href(f"/contracts/?end_after={net.today}&end_before={until}") in renewals
    assert '<span class="act-figure">1</span>' in renewals

    tickets = _block(page, "tickets")
    assert _href("/tickets/?status=acknowledged") in tickets
    assert '<span class="act-figure">1</span> <span class="act-label">Received</span>' in tickets
    assert "No planned work ahead." in _block(page, "maintenance")


def test_a_customer_with_nothing_to_act_on_sees_it_said(world, client):
    page = _dashboard(client, world.rival_user)
    for key, empty in [
        ("orders", "No open order."),
        ("money", "Nothing due."),
        ("renewals", "No contract ends in the next 90 days."),
        ("tickets", "No open ticket."),
        ("maintenance", "No planned work ahead."),
    ]:
        block = _block(page, key)
        assert empty in block and "act-figure" not in block, key


def test_the_network_dashboard_counts_the_queue_outages_and_conflicts(world, client):
    net = world
    record_outage(
        segment=net.land,
        started_at=timezone.now() - datetime.timedelta(hours=1),
        ended_at=None,
        description="cut",
        actor=net.noc,
    )
    # Another value for a bucket of November already stored: a conflict to resolve.
    circuit = net.transit.circuit_id
    november = (OCT_BAKU + datetime.timedelta(days=40)).isoformat()
    ingest(
        samples=[{"circuit_id": circuit, "ts": november, "in_bps": 7, "out_bps": 1}], actor=net.noc
    )
    ingest(
        samples=[{"circuit_id": circuit, "ts": november, "in_bps": 9, "out_bps": 1}], actor=net.noc
    )
    assert UsageEvent.objects.filter(kind="conflict").count() == 1

    page = _dashboard(client, net.noc)
    assert _href("/orders/?state=submitted") in _block(page, "orders")
    outages = _block(page, "outages")
    assert _href("/network/outages/?open=true") in outages
    assert '<span class="act-figure">1</span> <span class="act-label">Still open</span>' in outages
    decisions = _block(page, "decisions")
    assert _href("/usage/decisions/?kind=conflict&resolved=false") in decisions
    assert '<span class="act-figure">1</span>' in decisions
    assert _href("/tickets/?status=acknowledged") in _block(page, "tickets")
    listed = client.get("/usage/decisions/?kind=conflict&resolved=false").content.decode()
    assert len(re.findall(r'href="/usage/decisions/[0-9]+/"', listed)) == 1


def test_the_finance_dashboard_counts_months_drafts_overdue_and_late(world, client):
    net = world
    Invoice.objects.create(
        billing_party=net.azt, customer=net.customer, period="2026-09", currency="USD"
    )
    LateAdjustment.objects.create(
        contract=net.transit.contract,
        period="2026-10",
        kind=LateKind.USAGE,
        currency="USD",
        billed_value=Decimal(1),
        current_value=Decimal(2),
        amount=Decimal("5.00"),
    )
    page = _dashboard(client, net.finance)
    periods = _block(page, "periods")
    assert (
        "October 2026: billed, not closed" in periods
        and _href("/billing/?period=2026-10") in periods
    )
    assert "September 2026: not billed yet" in periods
    drafts = _block(page, "drafts")
    assert _href("/invoices/?status=draft&billing_party=AZT") in drafts
    assert '<span class="act-figure">1</span>' in drafts
    overdue = _block(page, "overdue")
    owed = balance_of(net.overdue).due
    yesterday = net.today - datetime.timedelta(days=1)
    assert format_money(owed, "USD") in overdue
    assert (
        _href(f"/invoices/?status=issued&due_before={yesterday}&currency=USD&billing_party=AZT")
        in overdue
    )
    late = _block(page, "late")
    assert _href("/billing/late/?status=open&kind=usage") in late
    assert "Late usage to decide" in late


def test_the_platform_dashboard_counts_locked_logins_and_what_did_not_go_out(world, client):
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN, is_staff=True)
    page = _dashboard(client, admin)
    assert "No login is locked." in _block(page, "logins")
    AccessAttempt.objects.create(
        username="locked",
        ip_address="192.0.2.1",
        user_agent="test",
        get_data="",
        post_data="",
        http_accept="*/*",
        path_info="/accounts/login/",
        failures_since_start=10,
    )
    OutgoingEmail.objects.create(to=["x@example.test"], subject="s", body="b")
    unsent = OutgoingEmail.objects.filter(sent_at__isnull=True).count()
    page = _dashboard(client, admin)
    logins = _block(page, "logins")
    assert _href("/accounts/lockouts/") in logins
    locked = len(current_lockouts())  # the account and the address
    assert locked and f'<span class="act-figure">{locked}</span>' in logins
    delivery = _block(page, "delivery")
    assert f'<span class="act-figure">{unsent}</span> <span class="act-label">E-mails' in delivery


# --- i15-l begin ---
#: Lists another helper is converting to the shared list piece (branch i15-i: late
#: adjustments, aging, the maintenance list, planned work, locked logins). Their rows cannot be
#: counted the same way until it merges: skipped here, to be removed at that merge.
SHOWN = re.compile(r"[0-9,]+\u2013[0-9,]+ of ([0-9,]+)")
INVOICE_ROW = re.compile(r'href="/invoices/([0-9]+)/"')


def _shown(page: str) -> int:
    """The rows a list says it holds: a portal list's "1-N of N" ("None": 0), an admin
    changelist's count, the billing page's runs."""
    if 'class="run-row"' in page or "No run of" in page:
        return page.count('class="run-row"')
    if match := re.search(r'class="paginator">\s*([0-9]+)', page):
        return int(match.group(1))
    if match := SHOWN.search(page):
        return int(match.group(1).replace(",", ""))
    assert "<span>None</span>" in page, page  # an empty portal list
    return 0


def _follow_every_link(client, user, dashboard) -> list[str]:
    """Follow each item of ``user``'s dashboard (as ``user``) and check its list shows exactly
    what was counted: as many rows as the count, invoices whose balances sum to the amount, the
    month asked for. Returns the links followed."""
    client.force_login(user)
    followed = []
    for block in dashboard(user):
        for item in block.items:
            response = client.get(item.href)
            assert response.status_code == 200, (item.href, response.status_code)
            page = response.content.decode()
            followed.append(item.href)
            if item.count is not None:
                assert _shown(page) == item.count, (item.label, item.href)
            elif item.amount is not None:
                pks = {int(pk) for pk in INVOICE_ROW.findall(page)}
                owed = sum(balance_of(i).due for i in Invoice.objects.filter(pk__in=pks))
                assert owed == item.amount, (item.label, item.href)
            else:  # a month of the billing page: its run only, the month in the forms
                period = item.href.split("period=")[1][:7]  # the label says it in words
                runs = 0 if "not billed yet" in item.label else 1
                assert _shown(page) == runs, (item.label, item.href)
                assert f'name="period" value="{period}"' in page, item.href
    return followed


@pytest.fixture
def busy(world):
    """Something in every block of every dashboard."""
    net = world
    record_outage(
        segment=net.land,
        started_at=timezone.now() - datetime.timedelta(hours=1),
        ended_at=None,
        description="cut",
        actor=net.noc,
    )
    november = (OCT_BAKU + datetime.timedelta(days=40)).isoformat()
    for rate in (7, 9):
        sample = {"circuit_id": net.transit.circuit_id, "ts": november, "out_bps": 1}
        ingest(samples=[{**sample, "in_bps": rate}], actor=net.noc)
    Invoice.objects.create(
        billing_party=net.azt, customer=net.customer, period="2026-09", currency="USD"
    )
    LateAdjustment.objects.create(
        contract=net.transit.contract,
        period="2026-10",
        kind=LateKind.USAGE,
        currency="USD",
        billed_value=Decimal(1),
        current_value=Decimal(2),
        amount=Decimal("5.00"),
    )
    OutgoingEmail.objects.create(to=["x@example.test"], subject="s", body="b")
    return net


def test_every_dashboard_link_lists_exactly_what_was_counted(busy, client):
    from tcfo_portal.dashboards import (
        customer_dashboard,
        finance_dashboard,
        network_dashboard,
        platform_dashboard,
    )

    net = busy
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN, is_staff=True)
    followed = [
        *_follow_every_link(client, net.buyer, customer_dashboard),
        *_follow_every_link(client, net.noc, network_dashboard),
        *_follow_every_link(client, net.finance, finance_dashboard),
        *_follow_every_link(client, admin, platform_dashboard),
    ]
    # Every kind of list was followed: orders, invoices (counted and summed), contracts,
    # tickets, outages, usage decisions, the billing page's months, the admin's lists.
    for start in (
        "/orders/?",
        "/invoices/?",
        "/contracts/?",
        "/tickets/?",
        "/network/outages/?",
        "/usage/decisions/?",
        "/billing/?period=",
        "/admin/",
    ):
        assert any(href.startswith(start) for href in followed), start


def test_the_billing_page_shows_the_month_asked_for_and_refuses_a_bad_one(busy, client):
    net = busy
    client.force_login(net.finance)
    page = client.get("/billing/?period=2026-10").content.decode()
    assert page.count('class="run-row"') == 1 and "<td>2026-10</td>" in page
    assert page.count('name="period" value="2026-10"') == 2  # run and close forms
    assert "No run of 2026-09 yet." in client.get("/billing/?period=2026-09").content.decode()
    bad = client.get("/billing/?period=2026-13")
    assert bad.status_code == 400 and 'class="run-row"' not in bad.content.decode()


# --- i15-l end ---
