"""Sales and network pages in one formatting: money grouped with its currency, rates and
percentages as numbers, every time in the reader's zone with the zone named; the outage and
maintenance forms read times typed in the reader's zone and say which."""

from __future__ import annotations

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse

from leasing.models import Outage
from leasing.services.orders import (
    acknowledge_order,
    complete_order,
    create_quote,
    place_order,
    start_provisioning,
)
from organisations.choices import Role

from ..factories import UserFactory
from .conftest import START

pytestmark = pytest.mark.django_db


def _quote(net, **kwargs):
    defaults = {"customer": net.customer, "term_months": 12, "start_date": START, "by": "t"}
    return create_quote(**{**defaults, **kwargs})


def test_quote_pages_group_money_and_name_the_currency(client, sales_net):
    net = sales_net
    client.force_login(net.buyer)
    lease = _quote(net, product=net.wl100, path=net.path)
    page = client.get(reverse("quote", args=[lease.pk])).content.decode()
    assert "<dd>12,500.00 USD</dd>" in page and "<dd>5,000.00 USD</dd>" in page
    assert f"from {START.day} {START:%b %Y}" in page
    transit = _quote(net, product=net.ipt10, site=net.bak, commit_mbps=2000)
    page = client.get(reverse("quote", args=[transit.pk])).content.decode()
    assert "2,000 Mbit/s at 0.45 USD/Mbps a month" in page and "0.60 USD/Mbps" in page
    iru = _quote(net, product=net.iru, path=net.path, term_months=180)
    page = client.get(reverse("quote", args=[iru.pk])).content.decode()
    assert "1,200,000.01 USD + 4% O&amp;M a year" in page


def test_what_an_order_commits_to_groups_rates_and_drops_trailing_zeros(sales_net):
    from leasing.commitments import commitment_of

    net = sales_net
    transit = commitment_of(_quote(net, product=net.ipt10, site=net.bak, commit_mbps=2000))
    assert "2,000 Mbit/s at 0.45 USD per Mbit/s" in dict(transit.facts)["Monthly commit"]
    iru = _quote(net, product=net.iru, path=net.path, term_months=180)
    iru.om_percent = Decimal("5.00")
    om = dict(commitment_of(iru).facts)["O&M"]
    assert om.endswith(" a year (5%)") and "5.00" not in om


def test_the_contract_page_groups_money(client, sales_net):
    net = sales_net
    order = place_order(quote=_quote(net, product=net.wl100, path=net.path), by="t")
    acknowledge_order(order=order, by="ops")
    start_provisioning(order=order, by="ops")
    service = complete_order(order=order, by="ops", ready_for_service_date=START)
    client.force_login(net.buyer)
    page = client.get(reverse("contract", args=[service.contract.pk])).content.decode()
    assert "<dd>12,500.00 USD</dd>" in page and "<dd>5,000.00 USD</dd>" in page
    service_page = client.get(reverse("service", args=[service.circuit_id])).content.decode()
    assert f"<dd>{START.day} {START:%b %Y}</dd>" in service_page


def _history_times(page: str) -> list[str]:
    marker = 'class="history"'
    history = page[page.index(marker) : page.index("</ol>", page.index(marker))]
    return [part.split(">", 1)[1] for part in history.split("<time ")[1:]]


def test_a_user_in_almaty_reads_the_order_history_in_almaty_with_the_zone_named(client, sales_net):
    net = sales_net
    order = place_order(quote=_quote(net, product=net.wl100, path=net.path), by="t")
    acknowledge_order(order=order, by="ops")
    almaty = UserFactory(
        organisation=net.customer, role=Role.CUSTOMER_MEMBER, time_zone="Asia/Almaty"
    )
    client.force_login(almaty)
    page = client.get(reverse("order", args=[order.pk])).content.decode()
    zone = zoneinfo.ZoneInfo("Asia/Almaty")
    expected = []
    for step in order.transitions.all():
        local = step.at.astimezone(zone)
        expected.append(f"{local.day} {local:%b %Y, %H:%M} Asia/Almaty</time")
    assert [t[: len(e)] for t, e in zip(_history_times(page), expected, strict=True)] == expected

    # Without a zone of their own, a person reads times in their organisation's.
    net.customer.time_zone = "Asia/Baku"
    net.customer.save()
    client.force_login(net.buyer)
    page = client.get(reverse("order", args=[order.pk])).content.decode()
    assert all(t.split("<")[0].endswith(" Asia/Baku") for t in _history_times(page))


def test_a_person_sets_their_own_time_zone_on_the_settings_page(client, sales_net):
    user = sales_net.buyer
    client.force_login(user)
    page = client.get(reverse("settings"))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'href="/accounts/settings/"' in body  # the header's link
    assert '<label for="id_time_zone">Time zone</label>' in body
    assert "My organisation&#x27;s (UTC)" in body

    saved = client.post(reverse("settings"), {"time_zone": "Asia/Almaty"})
    assert saved.status_code == 302 and saved["Location"] == reverse("settings")
    user.refresh_from_db()
    assert user.time_zone == "Asia/Almaty"
    body = client.get(reverse("settings")).content.decode()
    assert "Times are shown to you in <strong>Asia/Almaty</strong>" in body
    assert '<option value="Asia/Almaty" selected>' in body

    refused = client.post(reverse("settings"), {"time_zone": "Mars/Olympus"})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    user.refresh_from_db()
    assert user.time_zone == "Asia/Almaty"

    assert client.post(reverse("settings"), {"time_zone": ""}).status_code == 302
    user.refresh_from_db()
    assert user.time_zone == "" and user.display_zone == "UTC"


def test_the_settings_page_needs_a_login(client):
    response = client.get(reverse("settings"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_outages_are_typed_and_shown_in_the_readers_zone(client, sales_net):
    net = sales_net
    noc = UserFactory(organisation=net.azt, role=Role.OPERATOR_NETWORK, time_zone="Asia/Baku")
    client.force_login(noc)
    form = client.get(reverse("outages")).content.decode()
    assert "Started at (Asia/Baku)" in form and "Ended at (Asia/Baku)" in form
    created = client.post(
        reverse("outages"),
        {
            "segment": net.sea.pk,
            "started_at": "2026-10-20T10:00",
            "ended_at": "2026-10-20T20:00",
            "description": "Anchor drag",
        },
    )
    assert created.status_code == 302
    outage = Outage.objects.get()
    # 10:00 in Baku (UTC+4) is 06:00 UTC.
    assert outage.started_at == datetime.datetime(2026, 10, 20, 6, tzinfo=datetime.UTC)
    page = client.get(reverse("outage", args=[outage.pk])).content.decode()
    assert "<dd>20 Oct 2026, 10:00 Asia/Baku</dd>" in page
    assert 'value="2026-10-20T10:00"' in page  # the correction form, in the reader's zone
    assert "Started at (Asia/Baku)" in page


def test_the_maintenance_form_reads_times_in_the_readers_zone_by_default(client, sales_net):
    noc = UserFactory(
        organisation=sales_net.azt, role=Role.OPERATOR_NETWORK, time_zone="Europe/Berlin"
    )
    client.force_login(noc)
    page = client.get(reverse("maintenance-new")).content.decode()
    assert '<option value="Europe/Berlin" selected>Europe/Berlin (your time zone)</option>' in page
