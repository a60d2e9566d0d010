"""Closed months, late adjustments and debit notes over the API (domain.md 6a).

The scenario is test_closing's: October billed, issued and closed by AZT; late samples posted
through ``/api/v1/usage/samples/`` then make an open late adjustment of customer B's transit.

- debit notes are read like credit notes: customers their own (never another's: a table of
  resources driven through ``tests/isolation.py``), operators those they issue or share in,
  the split and staff names for operators' finance only; mailed with their PDF once stored;
- late adjustments are finance's: the billing party's finance bills (debit or credit note) or
  dismisses them with a reason; customers and network staff are refused (403), another
  operator's finance gets 404 (not its object) and changes nothing;
- finance closes a month for its own organisation: 201, 400 until billed, 409 once closed.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from pypdf import PdfReader

from billing.choices import LateKind, LateStatus
from billing.models import CreditNote, DebitNote, LateAdjustment, PeriodClose
from billing.services.closing import close_period, note_late_outages
from billing.services.debit_notes import bill_late_adjustment
from leasing.models import Outage
from organisations.choices import Role

from ..conftest import key_client, session_client
from ..factories import OperatorFactory, UserFactory
from ..isolation import assert_api_list_excludes, assert_api_object_isolated
from .test_closing import _bill, _issue_all, _late_samples, finance_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def late(october, django_capture_on_commit_callbacks):
    """October billed, issued and closed by AZT; then late usage of customer B's transit
    posted by AZT's collector: one open late adjustment of +300.00 USD. With a key for each
    party: AZT finance (bills), KTC finance (shares revenue), customers A and B."""
    net = october
    _bill("2026-10", django_capture_on_commit_callbacks)
    _issue_all("2026-10", django_capture_on_commit_callbacks)
    net.closing = close_period(period="2026-10", billing_party=net.azt, actor=finance_of(net.azt))
    posted = net.collector.post(
        "/api/v1/usage/samples/", _late_samples(net, 3_000_000_000), format="json"
    )
    assert posted.json()["late"] == [{"circuit_id": net.transit.circuit_id, "period": "2026-10"}]
    net.adjustment = LateAdjustment.objects.get()
    assert (net.adjustment.status, net.adjustment.amount) == (LateStatus.OPEN, Decimal("300.00"))
    net.a_invoice = net.domestic.invoices.get(period="2026-10")
    net.b_invoice = net.customer.invoices.get(period="2026-10")
    net.azt_api, net.azt_key = key_client(net.azt, Role.OPERATOR_FINANCE)
    net.ktc_api, _ = key_client(net.ktc, Role.OPERATOR_FINANCE)
    net.a_api, _ = key_client(net.domestic, Role.CUSTOMER_ADMIN)
    net.b_api, _ = key_client(net.customer, Role.CUSTOMER_ADMIN)
    return net


@pytest.fixture
def billed(late, django_capture_on_commit_callbacks):
    """A debit note for each customer: B's for its late usage, A's for an outage found
    shorter than billed on its lease (+50.00 of SLA credit taken back, AZ VAT 18%)."""
    net = late
    a_adjustment = LateAdjustment.objects.create(
        contract=net.lease.contract,
        period="2026-10",
        kind=LateKind.OUTAGE,
        billed_value=Decimal("87.5"),
        current_value=Decimal(100),
        amount=Decimal("50.00"),
        currency="USD",
    )
    with django_capture_on_commit_callbacks(execute=True):
        net.b_note = bill_late_adjustment(
            adjustment=net.adjustment, reason="Collector was down", actor=finance_of(net.azt)
        )
        net.a_note = bill_late_adjustment(
            adjustment=a_adjustment, reason="Outage corrected", actor=finance_of(net.azt)
        )
    return net


# --- debit notes: tenant isolation -----------------------------------------------------------

# Every tenant resource of debit notes: (name, object of customer B, its URL).
DEBIT_RESOURCES = [
    ("debit note", "/api/v1/debit-notes/{pk}/"),
    ("debit note PDF", "/api/v1/debit-notes/{pk}/pdf/"),
]


@pytest.mark.parametrize(("name", "url"), DEBIT_RESOURCES)
def test_customer_a_never_sees_customer_bs_debit_notes(billed, name, url):
    note = billed.b_note
    detail = url.format(pk=note.pk)
    assert_api_object_isolated(
        billed.a_api, obj=note, url=detail, missing_url=url.format(pk=999_999), methods=("get",)
    )
    assert billed.b_api.get(detail).status_code == 200  # its owner does see it
    assert billed.a_api.get(url.format(pk=billed.a_note.pk)).status_code == 200


def test_debit_note_lists_show_each_customer_its_own(billed):
    url = "/api/v1/debit-notes/"
    a, b = billed.a_note, billed.b_note
    rows = assert_api_list_excludes(billed.a_api, url, field="id", foreign_values=[b.pk])
    assert [row["number"] for row in rows] == [billed.a_note.number]
    rows = assert_api_list_excludes(billed.b_api, url, field="id", foreign_values=[a.pk])
    assert [row["number"] for row in rows] == [billed.b_note.number]
    assert billed.azt_api.get(url).json()["count"] == 2  # issues both
    assert billed.ktc_api.get(url).json()["count"] == 2  # shares the revenue of both invoices
    assert billed.a_api.get(url, {"invoice": billed.b_invoice.pk}).json()["count"] == 0
    assert billed.azt_api.get(url, {"invoice": billed.b_invoice.pk}).json()["count"] == 1
    bad = billed.a_api.get(url, {"invoice": "x"})
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["invoice"]


def test_an_operator_not_party_to_the_invoice_sees_no_debit_note(billed):
    outsider, _ = key_client(OperatorFactory(name="Third"), Role.OPERATOR_FINANCE)
    note = billed.b_note
    assert_api_object_isolated(
        outsider,
        obj=note,
        url=f"/api/v1/debit-notes/{note.pk}/",
        missing_url="/api/v1/debit-notes/999999/",
        methods=("get",),
    )
    assert outsider.get("/api/v1/debit-notes/").json()["count"] == 0
    network, _ = key_client(billed.azt, Role.OPERATOR_NETWORK)  # no invoice rights
    assert network.get("/api/v1/debit-notes/").status_code == 403


def test_a_debit_note_shows_money_lines_and_the_split_to_operators_only(billed):
    note = billed.b_note
    mine = billed.b_api.get(f"/api/v1/debit-notes/{note.pk}/").json()
    assert (mine["number"], mine["invoice"], mine["invoice_number"]) == (
        note.number,
        billed.b_invoice.pk,
        billed.b_invoice.number,
    )
    assert (mine["period"], mine["currency"], mine["reason"]) == (
        "2026-10",
        "USD",
        "Collector was down",
    )
    usd = {"currency": "USD"}
    assert (mine["subtotal"], mine["tax"], mine["total"]) == (
        {"amount": "300.00", **usd},
        {"amount": "0.00", **usd},  # reverse charge: a foreign customer
        {"amount": "300.00", **usd},
    )
    [line] = mine["lines"]
    assert (line["kind"], line["circuit_id"], line["amount"], line["tax_amount"]) == (
        "transit_burst",
        billed.transit.circuit_id,
        {"amount": "300.00", **usd},
        {"amount": "0.00", **usd},
    )
    assert line["allocations"] == [] and mine["issued_by"] is None  # the consortium's business
    assert mine["pdf_ready"] is True and mine["due_date"]

    staff = billed.azt_api.get(f"/api/v1/debit-notes/{note.pk}/").json()
    assert staff["issued_by"] == "finance test"
    assert staff["lines"][0]["allocations"] == [{"operator": "AZT", "amount": "300.00"}]

    domestic = billed.a_api.get(f"/api/v1/debit-notes/{billed.a_note.pk}/").json()
    assert (domestic["subtotal"]["amount"], domestic["tax"]["amount"]) == ("50.00", "9.00")
    assert domestic["total"] == {"amount": "59.00", **usd}
    split = billed.ktc_api.get(f"/api/v1/debit-notes/{billed.a_note.pk}/").json()
    parts = split["lines"][0]["allocations"]
    assert sum(Decimal(p["amount"]) for p in parts) == Decimal("50.00")
    assert {"AZT", "KTC"} == {p["operator"] for p in parts}


def test_the_debit_note_pdf_is_served_to_its_customer(billed):
    note = billed.b_note
    response = billed.b_api.get(f"/api/v1/debit-notes/{note.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages[0].extract_text()
    assert note.number in text and billed.b_invoice.number in text and "300.00" in text


def test_a_debit_note_not_rendered_yet_has_no_pdf(late):
    # billed without running what follows the commit: its PDF is not rendered yet
    note = bill_late_adjustment(
        adjustment=late.adjustment, reason="Collector was down", actor=finance_of(late.azt)
    )
    assert late.b_api.get(f"/api/v1/debit-notes/{note.pk}/").json()["pdf_ready"] is False
    pending = late.b_api.get(f"/api/v1/debit-notes/{note.pk}/pdf/")
    assert pending.status_code == 404 and pending.json()["type"] == "not_found"


def test_a_debit_note_is_mailed_with_its_pdf_to_the_billing_contacts(
    late, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    net = late
    net.customer.billing_email = "billing@buyer.test"
    net.customer.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = net.azt_api.post(
            f"/api/v1/late-adjustments/{net.adjustment.pk}/bill/",
            {"reason": "Collector was down"},
            format="json",
        )
    assert response.status_code == 201, response.content
    note = DebitNote.objects.get(pk=response.json()["document"]["id"])
    assert note.pdf
    [message] = mail.outbox
    assert message.to == ["billing@buyer.test", "noc@buyer.test"]
    assert note.number in message.subject and "300.00 USD" in message.body
    assert net.b_invoice.number in message.body and "Collector was down" in message.body
    [(name, content, mimetype)] = message.attachments
    assert (name, mimetype) == (f"{note.number}.pdf", "application/pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert note.number in text and net.b_invoice.number in text and "300.00" in text


# --- late adjustments ------------------------------------------------------------------------


def test_late_adjustments_are_finance_only(late):
    network, _ = key_client(late.azt, Role.OPERATOR_NETWORK)
    pk = late.adjustment.pk
    for api in (late.a_api, late.b_api, network):
        for response in (
            api.get("/api/v1/late-adjustments/"),
            api.get(f"/api/v1/late-adjustments/{pk}/"),
            api.post(f"/api/v1/late-adjustments/{pk}/bill/", {"reason": "x"}, format="json"),
            api.post(f"/api/v1/late-adjustments/{pk}/dismiss/", {"reason": "x"}, format="json"),
        ):
            assert response.status_code == 403, response.content
            assert response.json()["type"] == "permission_denied"
    late.adjustment.refresh_from_db()
    assert late.adjustment.status == LateStatus.OPEN


def test_another_operators_finance_neither_sees_nor_decides_azts_adjustments(late):
    adjustment = late.adjustment
    url = f"/api/v1/late-adjustments/{adjustment.pk}/"
    assert_api_object_isolated(
        late.ktc_api,
        obj=adjustment,
        url=url,
        missing_url="/api/v1/late-adjustments/999999/",
        methods=("get",),
        actions=[f"{url}bill/", f"{url}dismiss/"],
    )
    for decision in ("bill", "dismiss"):
        response = late.ktc_api.post(f"{url}{decision}/", {"reason": "mine"}, format="json")
        assert response.status_code == 404
    assert late.ktc_api.get("/api/v1/late-adjustments/").json()["count"] == 0
    assert not DebitNote.objects.exists()
    adjustment.refresh_from_db()
    assert adjustment.status == LateStatus.OPEN


def test_finance_lists_and_reads_its_late_adjustments(late):
    api = late.azt_api
    listed = api.get("/api/v1/late-adjustments/").json()
    assert listed["count"] == 1
    [row] = listed["results"]
    assert row == api.get(f"/api/v1/late-adjustments/{late.adjustment.pk}/").json()
    assert (row["period"], row["kind"], row["status"], row["circuit_id"]) == (
        "2026-10",
        "usage",
        "open",
        late.transit.circuit_id,
    )
    assert (row["billing_party"], row["customer"]) == ("AZT", late.customer.name)
    assert (row["billed_value"], row["current_value"]) == ("2500000000.000", "3000000000.000")
    assert row["amount"] == {"amount": "300.00", "currency": "USD"}
    assert (row["debit_note"], row["resolved_at"], row["reason"]) == (None, None, "")
    assert api.get("/api/v1/late-adjustments/", {"status": "billed"}).json()["count"] == 0
    assert api.get("/api/v1/late-adjustments/", {"period": "2026-09"}).json()["count"] == 0
    assert api.get("/api/v1/late-adjustments/", {"period": "2026-10"}).json()["count"] == 1
    for query, field in (({"status": "closed"}, "status"), ({"period": "10-2026"}, "period")):
        bad = api.get("/api/v1/late-adjustments/", query)
        assert bad.status_code == 400 and list(bad.json()["errors"]) == [field]
    admin = session_client(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    assert admin.get("/api/v1/late-adjustments/").json()["count"] == 1


def test_finance_bills_a_late_adjustment_by_a_debit_note(late, django_capture_on_commit_callbacks):
    api = late.azt_api
    url = f"/api/v1/late-adjustments/{late.adjustment.pk}/"
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        refused = api.post(f"{url}bill/", body, format="json")
        assert refused.status_code == 400, body
        assert set(refused.json()) == {"type", "detail", "errors"}
        assert list(refused.json()["errors"]) == ["reason"]
    assert not DebitNote.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        billed = api.post(
            f"{url}bill/", {"reason": "Collector was down"}, HTTP_IDEMPOTENCY_KEY="b1"
        )
    assert billed.status_code == 201, billed.content
    note = DebitNote.objects.get()
    body = billed.json()
    assert body["document"] == {"type": "debit_note", "id": note.pk, "number": note.number}
    adjustment = body["adjustment"]
    assert (adjustment["status"], adjustment["reason"], adjustment["resolved_by"]) == (
        "billed",
        "Collector was down",
        f"API key {late.azt_key.prefix} (AZT)",
    )
    assert adjustment["debit_note"] == body["document"]
    assert adjustment["resolved_at"] is not None
    assert api.get(url).json() == adjustment
    replay = api.post(f"{url}bill/", {"reason": "Collector was down"}, HTTP_IDEMPOTENCY_KEY="b1")
    assert (replay.status_code, replay.json()) == (201, body)
    assert DebitNote.objects.count() == 1

    for decision in ("bill", "dismiss"):
        again = api.post(f"{url}{decision}/", {"reason": "twice"}, format="json")
        assert again.status_code == 409 and again.json()["type"] == "invalid_transition"
    assert DebitNote.objects.count() == 1
    assert api.get(f"/api/v1/debit-notes/{note.pk}/").json()["total"]["amount"] == "300.00"


def test_finance_dismisses_a_late_adjustment_with_a_reason(late):
    api = late.azt_api
    url = f"/api/v1/late-adjustments/{late.adjustment.pk}/dismiss/"
    refused = api.post(url, {}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {"reason": ["This field is required."]}
    dismissed = api.post(url, {"reason": "Within tolerance"}, format="json")
    assert dismissed.status_code == 200, dismissed.content
    body = dismissed.json()
    assert (body["status"], body["reason"], body["debit_note"]) == (
        "dismissed",
        "Within tolerance",
        None,
    )
    assert body["resolved_by"] and body["resolved_at"]
    again = api.post(url, {"reason": "again"}, format="json")
    assert again.status_code == 409 and set(again.json()) == {"type", "detail", "errors"}
    assert api.get("/api/v1/late-adjustments/", {"status": "dismissed"}).json()["count"] == 1
    assert not DebitNote.objects.exists()


def test_an_amount_given_back_is_billed_by_a_credit_note(late, django_capture_on_commit_callbacks):
    net = late
    Outage.objects.create(
        segment=net.path.ordered_segments()[0],
        started_at=datetime.datetime(2026, 10, 20, 0, 0, tzinfo=datetime.UTC),
        ended_at=datetime.datetime(2026, 10, 22, 0, 0, tzinfo=datetime.UTC),
        description="Cable cut, recorded late",
        recorded_by="noc",
    )
    assert note_late_outages() == 1
    adjustment = LateAdjustment.objects.get(kind=LateKind.OUTAGE)
    assert adjustment.amount < 0
    with django_capture_on_commit_callbacks(execute=True):
        response = net.azt_api.post(
            f"/api/v1/late-adjustments/{adjustment.pk}/bill/",
            {"reason": "SLA credit owed"},
            format="json",
        )
    assert response.status_code == 201, response.content
    note = CreditNote.objects.get(reason="SLA credit owed")
    assert response.json()["document"] == {
        "type": "credit_note",
        "id": note.pk,
        "number": note.number,
    }
    assert response.json()["adjustment"]["status"] == "billed"
    assert response.json()["adjustment"]["debit_note"] is None
    assert note.invoice == net.a_invoice and not DebitNote.objects.exists()
    shown = net.a_api.get(f"/api/v1/credit-notes/{note.pk}/").json()
    assert Decimal(shown["subtotal"]["amount"]) == -adjustment.amount


def test_an_adjustment_that_changes_no_amount_is_not_billed(late):
    LateAdjustment.objects.filter(pk=late.adjustment.pk).update(amount=Decimal("0.00"))
    response = late.azt_api.post(
        f"/api/v1/late-adjustments/{late.adjustment.pk}/bill/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 400 and "dismiss it instead" in response.json()["detail"]
    assert not DebitNote.objects.exists()


# --- closing a month -------------------------------------------------------------------------


def test_finance_lists_the_months_it_closed_with_their_settlement(late):
    listed = late.azt_api.get("/api/v1/period-closes/").json()
    [close] = listed["results"]
    assert close == late.azt_api.get(f"/api/v1/period-closes/{late.closing.pk}/").json()
    assert (close["period"], close["billing_party"], close["closed_by"]) == (
        "2026-10",
        "AZT",
        "finance test",
    )
    assert close["closed_at"]
    [statement] = close["settlement"]
    assert (statement["first"], statement["second"]) == ("AZT", "KTC")
    assert statement["first_owes"] == {"amount": "598239.51", "currency": "USD"}
    assert late.ktc_api.get("/api/v1/period-closes/").json()["count"] == 0  # AZT's, not KTC's
    missing = late.ktc_api.get(f"/api/v1/period-closes/{late.closing.pk}/")
    assert missing.status_code == 404
    for api in (late.a_api, key_client(late.azt, Role.OPERATOR_NETWORK)[0]):
        assert api.get("/api/v1/period-closes/").status_code == 403


def test_finance_closes_a_month_for_its_own_organisation(late):
    created = late.ktc_api.post(
        "/api/v1/period-closes/", {"period": "2026-10"}, format="json", HTTP_IDEMPOTENCY_KEY="c1"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["period"], body["billing_party"]) == ("2026-10", "KTC")
    assert body["closed_by"] and body["closed_at"] and isinstance(body["settlement"], list)
    replay = late.ktc_api.post(
        "/api/v1/period-closes/", {"period": "2026-10"}, format="json", HTTP_IDEMPOTENCY_KEY="c1"
    )
    assert (replay.status_code, replay.json()) == (201, body)
    again = late.ktc_api.post("/api/v1/period-closes/", {"period": "2026-10"}, format="json")
    assert again.status_code == 409 and again.json()["type"] == "conflict"
    assert PeriodClose.objects.filter(billing_party=late.ktc).count() == 1

    azt = late.azt_api.post("/api/v1/period-closes/", {"period": "2026-10"}, format="json")
    assert azt.status_code == 409  # closed by the fixture


def test_a_month_not_ended_or_not_billed_is_not_closed_and_others_are_refused(late):
    api = late.azt_api
    for period, field in (
        ("2026-11", "period"),  # not ended in Baku
        ("2026-09", None),  # never billed
        ("2026-13", "period"),
        ("Oct 2026", "period"),
    ):
        response = api.post("/api/v1/period-closes/", {"period": period}, format="json")
        assert response.status_code == 400, (period, response.content)
        assert set(response.json()) == {"type", "detail", "errors"}
        if field:
            assert list(response.json()["errors"]) == [field], period
    assert api.post("/api/v1/period-closes/", {}, format="json").status_code == 400
    for client in (late.a_api, key_client(late.azt, Role.OPERATOR_NETWORK)[0]):
        refused = client.post("/api/v1/period-closes/", {"period": "2026-10"}, format="json")
        assert refused.status_code == 403 and refused.json()["type"] == "permission_denied"
    admin = session_client(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    refused = admin.post("/api/v1/period-closes/", {"period": "2026-10"}, format="json")
    assert refused.status_code == 403  # closes for a billing party: its own finance staff
    assert admin.get("/api/v1/period-closes/").json()["count"] == 1
    assert PeriodClose.objects.count() == 1


def test_a_month_with_drafts_is_not_closed(october, django_capture_on_commit_callbacks):
    _bill("2026-10", django_capture_on_commit_callbacks)
    api, _ = key_client(october.azt, Role.OPERATOR_FINANCE)
    response = api.post("/api/v1/period-closes/", {"period": "2026-10"}, format="json")
    assert response.status_code == 400 and "still drafts" in response.json()["detail"]
    assert not PeriodClose.objects.exists()


def test_the_schema_documents_closing_late_adjustments_and_debit_notes(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/schema/").content)
    for path in (
        "/api/v1/debit-notes/",
        "/api/v1/debit-notes/{id}/",
        "/api/v1/debit-notes/{id}/pdf/",
        "/api/v1/late-adjustments/",
        "/api/v1/late-adjustments/{id}/",
        "/api/v1/late-adjustments/{id}/bill/",
        "/api/v1/late-adjustments/{id}/dismiss/",
        "/api/v1/period-closes/",
    ):
        assert path in schema["paths"], path
    components = schema["components"]["schemas"]
    assert {"lines", "total", "pdf_ready"} <= set(components["DebitNote"]["properties"])
    assert "allocations" in components["DebitNoteLine"]["properties"]
    assert "201" in schema["paths"]["/api/v1/period-closes/"]["post"]["responses"]
