"""The billing app's events: an issued invoice, a credit note, a debit note, a payment and its
reversal, and late usage each write one event for the customer with the document's state after
the change (money as Money objects, never the operators' split nor who of the finance staff
acted); a refused change writes none."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from billing.models import Invoice, LateAdjustment
from billing.services.closing import close_period
from billing.services.credit_notes import issue_credit_note
from billing.services.debit_notes import bill_late_adjustment
from billing.services.payments import record_payment, reverse_payment
from events.models import Event
from tcfo_portal.exceptions import DomainError

from ..billing.conftest import OCT_BAKU, issue_october, net, october, sales_net, usage
from ..factories import finance_of

__all__ = ["net", "october", "sales_net", "usage"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(october, django_capture_on_commit_callbacks):
    return issue_october(october, django_capture_on_commit_callbacks)


def _money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def test_issuing_tells_the_customer_its_invoice_without_the_split(issued):
    net = issued
    invoice = net.invoice
    [event] = Event.objects.filter(type="invoice.issued", subject_id=str(invoice.pk))
    assert event.organisation == net.domestic
    data = event.data
    assert (data["id"], data["number"], data["status"], data["state"]) == (
        invoice.pk,
        invoice.number,
        "issued",
        "issued",
    )
    assert (data["billing_party"], data["customer"], data["period"]) == (
        "AZT",
        "Baku Carrier",
        "2026-10",
    )
    assert data["total"] == _money("13512.90")
    assert data["due_date"] == invoice.due_date.isoformat()
    assert data["url"] == f"/api/v1/invoices/{invoice.pk}/"
    assert len(data["lines"]) == invoice.lines.count()
    assert all("allocations" not in line for line in data["lines"])
    assert {line["circuit_id"] for line in data["lines"]} == {net.lease.circuit_id}
    assert all(set(line["amount"]) == {"amount", "currency"} for line in data["lines"])
    # Each customer of the month got its own invoice's event, and nobody else one.
    issued_to = set(
        Event.objects.filter(type="invoice.issued").values_list("organisation", flat=True)
    )
    assert issued_to == set(
        Invoice.objects.filter(period="2026-10").values_list("customer", flat=True)
    )


def test_payments_credit_notes_and_reversals_are_told_with_the_balance_after(issued):
    net = issued
    invoice = net.invoice
    finance = finance_of(net.azt, "Alice of finance")
    payment = record_payment(
        invoice=invoice,
        amount=Decimal("1000.00"),
        received_on=net.today,
        reference="wire 42",
        actor=finance,
    )
    [paid] = Event.objects.filter(type="payment.recorded")
    assert paid.organisation == net.domestic
    assert paid.data == {
        "id": payment.pk,
        "invoice": invoice.pk,
        "invoice_number": invoice.number,
        "amount": _money("1000.00"),
        "received_on": net.today.isoformat(),
        "reference": "wire 42",
        "recorded_at": payment.created_at.isoformat().replace("+00:00", "Z"),
        "invoice_state": "partially_paid",
        "balance_due": _money("12512.90"),
        "url": f"/api/v1/payments/{payment.pk}/",
        "reversed": False,
    }
    # Refused: more than is due. Nothing is written.
    with pytest.raises(DomainError):
        record_payment(
            invoice=invoice,
            amount=Decimal("999999.00"),
            received_on=net.today,
            reference="",
            actor=finance,
        )
    assert Event.objects.filter(type="payment.recorded").count() == 1

    reverse_payment(payment=payment, reason="Bounced", actor=finance)
    [reversed_] = Event.objects.filter(type="payment.reversed")
    assert reversed_.data["reversed"] is True
    assert reversed_.data["reversal"]["reason"] == "Bounced"
    assert (reversed_.data["invoice_state"], reversed_.data["balance_due"]) == (
        "issued",
        _money("13512.90"),
    )

    line = invoice.lines.order_by("pk").first()
    note = issue_credit_note(
        invoice=invoice, amounts={line.pk: Decimal("100.00")}, reason="goodwill", actor=finance
    )
    [credited] = Event.objects.filter(type="credit_note.issued")
    assert credited.organisation == net.domestic
    data = credited.data
    assert (data["id"], data["number"], data["invoice"], data["reason"]) == (
        note.pk,
        note.number,
        invoice.pk,
        "goodwill",
    )
    assert data["subtotal"] == _money("100.00")
    assert data["total"] == _money("118.00")  # domestic: AZ VAT 18%
    assert data["lines"][0]["invoice_line"] == line.pk
    assert data["url"] == f"/api/v1/credit-notes/{note.pk}/"
    # Who of the finance staff acted and the operators' split are never in an event.
    everything = str([e.data for e in Event.objects.all()])
    assert "Alice of finance" not in everything and "allocations" not in everything


def _late_samples(net, rate, day=20):
    start = OCT_BAKU + datetime.timedelta(days=day)
    return {
        "samples": [
            {
                "circuit_id": net.transit.circuit_id,
                "ts": (start + datetime.timedelta(minutes=5 * i)).isoformat(),
                "in_bps": rate,
                "out_bps": 0,
            }
            for i in range(40)
        ]
    }


def test_late_usage_and_its_debit_note_are_told_to_the_customer(
    issued, django_capture_on_commit_callbacks
):
    net = issued
    close_period(period="2026-10", billing_party=net.azt, actor=finance_of(net.azt))
    assert not Event.objects.filter(type="usage.late").exists()
    response = net.collector.post(
        "/api/v1/usage/samples/", _late_samples(net, 3_000_000_000), format="json"
    )
    assert response.status_code == 200, response.content
    [late] = Event.objects.filter(type="usage.late")
    assert (late.organisation, late.subject_type, late.subject_id) == (
        net.customer,
        "service",
        net.transit.circuit_id,
    )
    assert late.data == {
        "circuit_id": net.transit.circuit_id,
        "period": "2026-10",
        "time_zone": "Asia/Baku",
        "samples": 80,
        "missing": late.data["missing"],
        "p95_in_bps": 3_000_000_000,
        "p95_out_bps": late.data["p95_out_bps"],
        "billable_bps": 3_000_000_000,
        "billed_bps": 2_500_000_000,
        "rule": "greater_of",
        "url": f"/api/v1/services/{net.transit.circuit_id}/usage/?period=2026-10",
    }
    # The same samples again are duplicates: nothing arrived, nothing is told.
    net.collector.post("/api/v1/usage/samples/", _late_samples(net, 3_000_000_000), format="json")
    assert Event.objects.filter(type="usage.late").count() == 1
    # New samples that leave the month's figure as it was (a collector's next batch): stored,
    # noted on the same adjustment, and not told again.
    more = _late_samples(net, 3_000_000_000, day=21)
    assert net.collector.post("/api/v1/usage/samples/", more, format="json").status_code == 200
    assert Event.objects.filter(type="usage.late").count() == 1

    [adjustment] = LateAdjustment.objects.all()
    with django_capture_on_commit_callbacks(execute=True):
        note = bill_late_adjustment(
            adjustment=adjustment, reason="Collector was down", actor=finance_of(net.azt)
        )
    [debited] = Event.objects.filter(type="debit_note.issued")
    assert debited.organisation == net.customer
    assert (debited.data["number"], debited.data["total"]) == (note.number, _money("300.00"))
    assert debited.data["lines"][0]["circuit_id"] == net.transit.circuit_id
    assert debited.data["url"] == f"/api/v1/debit-notes/{note.pk}/"
    assert debited.data["due_date"] == note.due_date.isoformat()
