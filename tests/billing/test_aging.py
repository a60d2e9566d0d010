"""Aging keeps what is not yet due apart from what is overdue: an invoice due today or later is
"current" (0 days), one due yesterday 1 day overdue ("1-30"), each counted on the day it is where
the invoice's billing party is (Baku, UTC+4, for AZT)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from billing.services.payments import aging

pytestmark = pytest.mark.django_db


def _at_noon_in_baku(monkeypatch: pytest.MonkeyPatch, day: datetime.date) -> None:
    moment = datetime.datetime.combine(day, datetime.time(8, 0), tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)


def _row(net, **kwargs):
    return next(r for r in aging(billing_party=net.azt, **kwargs).rows if r.invoice == net.invoice)


@pytest.mark.parametrize(
    ("days_after_due", "days_overdue", "bucket", "label"),
    [
        (-1, 0, "current", "Not yet due"),  # due tomorrow
        (0, 0, "current", "Not yet due"),  # due today
        (1, 1, "1-30", "1-30 days overdue"),
        (30, 30, "1-30", "1-30 days overdue"),
        (31, 31, "31-60", "31-60 days overdue"),
        (91, 91, "90+", "More than 90 days overdue"),
    ],
)
def test_aging_buckets_by_days_past_the_due_date(
    issued_october, days_after_due, days_overdue, bucket, label
):
    net = issued_october
    on = net.invoice.due_date + datetime.timedelta(days=days_after_due)
    row = _row(net, on=on)
    assert (row.days_overdue, row.bucket, row.bucket_label) == (days_overdue, bucket, label)
    assert row.not_yet_due == (days_after_due <= 0)


def test_an_invoice_due_next_month_is_not_yet_due_today(issued_october, monkeypatch):
    net = issued_october
    _at_noon_in_baku(monkeypatch, net.invoice.due_date - datetime.timedelta(days=30))
    row = _row(net)
    assert (row.days_overdue, row.bucket) == (0, "current")


def test_days_overdue_count_in_the_billing_party_zone(issued_october, monkeypatch):
    net = issued_october
    due = net.invoice.due_date
    # 23:00 UTC on the due date is 03:00 the next day in Baku: 1 day overdue there.
    late = datetime.datetime.combine(due, datetime.time(23, 0), tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: late)
    assert (_row(net).days_overdue, _row(net).bucket) == (1, "1-30")
    # 19:00 UTC on the due date is 23:00 in Baku: still due today.
    today = datetime.datetime.combine(due, datetime.time(19, 0), tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: today)
    assert (_row(net).days_overdue, _row(net).bucket) == (0, "current")


def test_the_api_separates_current_from_overdue(issued_october, monkeypatch):
    net = issued_october
    _at_noon_in_baku(monkeypatch, net.invoice.due_date)
    client = Client()
    client.force_login(net.finance)
    rows = client.get("/api/v1/aging/").json()["results"]
    mine = next(r for r in rows if r["invoice"] == net.invoice.pk)
    assert (mine["days_overdue"], mine["bucket"]) == (0, "current")
    assert (mine["bucket_label"], mine["not_yet_due"]) == ("Not yet due", True)
    overdue = client.get("/api/v1/aging/?bucket=1-30").json()["results"]
    assert net.invoice.pk not in {r["invoice"] for r in overdue}
    current = client.get("/api/v1/aging/?bucket=current").json()["results"]
    assert net.invoice.pk in {r["invoice"] for r in current}
    # "0-30", as before: not yet due and up to 30 days overdue together.
    legacy = client.get("/api/v1/aging/?bucket=0-30").json()["results"]
    assert net.invoice.pk in {r["invoice"] for r in legacy}
