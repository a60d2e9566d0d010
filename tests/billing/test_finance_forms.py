"""The finance clerk's forms and confirmations in the portal (issue 15): each long form on a page
of its own with errors at the fields and the values kept; every irreversible or costly action
confirmed first, naming what will happen and its amount, changing nothing until confirmed; "Go
back and change" keeps what was typed.

The golden month's domestic invoice (AZT): total 13,512.90 USD (MRC 6,451.61 and NRC 5,000.00
net), issued on ``today``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.choices import LateKind, LateStatus, LineKind
from billing.models import (
    BillingRun,
    CreditNote,
    DebitNote,
    DeletedDraft,
    Invoice,
    LateAdjustment,
    Payment,
    PaymentReversal,
    PeriodClose,
)
from billing.services.closing import close_period
from billing.services.credit_notes import issue_credit_note, left_to_credit
from billing.services.invoices import issue_invoice
from billing.services.payments import record_payment
from billing.services.runs import start_run
from leasing.models import Outage
from organisations.choices import Role
from tcfo_portal.exceptions import DomainError

from ..factories import UserFactory, finance_of
from .test_sla_credits import _at

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


def _confirmation(response) -> str:
    """The confirmation page's text (fails unless it is one)."""
    html = _html(response)
    assert response.status_code == 200 and 'name="confirmed" value="yes"' in html, html[-3000:]
    return html


# --- the payment form ----------------------------------------------------------------------------


def test_a_payment_is_typed_on_its_own_page_refused_at_the_field_then_confirmed(
    issued_october, client
):
    net = issued_october
    invoice_url = f"/invoices/{net.invoice.pk}/"
    url = f"{invoice_url}payments/new/"
    client.force_login(net.finance)
    invoice_page = _html(client.get(invoice_url))
    assert f'href="{url}"' in invoice_page and 'name="amount"' not in invoice_page

    form = _html(client.get(url))
    assert '<label for="id_amount">Amount</label>' in form and "13,512.90 USD" in form

    # The service refuses more than is due: at the field, with everything typed kept.
    typed = {"amount": "20000.00", "received_on": net.today.isoformat(), "reference": "wire 7"}
    refused = client.post(url, typed)
    assert refused.status_code == 400 and not Payment.objects.exists()
    html = _html(refused)
    assert 'href="#id_amount">Amount: At most 13,512.90 USD.</a>' in html  # the summary links it
    assert 'value="20000.00"' in html and 'value="wire 7"' in html
    assert f'value="{net.today.isoformat()}"' in html

    # A valid post is confirmed first, naming the amount; nothing is recorded yet.
    typed["amount"] = "10000.00"
    asked = _confirmation(client.post(url, typed))
    assert "Record a payment of 10,000.00 USD?" in asked
    assert "Amount: <strong>10,000.00 USD</strong>" in asked
    assert "<dt>Balance due after it</dt><dd>3,512.90 USD</dd>" in asked
    assert not Payment.objects.exists()
    assert Invoice.objects.get(pk=net.invoice.pk).status == "issued"

    # "Go back and change": the form again, as typed.
    back = client.post(url, {**typed, "confirmed": "no"})
    assert back.status_code == 200 and 'value="10000.00"' in _html(back)
    assert 'value="wire 7"' in _html(back) and not Payment.objects.exists()

    done = client.post(url, {**typed, "confirmed": "yes"}, follow=True)
    payment = Payment.objects.get()
    assert (payment.amount, payment.reference) == (Decimal("10000.00"), "wire 7")
    assert "Payment of 10,000.00 USD recorded." in _html(done)
    assert done.redirect_chain[-1][0] == invoice_url


def test_who_may_not_record_a_payment_is_refused_before_any_confirmation(issued_october, client):
    net = issued_october
    url = f"/invoices/{net.invoice.pk}/payments/new/"
    typed = {"amount": "1.00", "received_on": net.today.isoformat()}
    buyer = UserFactory(organisation=net.domestic, role=Role.CUSTOMER_ADMIN)
    for reader in (buyer, net.ktc_finance):  # they read the invoice, they may not pay into it
        client.force_login(reader)
        assert client.get(url).status_code == 403
        assert client.post(url, typed).status_code == 403
        assert client.post(url, {**typed, "confirmed": "yes"}).status_code == 403
    client.force_login(UserFactory(organisation=net.customer, role=Role.CUSTOMER_ADMIN))
    assert client.get(url).status_code == 404  # another customer's invoice: as if missing
    assert client.post(url, {**typed, "confirmed": "yes"}).status_code == 404
    assert not Payment.objects.exists()


def test_a_payment_is_reversed_on_its_own_page_once_confirmed(issued_october, client):
    net = issued_october
    payment = record_payment(
        invoice=net.invoice,
        amount=Decimal("100.00"),
        received_on=net.today,
        reference="wire 1",
        actor=net.finance,
    )
    url = f"/invoices/{net.invoice.pk}/payments/{payment.pk}/reverse/"
    client.force_login(net.finance)
    assert "Reverse the payment of 100.00 USD" in _html(client.get(url))
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400
    assert 'href="#id_reason">Reason: This field is required.' in _html(refused)
    asked = _confirmation(client.post(url, {"reason": "Bounced"}))
    assert "Reverse the payment of 100.00 USD?" in asked
    assert "<dt>Balance due after it</dt><dd>13,512.90 USD</dd>" in asked
    assert not PaymentReversal.objects.exists()
    back = client.post(url, {"reason": "Bounced", "confirmed": "no"})
    assert 'value="Bounced"' in _html(back) and not PaymentReversal.objects.exists()
    client.post(url, {"reason": "Bounced", "confirmed": "yes"})
    assert PaymentReversal.objects.get().reason == "Bounced"
    again = client.get(url)
    assert "reversed already" in _html(again) and 'name="reason"' not in _html(again)


# --- credit notes --------------------------------------------------------------------------------


@pytest.fixture
def with_sla_credit(october, django_capture_on_commit_callbacks):
    """October with 12 hours down on the lease's path: the domestic invoice has an SLA credit
    line of -1,612.90 (tests/billing/test_sla_credits.py), issued."""
    for segment, start, end in (
        (october.sea, _at(20, 10), _at(20, 20)),
        (october.land, _at(20, 15), _at(20, 22)),
    ):
        Outage.objects.create(
            segment=segment, started_at=start, ended_at=end, description="cut", recorded_by="noc"
        )
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    october.invoice = Invoice.objects.get(customer=october.domestic)
    with django_capture_on_commit_callbacks(execute=True):
        issue_invoice(invoice=october.invoice, actor=finance_of(october.azt))
    october.finance = UserFactory(organisation=october.azt, role=Role.OPERATOR_FINANCE)
    return october


def test_a_line_with_nothing_left_to_credit_is_not_offered_and_never_negative(
    with_sla_credit, client
):
    net = with_sla_credit
    lines = {line.kind: line for line in net.invoice.lines.all()}
    sla, mrc, nrc = lines[LineKind.SLA_CREDIT], lines[LineKind.MRC], lines[LineKind.NRC]
    assert sla.amount == Decimal("-1612.90")
    assert left_to_credit(net.invoice) == {mrc.pk: Decimal("6451.61"), nrc.pk: Decimal("5000.00")}

    client.force_login(net.finance)
    page = _html(client.get(f"/invoices/{net.invoice.pk}/credit-notes/new/"))
    assert f'name="line_{mrc.pk}"' in page and f'name="line_{nrc.pk}"' in page
    assert f'name="line_{sla.pk}"' not in page
    assert "At most 5,000.00 USD is left to credit." in page
    assert "At most -" not in page

    with pytest.raises(DomainError) as refused:
        issue_credit_note(
            invoice=net.invoice, amounts={sla.pk: Decimal("1")}, reason="x", actor=net.finance
        )
    assert refused.value.errors == {f"line_{sla.pk}": ["Nothing is left to credit on this line."]}

    # A line credited in full is no longer offered either.
    issue_credit_note(
        invoice=net.invoice, amounts={nrc.pk: Decimal("5000.00")}, reason="x", actor=net.finance
    )
    assert left_to_credit(net.invoice) == {mrc.pk: Decimal("6451.61")}
    page = _html(client.get(f"/invoices/{net.invoice.pk}/credit-notes/new/"))
    assert f'name="line_{nrc.pk}"' not in page and f'name="line_{mrc.pk}"' in page


def test_a_credit_note_is_refused_at_its_line_then_confirmed_with_its_amount(
    issued_october, client, django_capture_on_commit_callbacks
):
    net = issued_october
    nrc = net.invoice.lines.get(kind=LineKind.NRC)
    url = f"/invoices/{net.invoice.pk}/credit-notes/new/"
    client.force_login(net.finance)

    nothing = client.post(url, {"reason": "Late"})
    assert nothing.status_code == 400
    assert "Give the amount to credit on at least one line." in _html(nothing)
    too_much = client.post(url, {f"line_{nrc.pk}": "5000.01", "reason": "Late"})
    assert too_much.status_code == 400
    assert f'href="#id_line_{nrc.pk}">' in _html(too_much)  # the summary links the line
    assert 'value="5000.01"' in _html(too_much) and 'value="Late"' in _html(too_much)

    typed = {f"line_{nrc.pk}": "500.00", "reason": "Late"}
    asked = _confirmation(client.post(url, typed))
    # 500.00 net + 18% VAT 90.00
    assert "Issue a credit note of 590.00 USD?" in asked
    assert "<dt>VAT</dt><dd>90.00 USD</dd>" in asked
    assert "<dt>Balance due after it</dt><dd>12,922.90 USD</dd>" in asked
    assert not CreditNote.objects.exists()
    back = client.post(url, {**typed, "confirmed": "no"})
    assert 'value="500.00"' in _html(back) and not CreditNote.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**typed, "confirmed": "yes"}, follow=True)
    note = CreditNote.objects.get()
    assert f"Credit note {note.number} issued." in _html(done)
    assert note.number.endswith("-CN-2026-000001")  # the rehearsal took no number


# --- drafts: a manual line, issuing, deleting ----------------------------------------------------


@pytest.fixture
def draft(october, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    october.draft = Invoice.objects.get(customer=october.domestic)
    october.finance = UserFactory(organisation=october.azt, role=Role.OPERATOR_FINANCE)
    return october


def test_a_draft_is_issued_and_deleted_only_once_confirmed(draft, client):
    net = draft
    url = f"/invoices/{net.draft.pk}/"
    client.force_login(net.finance)
    page = _html(client.get(url))
    assert f'href="{url}lines/new/"' in page and f'href="{url}delete/"' in page
    assert 'name="description"' not in page  # the forms are on their own pages

    asked = _confirmation(client.post(url))
    assert "Issue the invoice of 13,512.90 USD to " in asked and "Baku Carrier" in asked
    assert Invoice.objects.get(pk=net.draft.pk).status == "draft"
    assert client.post(url, {"confirmed": "no"})["Location"] == url

    delete = f"{url}delete/"
    refused = client.post(delete, {"reason": ""})
    assert refused.status_code == 400 and "This field is required." in _html(refused)
    asked = _confirmation(client.post(delete, {"reason": "duplicate"}))
    assert "Delete the draft of 13,512.90 USD?" in asked
    assert Invoice.objects.filter(pk=net.draft.pk).exists() and not DeletedDraft.objects.exists()
    back = client.post(delete, {"reason": "duplicate", "confirmed": "no"})
    assert 'value="duplicate"' in _html(back)
    gone = client.post(delete, {"reason": "duplicate", "confirmed": "yes"})
    assert gone["Location"] == "/invoices/" and not Invoice.objects.filter(pk=net.draft.pk).exists()


def test_a_manual_line_keeps_what_was_typed_on_an_error(draft, client):
    net = draft
    url = f"/invoices/{net.draft.pk}/lines/new/"
    client.force_login(net.finance)
    typed = {
        "description": "Remote hands",
        "quantity": "2",
        "unit_price": "75",
        "service_date": "2027-10-12",  # a year after the period: the service refuses it
        "path": net.path.pk,
    }
    refused = client.post(url, typed)
    html = _html(refused)
    assert refused.status_code == 400, html[-2000:]
    assert 'class="error-summary"' in html and 'value="Remote hands"' in html
    assert 'value="2027-10-12"' in html and not net.draft.lines.filter(kind=LineKind.MANUAL)
    typed["service_date"] = "2026-10-12"
    assert client.post(url, typed).status_code == 302
    assert net.draft.lines.get(kind=LineKind.MANUAL).amount == Decimal("150.00")

    issued = Invoice.objects.get(customer=net.customer)
    issue_invoice(invoice=issued, actor=finance_of(net.azt))
    later = client.get(f"/invoices/{issued.pk}/lines/new/")
    assert later.status_code == 200 and "an issued invoice never changes" in _html(later)
    assert 'name="description"' not in _html(later)


# --- billing runs, closing, late adjustments -----------------------------------------------------


def test_billing_is_run_and_a_month_closed_only_once_confirmed(
    october, client, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(organisation=october.azt, role=Role.OPERATOR_FINANCE))
    # The dashboard's "2026-10: not billed yet" leads here with the month: it is offered.
    offered = _html(client.get("/billing/?period=2026-10"))
    assert 'value="2026-10"' in offered and 'id="id_close_period"' in offered
    bad = client.post("/billing/", {"period": "2026-13"})
    assert bad.status_code == 400 and 'value="2026-13"' in _html(bad)
    assert 'href="#id_period">Period: ' in _html(bad)

    asked = _confirmation(client.post("/billing/", {"period": "2026-10"}))
    assert "Run billing for October 2026?" in asked and "Rates the 3 contracts" in asked
    assert not BillingRun.objects.exists() and not Invoice.objects.exists()
    back = client.post("/billing/", {"period": "2026-10", "confirmed": "no"})
    assert 'value="2026-10"' in _html(back) and not BillingRun.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/billing/", {"period": "2026-10", "confirmed": "yes"})
    assert BillingRun.objects.get().status == "done"
    with django_capture_on_commit_callbacks(execute=True):
        for invoice in Invoice.objects.filter(billing_party=october.azt):
            issue_invoice(invoice=invoice, actor=finance_of(october.azt))

    asked = _confirmation(client.post("/billing/close/", {"period": "2026-10"}))
    assert "Close October 2026 for " in asked and "cannot be undone" in asked
    assert not PeriodClose.objects.exists()
    back = client.post("/billing/close/", {"period": "2026-10", "confirmed": "no"})
    assert 'id="id_close_period"' in _html(back) and 'value="2026-10"' in _html(back)
    client.post("/billing/close/", {"period": "2026-10", "confirmed": "yes"})
    assert PeriodClose.objects.get().period == "2026-10"


def test_a_late_adjustment_is_billed_by_a_debit_note_once_confirmed(
    october, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    with django_capture_on_commit_callbacks(execute=True):
        for invoice in Invoice.objects.filter(billing_party=october.azt):
            issue_invoice(invoice=invoice, actor=finance_of(october.azt))
    close_period(period="2026-10", billing_party=october.azt, actor=finance_of(october.azt))
    adjustment = LateAdjustment.objects.create(
        contract=october.transit.contract,
        period="2026-10",
        kind=LateKind.USAGE,
        currency="USD",
        billed_value=Decimal(2_000_000_000),
        current_value=Decimal(2_100_000_000),
        amount=Decimal("1260.00"),
    )
    url = f"/billing/late/{adjustment.pk}/bill/"
    client.force_login(UserFactory(organisation=october.azt, role=Role.OPERATOR_FINANCE))
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400
    assert 'href="#id_reason">Reason: This field is required.' in _html(refused)
    asked = _confirmation(client.post(url, {"reason": "Collector was down"}))
    assert "Issue a debit note of 1,260.00 USD to " in asked
    assert "Amount: <strong>1,260.00 USD before VAT</strong>" in asked
    assert not DebitNote.objects.exists()
    back = client.post(url, {"reason": "Collector was down", "confirmed": "no"})
    assert 'value="Collector was down"' in _html(back)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"reason": "Collector was down", "confirmed": "yes"})
    adjustment.refresh_from_db()
    assert adjustment.status == LateStatus.BILLED and DebitNote.objects.count() == 1
    assert client.get(f"/billing/late/{adjustment.pk}/other/").status_code == 404
    customer = UserFactory(organisation=october.customer, role=Role.CUSTOMER_ADMIN)
    client.force_login(customer)
    assert client.get(url).status_code == 403


def test_what_the_form_offers_is_what_issuing_would_accept(with_sla_credit):
    """``left_to_credit`` (the form's offer, every line at once) and ``_left`` (what issuing
    checks, one line) are one rule: equal on every line, partly credited or giving."""
    from billing.services.credit_notes import _left

    net = with_sla_credit
    mrc = net.invoice.lines.get(kind=LineKind.MRC)
    issue_credit_note(
        invoice=net.invoice, amounts={mrc.pk: Decimal("0.01")}, reason="x", actor=net.finance
    )
    lines = net.invoice.lines.select_related("invoice").prefetch_related("allocations")
    assert left_to_credit(net.invoice) == {
        line.pk: _left(line)[0] for line in lines.order_by("pk") if _left(line)[0] > 0
    }
