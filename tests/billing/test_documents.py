"""Documents a clerk can audit: each line's quantity x unit price is its amount (a prorated
line shows its days), VAT per line, and a tax summary per rate whose bases add up to the
subtotal. PDFs are read back with pypdf; credit notes are mailed with their PDF."""

import datetime
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core import mail
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from billing.choices import LineKind
from billing.documents import DocumentTotals, line_basis, tax_summary, totals_of
from billing.models import CreditNote
from billing.services.credit_notes import issue_credit_note
from billing.services.runs import invoice_totals
from tcfo_portal.money import Money


def _line(kind, quantity, unit_price, amount, first, until):
    return SimpleNamespace(
        kind=kind,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        amount=Decimal(amount),
        service_date=first,
        service_until=until,
    )


def test_totals_are_money_summed_from_the_rounded_lines_never_rounded_again():
    lines = [
        SimpleNamespace(amount=Decimal("10.25"), tax_amount=Decimal("1.85")),
        SimpleNamespace(amount=Decimal("-2.00"), tax_amount=Decimal("-0.36")),
    ]
    usd = lambda amount: Money(Decimal(amount), "USD")  # noqa: E731
    assert totals_of(lines, "USD") == DocumentTotals(usd("8.25"), usd("1.49"), usd("9.74"))
    empty = totals_of([], "EUR")
    assert empty.total == Money(Decimal("0.00"), "EUR")
    assert str(empty.total.amount) == "0.00"  # printed with the cents, as every amount


def test_a_prorated_mrc_shows_its_days_not_a_rounded_fraction():
    # 17 of 31 days of an MRC of 10,500: 5,758.06 (0.5484 x 10,500 would be 5,758.20).
    line = _line(
        LineKind.MRC,
        "0.5484",
        "10500",
        "5758.06",
        datetime.date(2026, 10, 15),
        datetime.date(2026, 10, 31),
    )
    basis = line_basis(line, period="2026-10", currency="USD")
    assert (basis.quantity, basis.unit_price, basis.days) == ("17/31 days", "10500", (17, 31))


@pytest.mark.parametrize(
    ("kind", "quantity", "unit_price", "amount", "days", "shown"),
    [
        (
            LineKind.TRANSIT_COMMIT,
            "1032.2581",
            "0.45",
            "464.52",
            (16, 31),
            ("2000 x 16/31 days", "0.45"),
        ),
        (LineKind.NRC, "1", "5000.0000", "5000.00", None, ("1", "5000")),
        (LineKind.MRC, "1", "12500", "12500.00", (1, 31), ("1", "12500")),  # the whole month
        (LineKind.TRANSIT_BURST, "1234.5678", "0.6", "740.74", (1, 31), ("1234.5678", "0.6")),
        (LineKind.MANUAL, "3", "0.3333", "1.01", None, ("1", "1.01")),  # 3 x 0.3333 is not 1.01
    ],
)
def test_every_basis_multiplies_to_the_amount(kind, quantity, unit_price, amount, days, shown):
    first = datetime.date(2026, 10, days[0] if days else 1)
    last = datetime.date(2026, 10, days[1]) if days else None
    line = _line(kind, quantity, unit_price, amount, first, last)
    basis = line_basis(line, period="2026-10", currency="USD")
    assert (basis.quantity, basis.unit_price) == shown


@given(
    mrc=st.decimals(min_value=1, max_value=10_000_000, places=2),
    start=st.integers(min_value=1, max_value=31),
    end=st.integers(min_value=1, max_value=31),
)
def test_a_prorated_mrc_basis_is_exact_for_any_price_and_days(mrc, start, end):
    first, last = sorted((start, end))
    days = last - first + 1
    fraction = Decimal(days) / 31
    amount = (mrc * fraction).quantize(Decimal("0.01"), "ROUND_HALF_UP")
    line = _line(
        LineKind.MRC,
        fraction.quantize(Decimal("0.0001")),
        mrc,
        amount,
        datetime.date(2026, 10, first),
        datetime.date(2026, 10, last),
    )
    basis = line_basis(line, period="2026-10", currency="USD")
    if days < 31:
        assert basis.quantity == f"{days}/31 days"
        assert Decimal(basis.unit_price) == mrc
    else:
        product = Decimal(basis.quantity) * Decimal(basis.unit_price)
        assert product.quantize(Decimal("0.01"), "ROUND_HALF_UP") == amount


def test_the_tax_summary_adds_up_per_rate():
    rows = tax_summary(
        [
            (Decimal(18), "", Decimal("100.00"), Decimal("18.00")),
            (Decimal(0), "Reverse charge", Decimal("50.00"), Decimal("0.00")),
            (Decimal(18), "", Decimal("-10.00"), Decimal("-1.80")),
        ]
    )
    assert [(r.rate_text, r.note, r.base, r.tax) for r in rows] == [
        ("0%", "Reverse charge", Decimal("50.00"), Decimal("0.00")),
        ("18%", "", Decimal("90.00"), Decimal("16.20")),
    ]


def _pdf_text(field_file):
    with field_file.open("rb") as pdf:
        reader = PdfReader(io.BytesIO(pdf.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.django_db
def test_the_invoice_pdf_shows_days_vat_per_line_and_the_tax_summary(issued_october):
    invoice = issued_october.invoice
    text = _pdf_text(invoice.pdf)
    # The lease ran 16 of October's 31 days: 16/31 x 12,500 = 6,451.61 (0.5161 x 12,500 would
    # print 6,451.25).
    assert "16/31 days" in text and "6,451.61" in text
    assert "6,451.25" not in text and "0.5161" not in text
    assert "1,161.29" in text and "900.00" in text  # VAT of each line
    totals = invoice_totals(invoice)
    [row] = tax_summary(
        (line.tax_rate, line.tax_note, line.amount, line.tax_amount) for line in invoice.lines.all()
    )
    assert row.base == totals.subtotal.amount == Decimal("11451.61")
    assert row.tax == totals.tax.amount == Decimal("2061.29")
    assert "Tax summary" in text and "18% 11,451.61 USD 2,061.29 USD" in text
    assert "All rates 11,451.61 USD 2,061.29 USD" in text
    assert "Balance due 13,512.90 USD" in text  # nothing was paid when it was issued

    foreign = _pdf_text(issued_october.foreign_invoice.pdf)
    foreign = " ".join(foreign.split())  # the wider base wraps its cell
    assert "Reverse charge" in foreign and "services. 1,249,200.01 USD 0.00 USD" in foreign


@pytest.mark.django_db
def test_a_credit_note_is_mailed_with_its_pdf_to_the_billing_contacts(
    issued_october, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    net = issued_october
    net.domestic.billing_email = "billing@domestic.test"
    net.domestic.save()
    mail.outbox.clear()
    nrc = net.invoice.lines.get(kind=LineKind.NRC)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        note = issue_credit_note(
            invoice=net.invoice,
            amounts={nrc.pk: Decimal("500.00")},
            reason="Installation late",
            actor=net.finance,
        )
    assert callbacks and CreditNote.objects.get(pk=note.pk).pdf
    [message] = mail.outbox
    assert message.to == ["billing@domestic.test"]
    assert note.number in message.subject and "590.00 USD" in message.body
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"{note.number}.pdf", "application/pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert note.number in text and net.invoice.number in text
    assert "18% 500.00 USD 90.00 USD" in text  # the credit note's tax summary
    assert "1 x 5,000.00 = 5,000.00" in text  # what the credited line billed
