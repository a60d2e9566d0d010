"""Rehearsing a service before a confirmation (``billing.views.rehearsal.rehearse``): only the
services that change rows and nothing else are rehearsed, and they leave no row behind; any other
(``issue_invoice`` stores a PDF at once) is refused before it runs (issue 15 review)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from billing.choices import InvoiceStatus
from billing.models import BillingRun, Invoice, InvoiceLine
from billing.services.drafts import add_manual_line
from billing.services.invoices import issue_invoice
from billing.services.runs import start_run
from billing.views.rehearsal import REHEARSABLE, NotRehearsable, rehearse

from ..factories import finance_of

pytestmark = pytest.mark.django_db


def _files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_rehearsing_issue_invoice_is_refused_before_it_runs(
    october, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    draft = Invoice.objects.filter(period="2026-10").first()
    assert issue_invoice not in REHEARSABLE
    before = _files()
    with pytest.raises(NotRehearsable, match="issue_invoice is not rehearsable"):
        rehearse(
            issue_invoice,
            lambda invoice: invoice,
            invoice=draft,
            actor=finance_of(draft.billing_party),
        )
    assert _files() == before  # no PDF written
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT and not draft.number


def test_a_lambda_is_refused_too():
    with pytest.raises(NotRehearsable):
        rehearse(lambda: None, lambda result: result)


def test_the_rehearsable_services_leave_no_row_behind(october, django_capture_on_commit_callbacks):
    net = october
    # Billing the month, rehearsed: the run is described, then nothing is kept or queued.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        run, started = rehearse(start_run, lambda result: result, period="2026-10", by="test")
    assert started and run.contracts_total >= 3
    assert not BillingRun.objects.exists() and not queued
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    draft = Invoice.objects.filter(period="2026-10").first()
    lines = InvoiceLine.objects.count()
    finance = finance_of(draft.billing_party)
    line = rehearse(
        add_manual_line,
        lambda made: made.description,
        invoice=draft,
        description="remote hands",
        quantity=Decimal(1),
        unit_price=Decimal("50.00"),
        service_date=datetime.date(2026, 10, 3),
        path=net.path,
        actor=finance,
    )
    assert line == "remote hands" and InvoiceLine.objects.count() == lines
