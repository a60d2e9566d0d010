"""One formatting on billing's pages, PDFs and e-mails (``tcfo_portal.formatting``): money
with thousands grouped and its currency, bit rates in their unit, VAT rates once, moments with
their zone. PDFs are read back with pypdf."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core import mail
from pypdf import PdfReader

from billing.choices import LineKind
from billing.services.credit_notes import issue_credit_note
from billing.services.invoices import invoice_pdf, mail_invoice

pytestmark = pytest.mark.django_db
RAW_RATE = re.compile(r"\d{4,} bit/s")  # 1959787040 bit/s: a rate never formatted
BARE_AMOUNT = re.compile(r"(?<![\d,.])\d{4,}\.\d\d(?!\d)")  # 12500.00: thousands not grouped


def _words(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_invoice_pdf_groups_money_and_shows_each_vat_rate_once_with_base_and_amount(
    issued_october,
):
    with issued_october.invoice.pdf.open("rb") as pdf:
        text = _words(pdf.read())
    # A lease of 16 of October's 31 days at 12,500.00 a month, and the one-off charge.
    assert "16/31 days 12,500.00 6,451.61 18% 1,161.29" in text
    assert "1 5,000.00 5,000.00 18% 900.00" in text
    # The tax summary: the rate once, its taxable base and its VAT amount.
    assert "VAT rate Taxable base VAT amount" in text
    assert "18% 11,451.61 USD 2,061.29 USD" in text
    assert "VAT 18%" not in text  # the rate is not written twice
    assert "All rates 11,451.61 USD 2,061.29 USD" in text
    assert "Total 13,512.90 USD" in text and "Balance due 13,512.90 USD" in text
    assert not BARE_AMOUNT.search(text), BARE_AMOUNT.findall(text)


def test_the_invoice_pdf_of_transit_shows_the_95th_as_bit_rates(issued_october):
    text = _words(invoice_pdf(issued_october.foreign_invoice))
    # 30 buckets at 1 Gbit/s and 10 at 2.5 Gbit/s: the 95th is 2.5 Gbit/s in, 625 Mbit/s out.
    assert "95th in 2.5 Gbit/s, out 625 Mbit/s; billed 2.5 Gbit/s" in text
    assert not RAW_RATE.search(text), RAW_RATE.findall(text)
    # The committed 2,000 Mbit/s at 0.45 a Mbit/s, the burst's 500 Mbit/s at 0.60.
    assert "committed 2,000 Mbit/s, 2026-10 2,000 0.45 900.00 0% 0.00" in text
    assert "95th 2,500 Mbit/s, 2026-10 500 0.60 300.00 0% 0.00" in text
    assert "due 5 Oct 2026 1 600,000.01 600,000.01" in text
    # Reverse charge: the rate once, the legal note beside it, the base and the VAT.
    assert re.search(r"0% Reverse charge: .*? 1,249,\d{3}\.\d\d USD 0\.00 USD", text)
    # The chart's axis: nice ticks up to 2.5 Gbit/s (not 5), labelled by format_bitrate.
    assert "0 bit/s 500 Mbit/s 1 Gbit/s 1.5 Gbit/s 2 Gbit/s 2.5 Gbit/s 01 Oct" in text


def test_the_invoice_page_formats_amounts_and_moments(issued_october, client):
    net = issued_october
    client.force_login(net.finance)
    page = client.get(f"/invoices/{net.invoice.pk}/").content.decode()
    assert 'data-testid="invoice-total">13,512.90 USD' in page
    assert 'data-testid="invoice-paid">0.00 USD' in page
    assert 'data-testid="invoice-balance-due">13,512.90 USD' in page
    assert "<td>18%</td>" in page and "11,451.61 USD" in page and "2,061.29 USD" in page
    assert '<td class="num">12,500.00</td>' in page  # the unit price, in USD (the header)
    assert "Unit price (USD)" in page


def test_the_credit_note_pdf_and_e_mail_format_money(
    issued_october, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    net = issued_october
    net.domestic.billing_email = "billing@domestic.test"
    net.domestic.save()
    mail.outbox.clear()
    lease = net.invoice.lines.get(kind=LineKind.MRC)
    with django_capture_on_commit_callbacks(execute=True):
        issue_credit_note(
            invoice=net.invoice,
            amounts={lease.pk: Decimal("1500.00")},
            reason="Late delivery",
            actor=net.finance,
        )
    [message] = mail.outbox
    assert "1,770.00 USD given back, VAT included (270.00 USD)" in message.body
    text = _words(message.attachments[0][1])
    assert "16/31 days x 12,500.00 = 6,451.61 1,500.00 18% 270.00" in text
    assert "18% 1,500.00 USD 270.00 USD" in text
    assert "Total credited 1,770.00 USD" in text
    assert not BARE_AMOUNT.search(text), BARE_AMOUNT.findall(text)


def test_the_invoice_e_mail_formats_the_total_and_the_due_date(issued_october, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    invoice = issued_october.invoice
    invoice.customer.billing_email = "billing@domestic.test"
    invoice.customer.save()
    mail.outbox.clear()
    assert mail_invoice(invoice=invoice) == 1
    due = invoice.due_date
    assert f"13,512.90 USD, due on {due.day} {due:%b %Y}." in mail.outbox[0].body


def test_the_invoice_pdf_e_mail_and_page_name_the_month_in_words(issued_october, settings, client):
    invoice = issued_october.invoice
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    invoice.customer.billing_email = "billing@domestic.test"
    invoice.customer.save()
    mail.outbox.clear()
    mail_invoice(invoice=invoice)
    assert f"{invoice.number} of " in mail.outbox[0].body
    assert " for October 2026:" in mail.outbox[0].body
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as pdf:
        text = _words(pdf.read())
    assert "Period October 2026 ·" in text and "Period 2026-10" not in text
    client.force_login(issued_october.finance)
    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert f"{invoice.customer.legal_name}, October 2026" in page
