"""Payments and credit notes over the API: finance of the billing party records, reverses and
issues; customers read their own; operators sharing the revenue read; nobody sees another
customer's (a table of resources driven through ``tests/isolation.py``)."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from billing.choices import InvoiceStatus, LineKind
from billing.models import CreditNote, Payment
from billing.periods import local_date
from billing.services.credit_notes import issue_credit_note
from billing.services.payments import record_payment
from organisations.choices import Role

from ..conftest import key_client
from ..isolation import assert_api_list_excludes, assert_api_object_isolated

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def world(issued_october, django_capture_on_commit_callbacks):
    """A payment and a credit note on each of two customers' invoices, and a key for each
    party: AZT finance (bills), KTC finance (shares the revenue), both customers."""
    net = issued_october
    with django_capture_on_commit_callbacks(execute=True):
        for invoice in (net.invoice, net.foreign_invoice):
            line = invoice.lines.order_by("pk").first()
            record_payment(
                invoice=invoice,
                amount=Decimal("100.00"),
                received_on=net.today,
                reference=f"wire {invoice.number}",
                actor=net.finance,
            )
            issue_credit_note(
                invoice=invoice,
                amounts={line.pk: Decimal("10.00")},
                reason="goodwill",
                actor=net.finance,
            )
    net.a_payment, net.b_payment = (
        Payment.objects.get(invoice=net.invoice),
        Payment.objects.get(invoice=net.foreign_invoice),
    )
    net.a_note, net.b_note = (
        CreditNote.objects.get(invoice=net.invoice),
        CreditNote.objects.get(invoice=net.foreign_invoice),
    )
    net.azt_api, _ = key_client(net.azt, Role.OPERATOR_FINANCE)
    net.ktc_api, _ = key_client(net.ktc, Role.OPERATOR_FINANCE)
    net.a_api, _ = key_client(net.domestic, Role.CUSTOMER_ADMIN)
    net.b_api, _ = key_client(net.customer, Role.CUSTOMER_ADMIN)
    return net


# Every tenant resource of this module: (name, object of customer B, its URL, POST actions).
RESOURCES = [
    ("payment", "b_payment", "/api/v1/payments/{pk}/"),
    ("credit note", "b_note", "/api/v1/credit-notes/{pk}/"),
    ("credit note PDF", "b_note", "/api/v1/credit-notes/{pk}/pdf/"),
]
LISTS = [("/api/v1/payments/", "b_payment"), ("/api/v1/credit-notes/", "b_note")]


@pytest.mark.parametrize(("name", "attr", "url"), RESOURCES)
def test_customer_a_cannot_see_customer_bs(world, name, attr, url):
    obj = getattr(world, attr)
    detail = url.format(pk=obj.pk)
    assert_api_object_isolated(
        world.a_api, obj=obj, url=detail, missing_url=url.format(pk=999_999), methods=("get",)
    )
    assert world.b_api.get(detail).status_code == 200  # its owner does see it


def test_finance_of_an_operator_not_party_to_the_invoice_gets_404(world):
    from ..factories import OperatorFactory

    outsider, _ = key_client(OperatorFactory(name="Third"), Role.OPERATOR_FINANCE)
    payment = world.b_payment
    assert_api_object_isolated(
        outsider,
        obj=payment,
        url=f"/api/v1/payments/{payment.pk}/",
        missing_url="/api/v1/payments/999999/",
        methods=("get",),
        actions=[f"/api/v1/payments/{payment.pk}/reverse/"],
    )
    assert not payment.is_reversed
    body = {
        "invoice": world.foreign_invoice.pk,
        "amount": "1.00",
        "currency": "USD",
        "received_on": world.today.isoformat(),
    }
    assert outsider.post("/api/v1/payments/", body).status_code == 404
    line = world.foreign_invoice.lines.first()
    note = {
        "invoice": world.foreign_invoice.pk,
        "reason": "x",
        "lines": [{"invoice_line": line.pk, "amount": "1.00"}],
    }
    assert outsider.post("/api/v1/credit-notes/", note).status_code == 404
    assert outsider.get("/api/v1/credit-notes/").json()["count"] == 0


@pytest.mark.parametrize(("url", "attr"), LISTS)
def test_lists_show_each_customer_its_own(world, url, attr):
    foreign = getattr(world, attr)
    rows = assert_api_list_excludes(world.a_api, url, field="id", foreign_values=[foreign.pk])
    assert [row["invoice"] for row in rows] == [world.invoice.pk]
    shared = world.ktc_api.get(url).json()  # KTC shares the revenue of both invoices
    assert shared["count"] == 2
    assert world.a_api.get(url, {"invoice": world.foreign_invoice.pk}).json()["count"] == 0
    assert world.a_api.get(url, {"invoice": "x"}).status_code == 400


def test_reads_show_money_objects_and_hide_staff_names_from_customers(world):
    payment = world.a_api.get(f"/api/v1/payments/{world.a_payment.pk}/").json()
    assert payment["amount"] == {"amount": "100.00", "currency": "USD"}
    assert (payment["invoice_number"], payment["reversed"], payment["reversal"]) == (
        world.invoice.number,
        False,
        None,
    )
    assert payment["recorded_by"] is None
    staff = world.azt_api.get(f"/api/v1/payments/{world.a_payment.pk}/").json()
    assert staff["recorded_by"] == world.finance.username

    note = world.a_api.get(f"/api/v1/credit-notes/{world.a_note.pk}/").json()
    assert note["total"] == {"amount": "11.80", "currency": "USD"}  # 10.00 + VAT 1.80
    assert note["lines"][0]["tax_amount"] == {"amount": "1.80", "currency": "USD"}
    assert note["pdf_ready"] is True and note["issued_by"] is None
    pdf = world.a_api.get(f"/api/v1/credit-notes/{world.a_note.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(b"".join(pdf.streaming_content))).pages[0].extract_text()
    assert world.a_note.number in text

    invoice = world.a_api.get(f"/api/v1/invoices/{world.invoice.pk}/").json()
    assert (invoice["total"], invoice["credited"], invoice["paid"], invoice["balance_due"]) == (
        {"amount": "13512.90", "currency": "USD"},
        {"amount": "11.80", "currency": "USD"},
        {"amount": "100.00", "currency": "USD"},
        {"amount": "13401.10", "currency": "USD"},
    )
    assert all(isinstance(line["id"], int) for line in invoice["lines"])


def _billing_queries(context):
    """The queries of a request but the API key's own bookkeeping (``last_used_at``)."""
    return [q for q in context.captured_queries if "organisations_apikey" not in q["sql"]]


def test_the_invoice_list_reads_balances_without_a_query_per_invoice(world):
    with CaptureQueriesContext(connection) as before:
        assert world.azt_api.get("/api/v1/invoices/").status_code == 200
    for _ in range(3):
        record_payment(
            invoice=world.foreign_invoice,
            amount=Decimal("1.00"),
            received_on=world.today,
            reference="",
            actor=world.finance,
        )
    with CaptureQueriesContext(connection) as after:
        assert world.azt_api.get("/api/v1/invoices/").status_code == 200
    assert len(_billing_queries(after)) == len(_billing_queries(before))


def test_finance_records_a_payment_idempotently_and_bad_input_is_a_4xx(world):
    api = world.azt_api
    body = {
        "invoice": world.invoice.pk,
        "amount": "1000.00",
        "currency": "USD",
        "received_on": world.today.isoformat(),
        "reference": "wire 2",
    }
    first = api.post("/api/v1/payments/", body, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert first.status_code == 201, first.content
    assert first.json()["amount"] == {"amount": "1000.00", "currency": "USD"}
    again = api.post("/api/v1/payments/", body, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert (again.status_code, again.json()) == (201, first.json())
    other = api.post("/api/v1/payments/", {**body, "amount": "5.00"}, HTTP_IDEMPOTENCY_KEY="pay-1")
    assert other.status_code == 422
    assert Payment.objects.filter(invoice=world.invoice).count() == 2
    world.invoice.refresh_from_db()
    assert world.invoice.status == InvoiceStatus.PARTIALLY_PAID
    shown = api.get(f"/api/v1/invoices/{world.invoice.pk}/").json()
    assert (shown["status"], shown["state"]) == ("issued", "partially_paid")  # the contract's four

    # Tomorrow where the billing party is, counted now (the fixture's issue day may be past).
    tomorrow = local_date(timezone.now(), world.azt.time_zone) + datetime.timedelta(days=1)
    tomorrow = tomorrow.isoformat()
    for change, status, field in [
        ({"received_on": tomorrow}, 400, "received_on"),
        ({"received_on": "2020-01-01"}, 400, "received_on"),
        ({"received_on": "2026-02-30"}, 400, "received_on"),
        ({"amount": "abc"}, 400, "amount"),
        ({"amount": "1.001"}, 400, "amount"),
        ({"amount": "NaN"}, 400, "amount"),
        ({"amount": "99999.00"}, 400, "amount"),
        ({"currency": "AZN"}, 400, "currency"),
        ({"invoice": world.invoice.pk + 10_000}, 404, None),
        ({"invoice": "x"}, 400, "invoice"),
    ]:
        response = api.post("/api/v1/payments/", {**body, **change})
        assert response.status_code == status, (change, response.content)
        error = response.json()
        assert set(error) == {"type", "detail", "errors"}
        if field:
            assert list(error["errors"]) == [field], (change, error)
    assert Payment.objects.filter(invoice=world.invoice).count() == 2


@pytest.mark.parametrize("who", ["ktc_api", "a_api"])
def test_only_the_billing_partys_finance_creates_and_reverses(world, who):
    api = getattr(world, who)
    body = {
        "invoice": world.invoice.pk,
        "amount": "1.00",
        "currency": "USD",
        "received_on": world.today.isoformat(),
    }
    assert api.post("/api/v1/payments/", body).status_code == 403
    reverse = api.post(f"/api/v1/payments/{world.a_payment.pk}/reverse/", {"reason": "x"})
    assert reverse.status_code == 403 and reverse.json()["type"] == "permission_denied"
    line = world.invoice.lines.get(kind=LineKind.NRC)
    note = {
        "invoice": world.invoice.pk,
        "reason": "x",
        "lines": [{"invoice_line": line.pk, "amount": "1.00"}],
    }
    assert api.post("/api/v1/credit-notes/", note).status_code == 403
    assert Payment.objects.count() == 2 and CreditNote.objects.count() == 2
    assert not world.a_payment.is_reversed


def test_finance_reverses_a_payment_and_issues_a_credit_note(
    world, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    api = world.azt_api
    url = f"/api/v1/payments/{world.a_payment.pk}/reverse/"
    assert api.post(url, {}).json()["errors"] == {"reason": ["This field is required."]}
    reversed_ = api.post(url, {"reason": "Bounced"})
    assert reversed_.status_code == 200, reversed_.content
    assert reversed_.json()["reversed"] is True
    assert reversed_.json()["reversal"]["reason"] == "Bounced"
    assert reversed_.json()["reversal"]["reversed_by"]
    assert api.post(url, {"reason": "again"}).status_code == 409
    invoice = api.get(f"/api/v1/invoices/{world.invoice.pk}/").json()
    assert invoice["paid"]["amount"] == "0.00" and invoice["balance_due"]["amount"] == "13501.10"

    line = world.invoice.lines.get(kind=LineKind.NRC)
    body = {
        "invoice": world.invoice.pk,
        "reason": "Installation late",
        "lines": [{"invoice_line": line.pk, "amount": "500.00"}],
    }
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/credit-notes/", body, HTTP_IDEMPOTENCY_KEY="cn-1")
    assert created.status_code == 201, created.content
    assert created.json()["total"] == {"amount": "590.00", "currency": "USD"}
    assert api.post("/api/v1/credit-notes/", body, HTTP_IDEMPOTENCY_KEY="cn-1").json() == (
        created.json()
    )
    assert CreditNote.objects.filter(invoice=world.invoice).count() == 2
    beyond_line = {**body, "lines": [{"invoice_line": line.pk, "amount": "4500.01"}]}
    refused = api.post("/api/v1/credit-notes/", beyond_line)
    assert refused.status_code == 400 and list(refused.json()["errors"]) == [f"line_{line.pk}"]
    record_payment(
        invoice=world.invoice,
        amount=Decimal("12900.00"),
        received_on=world.today,
        reference="",
        actor=world.finance,
    )  # 11.10 left due: 10.00 + VAT 1.80 would give back money received
    over_pay = {**body, "lines": [{"invoice_line": line.pk, "amount": "10.00"}]}
    refused = api.post("/api/v1/credit-notes/", over_pay)
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"lines": ["At most 11.10 USD, VAT included."]}
    foreign_line = world.foreign_invoice.lines.first()
    wrong = {**body, "lines": [{"invoice_line": foreign_line.pk, "amount": "1.00"}]}
    assert api.post("/api/v1/credit-notes/", wrong).status_code == 400
    twice = {**body, "lines": [{"invoice_line": line.pk, "amount": "1.00"}] * 2}
    assert api.post("/api/v1/credit-notes/", twice).status_code == 400


def test_keys_without_invoice_rights_are_refused(world):
    network, _ = key_client(world.azt, Role.OPERATOR_NETWORK)
    assert network.get("/api/v1/payments/").status_code == 403
    assert network.get("/api/v1/credit-notes/").status_code == 403


def test_the_schema_documents_payments_and_credit_notes(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path in (
        "/api/v1/payments/",
        "/api/v1/payments/{id}/reverse/",
        "/api/v1/credit-notes/",
        "/api/v1/credit-notes/{id}/",
        "/api/v1/credit-notes/{id}/pdf/",
    ):
        assert path in schema["paths"], path
    invoice = schema["components"]["schemas"]["Invoice"]["properties"]
    assert {"paid", "credited", "balance_due"} <= set(invoice)
