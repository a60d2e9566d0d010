"""Settlement between the operators, netted per pair, with its PDF; the revenue report and CSV.

The golden month is billed by AZT; KTC's parts of it (BAK-AKT: 380/800 of each line) are owed
to KTC: MRC 3,064.51 + NRC 2,375.00 + two IRU installments (on signing, dated no later than
the service went live, and on ready for service) of 285,000.00 + O&M 22,800.00 = 598,239.51
(transit at Baku is all AZT's). KTC bills 1,000.00 on the same path, of which AZT's 525.00 is
owed the other way. Net: AZT pays KTC 597,714.51.
"""

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.models import Invoice
from billing.services.drafts import add_manual_line
from billing.services.invoices import issue_invoice
from billing.services.runs import start_run
from billing.services.settlement import revenue_report, settlement_statements
from organisations.choices import Role

from ..factories import OperatorFactory, UserFactory, finance_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("october")]


@pytest.fixture
def settled(october, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    for invoice in Invoice.objects.filter(period="2026-10"):
        issue_invoice(invoice=invoice, actor=finance_of(invoice.billing_party))
    ktc_invoice = Invoice.objects.create(
        billing_party=october.ktc,
        customer=october.domestic,  # in Azerbaijan: reverse charge for KTC
        period="2026-10",
        currency="USD",
    )
    add_manual_line(
        invoice=ktc_invoice,
        description="Backhaul in Aktau",
        quantity=Decimal(1),
        unit_price=Decimal(1000),
        service_date=datetime.date(2026, 10, 10),
        path=october.path,
        actor=finance_of(october.ktc),
    )
    # A draft counts for nothing until it is issued.
    assert settlement_statements(period="2026-10")[0].second_owes == Decimal("0.00")
    issue_invoice(invoice=ktc_invoice, actor=finance_of(october.ktc, "finance@ktc"))
    return october


def test_the_statement_nets_what_each_operator_collected_for_the_other(settled):
    [statement] = settlement_statements(period="2026-10")
    assert (statement.first.name, statement.second.name, statement.currency) == (
        "AZT",
        "KTC",
        "USD",
    )
    assert (statement.first_owes, statement.second_owes) == (
        Decimal("598239.51"),
        Decimal("525.00"),
    )
    assert (statement.payer, statement.payee, statement.net) == (
        settled.azt,
        settled.ktc,
        Decimal("597714.51"),
    )
    assert settlement_statements(period="2026-09") == []
    # A third operator is in no statement of this period.
    assert settlement_statements(period="2026-10", operator=OperatorFactory(name="TTC")) == []


def test_the_revenue_report_splits_issued_revenue_by_operator_and_product(settled):
    rows = {(r["operator"], r["product"]): r["amount"] for r in revenue_report(periods=["2026-10"])}
    assert rows[("KTC", "manual")] == Decimal("475.00")
    assert rows[("AZT", "manual")] == Decimal("525.00")
    assert rows[("KTC", settled.wl100.code)] == Decimal("3064.51") + Decimal("2375.00")
    # Everything invoiced, net of tax, is somebody's revenue, to the cent:
    # 11,451.61 + 649,200.00 + 1,000.00.
    assert sum(rows.values()) == Decimal("1261651.62")
    only_ktc = revenue_report(periods=["2026-10"], operator=settled.ktc)
    assert {r["operator"] for r in only_ktc} == {"KTC"}


def test_finance_staff_see_their_statements_and_pdf_customers_do_not(settled, client):
    ttc_finance = UserFactory(organisation=OperatorFactory(name="TTC"), role=Role.OPERATOR_FINANCE)
    client.force_login(ttc_finance)
    page = client.get("/billing/settlement/?period=2026-10").content.decode()
    assert "Nothing to settle" in page  # not a party to AZT/KTC
    pdf_url = f"/billing/settlement/2026-10/{settled.azt.pk}-{settled.ktc.pk}-USD.pdf"
    assert client.get(pdf_url).status_code == 404
    revenue = client.get("/billing/revenue.csv?year=2026").content.decode()
    assert revenue.splitlines() == ["period,operator,product,currency,amount"]

    client.force_login(UserFactory(organisation=settled.ktc, role=Role.OPERATOR_FINANCE))
    page = client.get("/billing/settlement/?period=2026-10").content.decode()
    assert "AZT pays KTC 597,714.51 USD" in page
    assert client.get("/billing/settlement/?period=2026-13").status_code == 400
    response = client.get(pdf_url)
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "598,239.51 USD" in text and "525.00" in text and "Net: AZT pays KTC" in text
    assert "597,714.51 USD" in text
    rows = client.get("/billing/revenue.csv?year=2026").content.decode().splitlines()
    assert "2026-10,KTC,manual,USD,475.00" in rows
    assert all(",KTC," in row for row in rows[1:])  # only its own revenue
    assert client.get("/billing/revenue/?year=20x6").status_code == 400

    for customer in (settled.domestic, settled.customer):
        client.force_login(UserFactory(organisation=customer, role=Role.CUSTOMER_ADMIN))
        assert client.get("/billing/settlement/?period=2026-10").status_code == 403
        assert client.get(pdf_url).status_code == 403
        assert client.get("/billing/revenue.csv?year=2026").status_code == 403
