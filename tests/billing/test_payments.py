"""Payments: who may record and reverse them, their dates, the lifecycle they move, what is
owed and aged; credit notes never over-pay an invoice.

The golden month's domestic invoice (AZT, issued today in Baku): total 13,512.90 USD, lines
MRC 6,451.61 + VAT 1,161.29 and NRC 5,000.00 + VAT 900.00.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from billing.choices import InvoiceStatus, LineKind
from billing.models import CreditNote, Invoice, Payment, PaymentReversal
from billing.services.balances import balance_of
from billing.services.credit_notes import issue_credit_note
from billing.services.payments import aging, record_payment, reverse_payment
from billing.services.settlement import revenue_report
from organisations.access import SystemActor
from organisations.choices import Role
from tcfo_portal.exceptions import DomainError, Forbidden, InvalidTransition

from ..factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("issued_october")]


FINANCE = object()


def _pay(net, amount, *, on=None, actor=FINANCE, reference=""):
    return record_payment(
        invoice=net.invoice,
        amount=Decimal(amount),
        received_on=on or net.today,
        reference=reference,
        actor=net.finance if actor is FINANCE else actor,
    )


def _states(invoice):
    """The steps after issuing (issuing itself is recorded by ``issue_invoice``)."""
    steps = invoice.transitions.exclude(from_state="draft").order_by("at", "pk")
    return [(t.from_state, t.to_state) for t in steps]


@pytest.mark.parametrize(
    "who",
    ["customer_admin", "ktc_finance", "azt_network", "anonymous", "azt_finance_key_of_ktc"],
)
def test_only_the_billing_partys_finance_records_and_reverses(issued_october, who):
    net = issued_october
    actor = {
        "customer_admin": UserFactory(organisation=net.domestic, role=Role.CUSTOMER_ADMIN),
        "ktc_finance": net.ktc_finance,  # shares the invoice's revenue, does not bill it
        "azt_network": net.noc,
        "anonymous": None,
        "azt_finance_key_of_ktc": SystemActor(net.ktc, Role.OPERATOR_FINANCE, "ktc job"),
    }[who]
    with pytest.raises(Forbidden) as refused:
        _pay(net, "100.00", actor=actor)
    assert refused.value.status_code == 403
    payment = _pay(net, "100.00")
    with pytest.raises(Forbidden):
        reverse_payment(payment=payment, reason="typo", actor=actor)
    with pytest.raises(Forbidden):
        issue_credit_note(
            invoice=net.invoice,
            amounts={net.invoice.lines.get(kind=LineKind.NRC).pk: Decimal(1)},
            reason="x",
            actor=actor,
        )
    assert Payment.objects.count() == 1 and not PaymentReversal.objects.exists()
    assert not CreditNote.objects.exists()


def test_a_platform_admin_and_a_job_of_the_billing_party_may(issued_october):
    net = issued_october
    _pay(net, "1.00", actor=UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    payment = _pay(net, "2.00", actor=SystemActor(net.azt, Role.OPERATOR_FINANCE, "bank import"))
    assert payment.recorded_by == "bank import"


@pytest.mark.parametrize(
    ("days", "message"),
    [(1, "On or before"), (365 * 4, "On or before"), (-1, "issue date"), (-365 * 6, "issue date")],
)
def test_a_payment_is_dated_between_the_issue_and_today_in_baku(issued_october, days, message):
    net = issued_october
    with pytest.raises(DomainError) as refused:
        _pay(net, "100.00", on=net.today + datetime.timedelta(days=days))
    assert refused.value.status_code == 400
    assert list(refused.value.errors) == ["received_on"]
    assert message in refused.value.errors["received_on"][0]
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("amount", "field"),
    [("0.00", "amount"), ("-5.00", "amount"), ("1.001", "amount"), ("13512.91", "amount")],
)
def test_bad_amounts_are_refused_naming_the_field(issued_october, amount, field):
    with pytest.raises(DomainError) as refused:
        _pay(issued_october, amount)
    assert list(refused.value.errors) == [field]


def test_payments_move_the_invoice_and_a_reversal_moves_it_back(issued_october):
    net = issued_october
    invoice = net.invoice
    first = _pay(net, "10000.00", reference="wire 1")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    assert balance_of(invoice).due == Decimal("3512.90")
    second = _pay(net, "3512.90", reference="wire 2")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    with pytest.raises(InvalidTransition, match="issued, unpaid"):
        _pay(net, "0.01")

    reversal = reverse_payment(
        payment=first, reason="  Bounced: wrong account  ", actor=net.finance
    )
    assert (reversal.reason, reversal.reversed_by) == (
        "Bounced: wrong account",
        net.finance.username,
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PARTIALLY_PAID
    balance = balance_of(invoice)
    assert (balance.paid, balance.due) == (Decimal("3512.90"), Decimal("10000.00"))
    assert Payment.objects.filter(invoice=invoice).count() == 2  # the reversed one stays
    reverse_payment(payment=second, reason="duplicate", actor=net.finance)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.ISSUED
    with pytest.raises(InvalidTransition, match="reversed already"):
        reverse_payment(payment=second, reason="again", actor=net.finance)
    with pytest.raises(DomainError) as refused:
        reverse_payment(payment=_pay(net, "1.00"), reason="  ", actor=net.finance)
    assert list(refused.value.errors) == ["reason"]

    assert _states(invoice) == [
        ("issued", "partially_paid"),
        ("partially_paid", "paid"),
        ("paid", "partially_paid"),
        ("partially_paid", "issued"),
        ("issued", "partially_paid"),
    ]
    step = invoice.transitions.get(from_state="paid")
    assert step.by == net.finance.username and "reversed: Bounced" in step.note
    # The notes people read in the invoice's history are formatted: grouped money, a day.
    paid = [n for n in invoice.transitions.values_list("note", flat=True) if "Payment of" in n]
    told = r"^Payment of [\d,]+\.\d\d USD (received|of) \d{1,2} [A-Z][a-z]{2} \d{4}\b"
    assert len(paid) == 5 and all(re.match(told, n) for n in paid), paid


def test_aging_and_revenue_count_partially_paid_invoices(issued_october):
    net = issued_october
    _pay(net, "10000.00")
    late = net.invoice.due_date + datetime.timedelta(days=40)
    rows = {r.invoice.pk: (r.owed, r.bucket) for r in aging(billing_party=net.azt, on=late).rows}
    assert rows[net.invoice.pk] == (Decimal("3512.90"), "31-60")
    revenue = {
        (r["operator"], r["product"]): r["amount"] for r in revenue_report(periods=["2026-10"])
    }
    assert revenue[("KTC", net.wl100.code)] == Decimal("3064.51") + Decimal("2375.00")


def test_a_credit_note_never_over_pays_the_invoice(issued_october):
    net = issued_october
    invoice = net.invoice
    mrc = invoice.lines.get(kind=LineKind.MRC)
    _pay(net, "10000.00")
    # 3,512.90 is due; 3,000.00 net + 18% VAT = 3,540.00 would give back money received.
    with pytest.raises(DomainError) as refused:
        issue_credit_note(
            invoice=invoice, amounts={mrc.pk: Decimal("3000.00")}, reason="x", actor=net.finance
        )
    assert refused.value.errors == {"lines": ["At most 3,512.90 USD, VAT included."]}
    assert not CreditNote.objects.exists()
    # Exactly what is due (2,977.03 + VAT 535.87 = 3,512.90): nothing is left, so it is paid.
    issue_credit_note(
        invoice=invoice, amounts={mrc.pk: Decimal("2977.03")}, reason="x", actor=net.finance
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert balance_of(invoice).due == 0
    with pytest.raises(DomainError, match="never gives back money received"):
        issue_credit_note(
            invoice=invoice, amounts={mrc.pk: Decimal("0.01")}, reason="x", actor=net.finance
        )


def test_an_invoice_credited_in_full_before_any_payment_is_void(issued_october):
    net = issued_october
    invoice = net.invoice
    amounts = {line.pk: line.amount for line in invoice.lines.all()}
    issue_credit_note(invoice=invoice, amounts=amounts, reason="cancelled", actor=net.finance)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID
    assert _states(invoice)[-1] == ("issued", "void")
    with pytest.raises(InvalidTransition):
        _pay(net, "1.00")
    revenue = {
        (r["operator"], r["product"]): r["amount"] for r in revenue_report(periods=["2026-10"])
    }
    assert (("KTC", net.wl100.code)) not in revenue or revenue[("KTC", net.wl100.code)] == 0


@pytest.mark.postgres
def test_the_database_refuses_to_change_a_payment_or_its_reversal(issued_october):
    net = issued_october
    payment, other = _pay(net, "100.00"), _pay(net, "200.00")
    reverse_payment(payment=payment, reason="typo", actor=net.finance)
    for change in (
        lambda: Payment.objects.filter(pk=payment.pk).update(amount=Decimal("1.00")),
        lambda: Payment.objects.filter(pk=other.pk).delete(),
        lambda: PaymentReversal.objects.filter(payment=payment).update(reason="other"),
        lambda: PaymentReversal.objects.filter(payment=payment).delete(),
    ):
        with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic():
            change()


def test_the_invoice_page_lists_payments_and_the_balance_due(issued_october, client):
    net = issued_october
    url = f"/invoices/{net.invoice.pk}/"
    client.force_login(net.finance)
    late = (net.today + datetime.timedelta(days=2)).isoformat()
    response = client.post(f"{url}payments/new/", {"amount": "100.00", "received_on": late})
    assert response.status_code == 400 and not Payment.objects.exists()
    assert "On or before" in response.content.decode()  # at the field, as typed
    assert f'value="{late}"' in response.content.decode()
    body = {"amount": "10000.00", "received_on": net.today.isoformat(), "reference": "wire 1"}
    client.post(f"{url}payments/new/", {**body, "confirmed": "yes"})
    payment = Payment.objects.get()
    refused = client.post(f"{url}payments/{payment.pk}/reverse/", {"reason": ""})
    assert refused.status_code == 400 and not PaymentReversal.objects.exists()
    client.post(f"{url}payments/{payment.pk}/reverse/", {"reason": "Bounced", "confirmed": "yes"})
    assert PaymentReversal.objects.get().reason == "Bounced"
    rest = {"amount": "13512.90", "received_on": net.today.isoformat(), "confirmed": "yes"}
    client.post(f"{url}payments/new/", rest)
    page = client.get(url).content.decode()
    assert 'data-testid="invoice-balance-due">0.00 USD' in page
    assert f"by {net.finance.username}: Bounced" in page and "wire 1" in page
    assert page.count('data-testid="payment"') == 2

    client.force_login(net.ktc_finance)  # shares the revenue: reads, cannot reverse
    last = Payment.objects.last().pk
    refused = client.post(f"{url}payments/{last}/reverse/", {"reason": "x", "confirmed": "yes"})
    assert refused.status_code == 403 and PaymentReversal.objects.count() == 1
    buyer = UserFactory(organisation=net.domestic, role=Role.CUSTOMER_ADMIN)
    client.force_login(buyer)
    page = client.get(url).content.decode()
    assert "Bounced" in page and "Reverse</button>" not in page
    assert net.finance.username not in page  # staff names are the billing party's business
    assert Invoice.objects.get(pk=net.invoice.pk).status == InvoiceStatus.PAID
    client.force_login(net.rival_user)
    assert client.post(f"{url}payments/{payment.pk}/reverse/", {"reason": "x"}).status_code == 404
