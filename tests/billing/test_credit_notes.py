"""Credit notes correct issued invoices: own gapless sequence, tax and operators' parts given back
to the cent, never beyond what was billed; PDF read back; settlement, revenue and what is owed
follow.

The golden month's domestic invoice (AZT): MRC 6,451.61 + VAT 1,161.29, split AZT 3,387.10 /
KTC 3,064.51; NRC 5,000.00 + VAT 900.00 (AZT 2,625.00 / KTC 2,375.00); total 13,512.90.
"""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.choices import LineKind
from billing.models import CreditNote, Invoice
from billing.periods import local_date
from billing.services.credit_notes import credited, issue_credit_note
from billing.services.invoices import issue_invoice
from billing.services.payments import aging, record_payment
from billing.services.runs import start_run
from billing.services.settlement import revenue_report, settlement_statements
from organisations.choices import Role
from tcfo_portal.exceptions import DomainError

from ..factories import UserFactory, finance_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("october")]


@pytest.fixture
def issued(october, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    with django_capture_on_commit_callbacks(execute=True):
        for invoice in Invoice.objects.filter(period="2026-10"):
            issue_invoice(invoice=invoice, actor=finance_of(invoice.billing_party))
    october.invoice = Invoice.objects.get(customer=october.domestic)
    october.finance = UserFactory(organisation=october.azt, role=Role.OPERATOR_FINANCE)
    october.mrc = october.invoice.lines.get(kind=LineKind.MRC)
    october.nrc = october.invoice.lines.get(kind=LineKind.NRC)
    return october


def _parts(credit_line):
    return {a.operator.name: a.amount for a in credit_line.allocations.all()}


def test_a_line_credited_in_two_notes_gives_back_exactly_what_it_billed(issued):
    prefix = issued.azt.invoice_prefix
    first = issue_credit_note(
        invoice=issued.invoice,
        amounts={issued.mrc.pk: Decimal("1000.00")},
        reason="Outage 3-5 Oct",
        actor=issued.finance,
    )
    [line] = first.lines.all()
    # VAT 18% of 1,000.00; parts by what each operator billed: 1000 x 3387.10 / 6451.61.
    assert (first.number, line.amount, line.tax_amount) == (
        f"{prefix}-CN-2026-000001",
        Decimal("1000.00"),
        Decimal("180.00"),
    )
    assert _parts(line) == {"AZT": Decimal("525.00"), "KTC": Decimal("475.00")}

    rest = issue_credit_note(
        invoice=issued.invoice,
        amounts={issued.mrc.pk: Decimal("5451.61")},
        reason="Service never delivered",
        actor=issued.finance,
    )
    [line] = rest.lines.all()
    assert rest.number == f"{prefix}-CN-2026-000002"
    assert line.tax_amount == Decimal("981.29")  # 1,161.29 - 180.00: the line's VAT, exactly
    assert _parts(line) == {"AZT": Decimal("2862.10"), "KTC": Decimal("2589.51")}
    with pytest.raises(DomainError) as refused:
        issue_credit_note(
            invoice=issued.invoice,
            amounts={issued.mrc.pk: Decimal("0.01")},
            reason="again",
            actor=issued.finance,
        )
    assert "Nothing is left to credit on this line." in str(refused.value.errors)

    # What is owed, settled and earned follows the credit.
    assert credited(issued.invoice) == Decimal("7612.90")
    with pytest.raises(DomainError, match=r"Only 5,900\.00 USD"):
        record_payment(
            invoice=issued.invoice,
            amount=Decimal("5900.01"),
            received_on=local_date(issued.invoice.issued_at, issued.azt.time_zone),
            reference="",
            actor=issued.finance,
        )
    owed = {
        r.invoice.pk: r.owed
        for r in aging(billing_party=issued.azt, on=issued.mrc.service_date).rows
    }
    assert owed[issued.invoice.pk] == Decimal("5900.00")
    [statement] = settlement_statements(period="2026-10")
    assert statement.first_owes == Decimal("598239.51") - Decimal("3064.51")
    revenue = {
        (r["operator"], r["product"]): r["amount"] for r in revenue_report(periods=["2026-10"])
    }
    assert revenue[("KTC", issued.wl100.code)] == Decimal("2375.00")  # the NRC's part only


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (Decimal("12.345"), "fractions of a cent"),
        (Decimal("-1.00"), "negative"),
        (Decimal("5000.01"), "more than billed"),
        (Decimal("Infinity"), "infinite"),
        (Decimal("1.00"), "   "),
    ],
)
def test_a_bad_credit_note_is_refused_and_takes_no_number(issued, amount, reason):
    with pytest.raises(DomainError):
        issue_credit_note(
            invoice=issued.invoice,
            amounts={issued.nrc.pk: amount},
            reason=reason,
            actor=issued.finance,
        )
    assert not CreditNote.objects.exists()
    note = issue_credit_note(
        invoice=issued.invoice,
        amounts={issued.nrc.pk: Decimal(1)},
        reason="ok",
        actor=issued.finance,
    )
    assert note.number.endswith("-CN-2026-000001")  # the refused one consumed nothing


def test_drafts_and_other_invoices_lines_are_refused(issued, october):
    draft = Invoice.objects.create(
        billing_party=october.azt, customer=october.other_customer, period="2026-10", currency="USD"
    )
    with pytest.raises(DomainError, match="edit the draft"):
        issue_credit_note(invoice=draft, amounts={1: Decimal(1)}, reason="x", actor=issued.finance)
    foreign = Invoice.objects.get(customer=october.customer)
    with pytest.raises(DomainError) as refused:
        issue_credit_note(
            invoice=foreign, amounts={issued.nrc.pk: Decimal(1)}, reason="x", actor=issued.finance
        )
    assert "Not a line of this invoice" in str(refused.value.errors)


def test_credit_notes_in_the_portal_pdf_and_who_sees_them(
    issued, client, django_capture_on_commit_callbacks
):
    url = f"/invoices/{issued.invoice.pk}/"
    ktc_finance = UserFactory(organisation=issued.ktc, role=Role.OPERATOR_FINANCE)
    client.force_login(ktc_finance)  # shares the revenue, but does not bill it
    new = f"{url}credit-notes/new/"
    line = f"line_{issued.nrc.pk}"
    assert client.get(new).status_code == 403  # reads the invoice, may not credit it
    assert client.post(new, {line: "10", "reason": "x", "confirmed": "yes"}).status_code == 403
    assert not CreditNote.objects.exists()

    client.force_login(UserFactory(organisation=issued.azt, role=Role.OPERATOR_FINANCE))
    assert "Issue a credit note" in client.get(url).content.decode()
    refused = client.post(new, {line: "abc", "reason": "x"})
    assert refused.status_code == 400 and "Enter a number." in refused.content.decode()
    assert 'value="abc"' in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(new, {line: "500.00", "reason": "Installation <b>late</b>", "confirmed": "yes"})
    note = CreditNote.objects.get()
    assert note.pdf and len(note.pdf_sha256) == 64

    buyer = UserFactory(organisation=issued.domestic, role=Role.CUSTOMER_ADMIN)
    client.force_login(buyer)
    page = client.get(url).content.decode()
    assert note.number in page and "Installation &lt;b&gt;late&lt;/b&gt;" in page
    assert "Issue a credit note" not in page
    response = client.get(f"/credit-notes/{note.pk}/pdf/")
    pdf = b"".join(response.streaming_content)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert note.number in text and issued.invoice.number in text
    assert "590.00" in text  # 500.00 + VAT 90.00
    assert "Installation <b>late</b>" in text  # escaped, printed as text

    client.force_login(ktc_finance)
    assert client.get(f"/credit-notes/{note.pk}/pdf/").status_code == 200
    client.force_login(UserFactory(organisation=issued.other_customer, role=Role.CUSTOMER_ADMIN))
    assert client.get(f"/credit-notes/{note.pk}/pdf/").status_code == 404


@pytest.mark.postgres
def test_the_database_refuses_to_change_a_credit_note(issued):
    from django.db import IntegrityError, transaction

    from billing.models import CreditAllocation, CreditNoteLine

    note = issue_credit_note(
        invoice=issued.invoice,
        amounts={issued.nrc.pk: Decimal(100)},
        reason="x",
        actor=issued.finance,
    )
    for change in (
        lambda: CreditNote.objects.filter(pk=note.pk).update(reason="changed"),
        lambda: CreditNoteLine.objects.filter(credit_note=note).update(amount=Decimal(1)),
        lambda: CreditAllocation.objects.filter(line__credit_note=note).delete(),
        lambda: CreditNote.objects.filter(pk=note.pk).delete(),
    ):
        with pytest.raises(IntegrityError, match="cannot"), transaction.atomic():
            change()
    CreditNote.objects.filter(pk=note.pk).update(pdf="credit-notes/x.pdf", pdf_sha256="0" * 64)
    with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic():
        CreditNote.objects.filter(pk=note.pk).update(pdf="credit-notes/y.pdf")
