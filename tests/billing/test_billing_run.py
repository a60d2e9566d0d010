"""A golden month billed by hand to the cent: a lease activated mid-month with its NRC and
domestic VAT, an IRU with an installment and its O&M, transit with burst, reverse charge."""

import datetime
from decimal import Decimal

import pytest

from billing.choices import BillingRunStatus
from billing.models import Invoice, InvoiceLine
from billing.services.runs import invoice_totals, start_run
from organisations.choices import Role

from ..conftest import key_client
from ..factories import finance_of

pytestmark = pytest.mark.django_db


def _lines(invoice):
    return {line.kind: line for line in invoice.lines.all()}


def test_the_golden_month_to_the_cent(october, django_capture_on_commit_callbacks):
    net = october
    with django_capture_on_commit_callbacks(execute=True):  # the chunks are queued after commit
        run, started = start_run(period="2026-10", by="finance")
    assert started
    run.refresh_from_db()
    assert (run.status, run.contracts_total, run.contracts_rated) == (BillingRunStatus.DONE, 3, 3)

    domestic = Invoice.objects.get(customer=net.domestic, period="2026-10")
    lines = _lines(domestic)
    # 16 of 31 days of 12,500.00: 6,451.6129... -> 6,451.61; VAT 18% per line, half-up.
    assert (lines["mrc"].amount, lines["mrc"].tax_amount) == (
        Decimal("6451.61"),
        Decimal("1161.29"),
    )
    assert (lines["nrc"].amount, lines["nrc"].tax_amount) == (Decimal("5000.00"), Decimal("900.00"))
    totals = invoice_totals(domestic)
    assert (totals.subtotal.amount, totals.tax.amount, totals.total.amount) == (
        Decimal("11451.61"),
        Decimal("2061.29"),
        Decimal("13512.90"),
    )

    foreign = Invoice.objects.get(customer=net.customer, period="2026-10")
    lines = _lines(foreign)
    assert lines["transit_commit"].amount == Decimal("900.00")  # 2,000 Mbit/s x 0.45, whole month
    # 95th of 40 samples: rank 38 -> 2,500 Mbit/s; 500 above the commit x 0.60
    assert (lines["transit_burst"].quantity, lines["transit_burst"].amount) == (
        Decimal("500.0000"),
        Decimal("300.00"),
    )
    # Both halves: the order was signed (placed) after the backdated service went live on
    # 5 October, so the signing installment is due on that day too (README "Rating rules").
    # (Sorted by amount: their source keys carry row ids, "installment:10" < "installment:9".)
    installments = foreign.lines.filter(kind="iru_installment").order_by("-amount")
    assert [(i.amount, i.service_date) for i in installments] == [
        (Decimal("600000.01"), datetime.date(2026, 10, 5)),
        (Decimal("600000.00"), datetime.date(2026, 10, 5)),
    ]
    assert lines["om_fee"].amount == Decimal("48000.00")  # 4% of 1,200,000.01
    assert all(
        line.tax_amount == 0 and line.tax_note.startswith("Reverse charge")
        for line in lines.values()
    )
    totals = invoice_totals(foreign)
    assert (totals.subtotal.amount, totals.tax.amount, totals.total.amount) == (
        Decimal("1249200.01"),
        Decimal("0.00"),
        Decimal("1249200.01"),
    )

    # The split: BAK-AKT lines by weight x ownership (AZT 420/800, KTC 380/800);
    # transit at Baku all to AZT.
    mrc_parts = {a.operator.name: a.amount for a in _lines(domestic)["mrc"].allocations.all()}
    assert mrc_parts == {"AZT": Decimal("3387.10"), "KTC": Decimal("3064.51")}
    assert sum(mrc_parts.values()) == Decimal("6451.61")
    assert {a.operator.name: a.amount for a in lines["transit_burst"].allocations.all()} == {
        "AZT": Decimal("300.00")
    }


def test_running_a_period_again_bills_nothing_twice(october, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    lines = InvoiceLine.objects.count()
    assert lines == 7
    with django_capture_on_commit_callbacks(execute=True):
        run, started = start_run(period="2026-10", by="finance")
    assert started  # done runs start again...
    run.refresh_from_db()
    assert (run.status, run.lines_created) == (BillingRunStatus.DONE, 0)  # ...and add nothing
    assert InvoiceLine.objects.count() == lines
    assert Invoice.objects.filter(period="2026-10").count() == 2


def test_billing_runs_and_invoices_over_the_api(october, django_capture_on_commit_callbacks):
    finance = key_client(october.azt, Role.OPERATOR_FINANCE)[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = finance.post("/api/v1/billing-runs/", {"period": "2026-10"}, format="json")
    assert response.status_code == 202
    run = finance.get(f"/api/v1/billing-runs/{response.json()['id']}/").json()
    assert (run["period"], run["status"], run["contracts_rated"]) == ("2026-10", "done", 3)
    assert (
        finance.post("/api/v1/billing-runs/", {"period": "2026-13"}, format="json").status_code
        == 400
    )
    customer = key_client(october.domestic)[0]
    assert (
        customer.post("/api/v1/billing-runs/", {"period": "2026-10"}, format="json").status_code
        == 403
    )

    # A draft is the billing party's finance staff's business: customers never see it.
    assert customer.get("/api/v1/invoices/").json()["count"] == 0
    body = finance.get("/api/v1/invoices/").json()
    assert body["count"] == 2
    (invoice,) = [i for i in body["results"] if i["customer"] == "Baku Carrier"]
    assert customer.get(f"/api/v1/invoices/{invoice['id']}/").status_code == 404
    assert {
        k: invoice[k]
        for k in ("number", "status", "billing_party", "customer", "period", "currency")
    } == {
        "number": None,
        "status": "draft",
        "billing_party": "AZT",
        "customer": "Baku Carrier",
        "period": "2026-10",
        "currency": "USD",
    }
    assert (invoice["subtotal"], invoice["tax"], invoice["total"]) == (
        {"amount": "11451.61", "currency": "USD"},
        {"amount": "2061.29", "currency": "USD"},
        {"amount": "13512.90", "currency": "USD"},
    )
    mrc = next(line for line in invoice["lines"] if line["kind"] == "mrc")
    assert mrc["circuit_id"] == october.lease.circuit_id
    assert mrc["amount"] == {"amount": "6451.61", "currency": "USD"}
    assert mrc["allocations"] == [
        {"operator": "AZT", "amount": "3387.10"},
        {"operator": "KTC", "amount": "3064.51"},
    ]
    # Another customer sees none of it; the operators that share the revenue see it.
    rival = key_client(october.other_customer)[0]
    assert rival.get("/api/v1/invoices/").json()["count"] == 0
    assert rival.get(f"/api/v1/invoices/{invoice['id']}/").status_code == 404
    ktc = key_client(october.ktc, Role.OPERATOR_FINANCE)[0]
    assert ktc.get(f"/api/v1/invoices/{invoice['id']}/").status_code == 200


# --- issuing --------------------------------------------------------------------------------------


@pytest.fixture
def billed(october, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    return october


def test_issuing_numbers_freezes_and_renders_the_pdf_once(
    billed, django_capture_on_commit_callbacks
):
    import hashlib
    import io

    from pypdf import PdfReader

    from billing.models import UsagePercentile
    from billing.periods import local_date
    from billing.services.invoices import issue_invoice, store_invoice_pdf

    first, second = Invoice.objects.filter(period="2026-10").order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        issue_invoice(invoice=second, actor=finance_of(billed.azt))
        issue_invoice(invoice=first, actor=finance_of(billed.azt))
    second.refresh_from_db()
    first.refresh_from_db()
    # Numbers and due dates count in the billing party's calendar (Baku), not UTC's: after
    # 20:00 UTC it is already tomorrow there.
    issued_on = local_date(first.issued_at, billed.azt.time_zone)
    year = issued_on.year
    prefix = billed.azt.invoice_prefix
    assert (second.number, first.number) == (f"{prefix}-{year}-000001", f"{prefix}-{year}-000002")
    assert (first.status, first.due_date - issued_on) == (
        "issued",
        datetime.timedelta(days=30),
    )
    data = first.pdf.read()
    assert hashlib.sha256(data).hexdigest() == first.pdf_sha256
    foreign = Invoice.objects.get(customer=billed.customer)
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(foreign.pdf.read())).pages)
    assert foreign.number in text and "1,249,200.01 USD" in text
    assert "95th" in text and "Reverse charge" in text  # the transit chart and the legal note
    assert UsagePercentile.objects.get(service=billed.transit).frozen_at is not None
    assert store_invoice_pdf(invoice=foreign).pdf_sha256 == foreign.pdf_sha256  # never again
    with pytest.raises(Exception, match="issued already"):
        issue_invoice(invoice=first, actor=finance_of(billed.azt))


@pytest.mark.postgres
def test_the_database_refuses_to_change_an_issued_invoice(
    billed, django_capture_on_commit_callbacks
):
    from django.db import IntegrityError, transaction

    from billing.services.invoices import issue_invoice

    invoice = Invoice.objects.get(customer=billed.domestic)
    issue_invoice(invoice=invoice, actor=finance_of(invoice.billing_party))
    line = invoice.lines.first()
    for change in (
        lambda: Invoice.objects.filter(pk=invoice.pk).update(number="AZT-2026-999999"),
        lambda: Invoice.objects.filter(pk=invoice.pk).update(status="draft"),
        lambda: InvoiceLine.objects.filter(pk=line.pk).update(amount=Decimal("1.00")),
        lambda: line.allocations.all().delete(),
        lambda: Invoice.objects.filter(pk=invoice.pk).delete(),
    ):
        with pytest.raises(IntegrityError, match="issued"), transaction.atomic():
            change()
    Invoice.objects.filter(pk=invoice.pk).update(status="paid")  # what may still happen to it


def test_issuing_over_the_api_is_for_the_billing_partys_finance(
    billed, django_capture_on_commit_callbacks
):
    invoice = Invoice.objects.get(customer=billed.domestic)
    customer = key_client(billed.domestic)[0]
    assert customer.post(f"/api/v1/invoices/{invoice.pk}/issue/").status_code == 403
    ktc = key_client(billed.ktc, Role.OPERATOR_FINANCE)[0]
    assert (
        ktc.post(f"/api/v1/invoices/{invoice.pk}/issue/").status_code == 403
    )  # shares, does not sell
    azt = key_client(billed.azt, Role.OPERATOR_FINANCE)[0]
    assert (
        customer.get(f"/api/v1/invoices/{invoice.pk}/pdf/").status_code == 404
    )  # a draft has none
    with django_capture_on_commit_callbacks(execute=True):
        issued = azt.post(f"/api/v1/invoices/{invoice.pk}/issue/")
    assert issued.status_code == 200
    assert issued.json()["number"].endswith("-000001") and issued.json()["status"] == "issued"
    assert azt.post(f"/api/v1/invoices/{invoice.pk}/issue/").status_code == 409
    pdf = customer.get(f"/api/v1/invoices/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert (
        key_client(billed.other_customer)[0].get(f"/api/v1/invoices/{invoice.pk}/pdf/").status_code
        == 404
    )


def test_the_issued_invoice_is_mailed_with_its_pdf_after_the_commit(
    billed, django_capture_on_commit_callbacks
):
    from django.core import mail

    from billing.services.invoices import issue_invoice

    billed.domestic.billing_email = "ap@baku-carrier.test"
    billed.domestic.save()
    invoice = Invoice.objects.get(customer=billed.domestic)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        issue_invoice(invoice=invoice, actor=finance_of(invoice.billing_party))
    assert mail.outbox == []  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    invoice.refresh_from_db()
    (message,) = mail.outbox
    assert message.to == ["ap@baku-carrier.test"]
    assert message.subject == f"Invoice {invoice.number} from AZT"
    assert "13,512.90 USD" in message.body
    (name, content, kind) = message.attachments[0]
    assert (name, kind) == (f"{invoice.number}.pdf", "application/pdf") and content.startswith(
        b"%PDF"
    )


def test_finance_runs_and_issues_in_the_portal_customers_see_issued_invoices_only(
    october, client, django_capture_on_commit_callbacks
):
    from ..factories import UserFactory

    finance = UserFactory(organisation=october.azt, role=Role.OPERATOR_FINANCE)
    client.force_login(finance)
    assert client.post("/billing/", {"period": "2026-13"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/billing/", {"period": "2026-10"})
        assert "Run billing for October 2026?" in asked.content.decode()
        assert not Invoice.objects.exists()
        confirmed = {"period": "2026-10", "confirmed": "yes"}
        assert client.post("/billing/", confirmed).status_code == 302
    assert "3 / 3" in client.get("/billing/").content.decode()
    invoice = Invoice.objects.get(customer=october.domestic)

    buyer = UserFactory(organisation=october.domestic, role=Role.CUSTOMER_ADMIN)
    client.force_login(buyer)
    assert client.get(f"/invoices/{invoice.pk}/").status_code == 404  # a draft is not shown yet
    assert client.get("/billing/").status_code == 403

    client.force_login(finance)
    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert "13,512.90 USD" in page and "Issue this invoice" in page and "KTC 3,064.51 USD" in page
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(f"/invoices/{invoice.pk}/").content.decode()
        assert "Issue the invoice of 13,512.90 USD to " in asked
        assert Invoice.objects.get(pk=invoice.pk).status == "draft"
        client.post(f"/invoices/{invoice.pk}/", {"confirmed": "yes"})
    invoice.refresh_from_db()
    assert invoice.status == "issued"

    client.force_login(buyer)
    page = client.get(f"/invoices/{invoice.pk}/").content.decode()
    assert invoice.number in page and "KTC" not in page  # customers do not see the split
    assert client.get(f"/invoices/{invoice.pk}/pdf/")["Content-Disposition"].startswith(
        "attachment"
    )
    rows = b"".join(client.get("/invoices.csv").streaming_content).decode().splitlines()
    assert rows[1].startswith(
        f"{invoice.number},issued,AZT,Baku Carrier,2026-10,USD,11451.61,2061.29,13512.90"
    )
    client.force_login(october.rival_user)
    assert client.get(f"/invoices/{invoice.pk}/").status_code == 404
    assert client.get(f"/invoices/{invoice.pk}/pdf/").status_code == 404
    assert invoice.number not in client.get("/invoices/").content.decode()


def test_payments_settle_an_invoice_and_aging_shows_what_is_owed(
    billed, client, django_capture_on_commit_callbacks
):
    from billing.periods import local_date
    from billing.services.invoices import issue_invoice
    from billing.services.payments import aging, record_payment
    from tcfo_portal.exceptions import DomainError

    from ..factories import UserFactory

    finance = UserFactory(organisation=billed.azt, role=Role.OPERATOR_FINANCE)
    invoice = Invoice.objects.get(customer=billed.domestic)
    with pytest.raises(DomainError, match="issued, unpaid"):
        record_payment(
            invoice=invoice,
            amount=Decimal("1.00"),
            received_on=datetime.date(2026, 11, 1),
            reference="",
            actor=finance,
        )
    issue_invoice(invoice=invoice, actor=finance_of(invoice.billing_party))
    invoice.refresh_from_db()
    late = invoice.due_date + datetime.timedelta(days=45)
    received = local_date(invoice.issued_at, billed.azt.time_zone)  # payments are not future
    report = aging(billing_party=billed.azt, on=late)
    assert [(r.invoice, r.owed, r.days_overdue, r.bucket) for r in report.rows] == [
        (invoice, Decimal("13512.90"), 45, "31-60")
    ]

    record_payment(
        invoice=invoice,
        amount=Decimal("10000.00"),
        received_on=received,
        reference="wire 1",
        actor=finance,
    )
    with pytest.raises(DomainError, match=r"Only 3,512\.90 USD is owed"):
        record_payment(
            invoice=invoice,
            amount=Decimal("5000.00"),
            received_on=received,
            reference="",
            actor=finance,
        )
    assert aging(billing_party=billed.azt, on=late).totals() == {
        ("USD", "31-60"): Decimal("3512.90")
    }

    client.force_login(finance)
    response = client.post(
        f"/invoices/{invoice.pk}/payments/new/",
        {
            "amount": "3512.90",
            "received_on": received.isoformat(),
            "reference": "wire 2",
            "confirmed": "yes",
        },
    )
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == "paid"
    assert aging(billing_party=billed.azt, on=late).rows == []
    assert client.get("/billing/aging/").status_code == 200
    client.force_login(UserFactory(organisation=billed.domestic, role=Role.CUSTOMER_ADMIN))
    assert client.get("/billing/aging/").status_code == 403


def test_every_billing_model_has_a_read_only_admin(billed, client):
    from ..factories import UserFactory

    client.force_login(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    for model in (
        "invoice",
        "invoiceline",
        "lineallocation",
        "billingrun",
        "invoicesequence",
        "payment",
        "paymentreversal",
        "taxrate",
        "usageport",
        "usageday",
        "usagebatch",
        "usageevent",
        "usagepercentile",
        "counterstate",
        "removedline",
        "creditnote",
        "creditnoteline",
        "creditallocation",
    ):
        assert client.get(f"/admin/billing/{model}/").status_code == 200, model
    assert client.get("/admin/leasing/outage/").status_code == 200
    invoice = Invoice.objects.first()
    assert client.get(f"/admin/billing/invoice/{invoice.pk}/change/").status_code == 200
    assert client.get("/admin/billing/invoice/add/").status_code == 403
    before = (invoice.status, invoice.period, invoice.currency)
    client.post(f"/admin/billing/invoice/{invoice.pk}/change/", {"period": "2020-01"})
    client.post(f"/admin/billing/invoice/{invoice.pk}/delete/", {"post": "yes"})
    invoice.refresh_from_db()
    assert (invoice.status, invoice.period, invoice.currency) == before
