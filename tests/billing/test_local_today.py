"""Finance pages count "today" where the billing party is, not in UTC: the revenue page's year,
the settlement page's last month and the days an invoice is overdue.

The clock is set (``django.utils.timezone.now``) to an instant when the day, month and year in
Baku (UTC+4) and Almaty (UTC+5) are already the next ones but not in UTC.
"""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from billing.services.payments import aging
from organisations.choices import Role

from ..factories import OperatorFactory, UserFactory

pytestmark = pytest.mark.django_db

# 01:00 on 1 January 2027 in Baku, 02:00 in Almaty; still 31 December 2026 in UTC.
NEW_YEAR_IN_BAKU = datetime.datetime(2026, 12, 31, 21, 0, tzinfo=datetime.UTC)


def _at(monkeypatch: pytest.MonkeyPatch, moment: datetime.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


def _viewers() -> dict[str, Client]:
    viewers = {
        "Baku finance": UserFactory(organisation=OperatorFactory(), role=Role.OPERATOR_FINANCE),
        "Almaty finance": UserFactory(
            organisation=OperatorFactory(country="KZ", time_zone="Asia/Almaty"),
            role=Role.OPERATOR_FINANCE,
        ),
        # Every billing party's: the zone the monthly billing run decides the month in.
        "platform admin": UserFactory(organisation=None, role=Role.PLATFORM_ADMIN),
    }
    clients = {}
    for name, user in viewers.items():
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


def test_the_revenue_page_shows_the_year_it_is_where_the_viewer_bills(monkeypatch):
    _at(monkeypatch, NEW_YEAR_IN_BAKU)
    clients = _viewers()
    for name, client in clients.items():
        page = client.get("/billing/revenue/")
        assert page.status_code == 200
        assert page.context["year"] == 2027, name
        assert client.get("/billing/revenue.csv")["Content-Disposition"].endswith(
            'filename="revenue-2027.csv"'
        ), name


def test_the_settlement_page_shows_the_month_that_has_ended_where_the_viewer_bills(monkeypatch):
    _at(monkeypatch, NEW_YEAR_IN_BAKU)
    clients = _viewers()
    for name, client in clients.items():
        page = client.get("/billing/settlement/")
        assert page.status_code == 200
        assert page.context["period"] == "2026-12", name


def test_an_invoice_is_overdue_from_the_day_after_its_due_date_where_it_was_issued(
    issued_october, monkeypatch
):
    net = issued_october
    due = net.invoice.due_date
    # 01:00 the day after the due date in Baku; still the due date in UTC.
    _at(monkeypatch, datetime.datetime.combine(due, datetime.time(21, 0), tzinfo=datetime.UTC))
    rows = {row.invoice.pk: row.days_overdue for row in aging(billing_party=net.azt).rows}
    assert rows[net.invoice.pk] == 1
    client = Client()
    client.force_login(net.finance)  # a session of that time
    page = client.get("/billing/aging/")
    shown = {row.invoice.pk: row.days_overdue for row in page.context["list"].rows}
    assert shown[net.invoice.pk] == 1
