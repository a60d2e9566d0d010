"""A chunk a business rule refuses (here: no VAT rate known for the date) fails the run with the
reason and bills nothing; once fixed, the period runs again to the end."""

import datetime
from decimal import Decimal

import pytest

from billing.choices import BillingRunStatus
from billing.models import BillingRun, InvoiceLine, TaxRate
from billing.services.runs import start_run
from organisations.choices import Role

from ..factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("october")]


def test_a_refused_chunk_fails_the_run_which_can_run_again(
    october, client, django_capture_on_commit_callbacks
):
    TaxRate.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        run, started = start_run(period="2026-10", by="finance")
    run.refresh_from_db()
    assert started and run.status == BillingRunStatus.FAILED
    assert "No VAT rate" in run.error and run.finished_at is not None
    assert not InvoiceLine.objects.exists()  # the chunk's work was rolled back

    client.force_login(UserFactory(organisation=october.azt, role=Role.OPERATOR_FINANCE))
    assert "No VAT rate" in client.get("/billing/").content.decode()

    TaxRate.objects.create(
        country="AZ", rate_percent=Decimal(18), valid_from=datetime.date(2001, 1, 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        _, started = start_run(period="2026-10", by="finance")
    run = BillingRun.objects.get(period="2026-10")
    assert started and (run.status, run.error, run.lines_created) == (
        BillingRunStatus.DONE,
        "",
        7,
    )
