"""The issued invoice is mailed with its PDF by a real Celery worker, once issuing committed;
an issue that rolled back mails nobody."""

import pytest
from django.core import mail
from django.db import transaction

from billing.models import Invoice
from billing.services.invoices import issue_invoice
from billing.services.runs import start_run

from ..conftest import wait_until
from ..factories import finance_of

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker]


class Abort(Exception):
    pass


def test_the_worker_mails_the_issued_invoice_with_its_pdf_only_after_the_commit(
    october, celery_worker
):
    start_run(period="2026-10", by="finance")
    assert wait_until(lambda: Invoice.objects.filter(customer=october.domestic).exists())
    october.domestic.billing_email = "ap@baku-carrier.test"
    october.domestic.save()
    draft = Invoice.objects.get(customer=october.domestic)

    with pytest.raises(Abort), transaction.atomic():
        issue_invoice(invoice=draft, actor=finance_of(october.azt))
        raise Abort
    issued = issue_invoice(invoice=draft, actor=finance_of(october.azt))

    def invoices_mailed() -> list:
        return [m for m in mail.outbox if m.subject.startswith("Invoice ")]

    assert wait_until(lambda: len(invoices_mailed()) >= 1), "the worker mailed nothing"
    (message,) = invoices_mailed()  # the rolled-back issue mailed nobody
    assert message.to == ["ap@baku-carrier.test"] and issued.number in message.subject
    (name, content, kind) = message.attachments[0]
    assert kind == "application/pdf"
    assert name == f"{issued.number}.pdf" and content.startswith(b"%PDF")
