"""In a real Chromium: a finance clerk records a payment, gets an error at the field with what
was typed kept, corrects it, confirms, and sees the payment on the invoice (issue 15)."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from billing.models import Invoice, Payment
from billing.periods import local_date
from billing.services.balances import balance_of
from billing.services.invoices import issue_invoice
from organisations.models import Organisation
from tcfo_portal.formatting import format_money

from ..factories import finance_of
from .test_network_pages import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_finance_clerk_corrects_a_refused_payment_confirms_it_and_sees_it(live_server, page):
    call_command("load_demo", force=True, stdout=StringIO())
    azt = Organisation.objects.get(invoice_prefix="AZT")
    draft = Invoice.objects.filter(billing_party=azt, status="draft").order_by("pk").first()
    invoice = issue_invoice(invoice=draft, actor=finance_of(azt))
    due = balance_of(invoice).due
    received = local_date(invoice.issued_at, azt.time_zone).isoformat()

    _log_in(page, live_server, "azt-finance")
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    page.get_by_role("link", name="Record a payment").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Record a payment")

    # More than is due: refused at the field, everything typed still there.
    page.get_by_label("Amount").fill(str(due + 1000))
    page.get_by_label("Received on").fill(received)
    page.get_by_label("Reference").fill("SWIFT 4711")
    page.get_by_role("button", name="Record the payment").click()
    summary = page.get_by_test_id("error-summary")
    most = format_money(due, invoice.currency)  # "36,344.00 USD"
    expect(summary).to_contain_text(f"Amount: At most {most}.")
    expect(page.locator("#id_amount ~ .errorlist")).to_have_text(f"At most {most}.")
    expect(page.get_by_label("Amount")).to_have_value(str(due + 1000))
    expect(page.get_by_label("Received on")).to_have_value(received)
    expect(page.get_by_label("Reference")).to_have_value("SWIFT 4711")
    summary.get_by_role("link").click()  # the summary leads to the field
    expect(page).to_have_url(re.compile(r"#id_amount$"))

    # Corrected: asked to confirm, with the amount; nothing recorded until then.
    page.get_by_label("Amount").fill(str(due))
    page.get_by_role("button", name="Record the payment").click()
    amount = format_money(due, invoice.currency)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Record a payment of {amount}?")
    assert not Payment.objects.filter(invoice=invoice).exists()
    page.get_by_role("button", name="Record the payment").click()

    expect(page.get_by_text(f"Payment of {amount} recorded.")).to_be_visible()
    row = page.get_by_test_id("payment")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("SWIFT 4711")
    expect(page.get_by_test_id("invoice-status")).to_have_text("Paid")
    assert Payment.objects.get(invoice=invoice).amount == due
