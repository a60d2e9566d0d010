"""Gapless numbering under concurrent issuing, with rollbacks, on real PostgreSQL."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction

from billing.models import Invoice, InvoiceLine
from billing.services.invoices import issue_invoice

from ..factories import CustomerFactory, OperatorFactory, finance_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Abort(Exception):
    pass


def test_concurrent_issuing_with_rollbacks_leaves_no_gap():
    party = OperatorFactory(invoice_prefix="GAP")
    invoices = []
    for _ in range(24):
        invoice = Invoice.objects.create(
            billing_party=party, customer=CustomerFactory(), period="2026-10", currency="USD"
        )
        InvoiceLine.objects.create(
            invoice=invoice, kind="manual", description="x", quantity=1, unit_price=1, amount=1,
            tax_rate=0, tax_amount=0, service_date="2026-10-01",
        )  # fmt: skip
        invoices.append(invoice)
    barrier = threading.Barrier(len(invoices))

    def issue(item: tuple[int, Invoice]) -> str | None:
        index, invoice = item
        try:
            barrier.wait()
            with transaction.atomic():
                issued = issue_invoice(invoice=invoice, actor=finance_of(party))
                if index % 3 == 0:
                    raise Abort  # this one rolls back: its number must be given back
                return issued.number
        except Abort:
            return None
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(invoices)) as pool:
        numbers = [n for n in pool.map(issue, enumerate(invoices)) if n]
    issued = Invoice.objects.filter(status="issued").order_by("number")
    assert len(numbers) == issued.count() == 16
    year = issued.first().issued_at.year
    assert [i.number for i in issued] == [f"GAP-{year}-{n:06d}" for n in range(1, 17)]
    assert Invoice.objects.filter(status="draft", number__isnull=True).count() == 8
