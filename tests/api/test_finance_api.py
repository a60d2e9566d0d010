"""helper E, a complete API: operators' finance reports (settlement statements with their PDF,
revenue, aging), manual lines on drafts, missing PDFs and the audit log, each answering what the
portal's page shows, to whom it shows it. Isolation is tests/tenancy_table.py's; query counts
tests/test_query_counts.py's; idempotency tests/api/test_idempotency.py's."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pypdf import PdfReader
from rest_framework.test import APIClient

from billing.models import Invoice
from billing.services.payments import aging
from billing.services.settlement import revenue_report, settlement_statements
from organisations.choices import Role

from ..conftest import key_client
from ..factories import UserFactory
from ..worlds import built_once, tenant_world

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def module_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("finance-api-media")


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any, module_media: Path) -> SimpleNamespace:
    with built_once(django_db_blocker, module_media):
        yield tenant_world()


@pytest.fixture(autouse=True)
def _media_root(settings: Any, module_media: Path) -> None:
    settings.MEDIA_ROOT = module_media


def _finance(w: SimpleNamespace, org: Any = None) -> APIClient:
    return key_client(org or w.azt, Role.OPERATOR_FINANCE)[0]


# --- settlement statements ------------------------------------------------------------------------


def test_settlement_statements_are_the_portals_for_each_party(world):
    [expected] = settlement_statements(period="2026-10", operator=world.azt)
    body = _finance(world).get("/api/v1/settlement-statements/?period=2026-10").json()
    assert body["count"] == 1
    [row] = body["results"]
    pair = f"{expected.first.pk}-{expected.second.pk}-{expected.currency}"
    assert row["id"] == f"2026-10/{pair}"
    assert row["first"] == {"id": expected.first.pk, "name": expected.first.name}
    assert row["first_owes"] == {"amount": str(expected.first_owes), "currency": "USD"}
    assert row["net"] == {"amount": str(expected.net), "currency": "USD"}
    assert row["payer"] == (expected.payer.name if expected.payer else None)
    # the other party reads the same statement; an operator party to none of it, none
    other = expected.second if expected.first == world.azt else expected.first
    assert _finance(world, other).get("/api/v1/settlement-statements/?period=2026-10").json()[
        "results"
    ] == [row]
    third = _finance(world, world.third).get("/api/v1/settlement-statements/?period=2026-10")
    assert third.json()["count"] == 0


def test_a_statement_lists_the_documents_behind_it_and_its_pdf_reads_back(world):
    [statement] = settlement_statements(period="2026-10", operator=world.azt)
    url = f"/api/v1/settlement-statements/2026-10/{statement.first.pk}-{statement.second.pk}-USD/"
    client = _finance(world)
    body = client.get(url).json()
    numbers = {document["number"] for document in body["documents"]}
    assert world.a_invoice.number in numbers
    assert sum(Decimal(d["amount"]["amount"]) for d in body["documents"]) == (
        statement.first_owes + statement.second_owes
    )
    pdf = client.get(url + "pdf/")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert statement.first.name in text and statement.second.name in text
    assert world.a_invoice.number in text
    generic = client.get(url + "pdf/", HTTP_ACCEPT="application/octet-stream")
    assert generic["Content-Type"] == "application/octet-stream"
    refused = client.get(url + "pdf/", HTTP_ACCEPT="text/html")
    assert (refused.status_code, refused.json()["type"]) == (406, "not_acceptable")


def test_settlement_and_revenue_are_for_finance_staff(world):
    for role, org in ((Role.CUSTOMER_ADMIN, world.a), (Role.OPERATOR_NETWORK, world.azt)):
        client = key_client(org, role)[0]
        for url in ("/api/v1/settlement-statements/", "/api/v1/revenue/", "/api/v1/aging/"):
            response = client.get(url)
            assert response.status_code == 403, (role, url)
            assert response.json()["type"] == "permission_denied"


def test_a_bad_period_is_a_400_naming_it(world):
    response = _finance(world).get("/api/v1/settlement-statements/?period=2026-13")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["period"]
    missing = _finance(world).get("/api/v1/settlement-statements/2026-13/1-2-USD/")
    assert missing.status_code == 404


# --- revenue and aging ----------------------------------------------------------------------------


def test_revenue_is_the_report_of_the_callers_operator(world):
    expected = revenue_report(periods=[f"2026-{m:02d}" for m in range(1, 13)], operator=world.azt)
    rows = _finance(world).get("/api/v1/revenue/?year=2026&page_size=500").json()["results"]
    assert rows == [
        {
            "period": row["period"],
            "operator": row["operator"],
            "product": row["product"],
            "amount": {"amount": str(row["amount"]), "currency": row["currency"]},
        }
        for row in expected
    ]
    assert rows and {row["operator"] for row in rows} == {world.azt.name}
    product = rows[0]["product"]
    narrowed = _finance(world).get(f"/api/v1/revenue/?year=2026&product={product}").json()
    assert {row["product"] for row in narrowed["results"]} == {product}
    bad = _finance(world).get("/api/v1/revenue/?year=1999")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["year"]


def test_aging_lists_the_open_invoices_with_their_balance(world):
    report = aging(billing_party=world.azt)
    rows = _finance(world).get("/api/v1/aging/").json()["results"]
    assert [row["invoice"] for row in rows] == [row.invoice.pk for row in report.rows]
    mine = next(row for row in rows if row["invoice"] == world.a_invoice.pk)
    expected = next(row for row in report.rows if row.invoice == world.a_invoice)
    assert mine["owed"] == {"amount": str(expected.owed), "currency": "USD"}
    assert mine["bucket"] == expected.bucket
    other = "31-60" if expected.bucket == "0-30" else "0-30"
    assert _finance(world).get(f"/api/v1/aging/?bucket={other}").json()["count"] == 0
    bad = _finance(world).get("/api/v1/aging/?bucket=soon")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["bucket"]
    # the third operator issued none of them
    assert _finance(world, world.third).get("/api/v1/aging/").json()["count"] == 0


# --- drafts: manual lines, missing PDFs -----------------------------------------------------------


def _draft(w: SimpleNamespace) -> Invoice:
    return Invoice.objects.create(
        billing_party=w.azt, customer=w.a, period="2026-11", currency="USD"
    )


LINE = {
    "description": "Cross-connect",
    "quantity": "2",
    "unit_price": "150.00",
    "service_date": "2026-11-02",
    "path": "BAK-AKT",
}


def test_finance_adds_and_removes_a_manual_line_on_a_draft(world):
    draft, client = _draft(world), _finance(world)
    added = client.post(f"/api/v1/invoices/{draft.pk}/lines/", LINE, format="json")
    assert added.status_code == 201, added.content
    [line] = added.json()["lines"]
    assert (line["kind"], line["description"]) == ("manual", "Cross-connect")
    assert line["amount"] == {"amount": "300.00", "currency": "USD"}
    assert sum(Decimal(a["amount"]) for a in line["allocations"]) == Decimal("300.00")

    no_reason = client.delete(f"/api/v1/invoices/{draft.pk}/lines/{line['id']}/")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["errors"]
    removed = client.delete(f"/api/v1/invoices/{draft.pk}/lines/{line['id']}/?reason=typo")
    assert removed.status_code == 200 and removed.json()["lines"] == []


def test_only_the_billing_partys_finance_changes_a_draft(world):
    draft = _draft(world)
    url = f"/api/v1/invoices/{draft.pk}/lines/"
    ktc = _finance(world, world.ktc).post(url, LINE, format="json")
    assert ktc.status_code in (403, 404)
    customer = key_client(world.a, Role.CUSTOMER_ADMIN)[0].post(url, LINE, format="json")
    assert customer.status_code == 403
    issued = _finance(world).post(
        f"/api/v1/invoices/{world.a_invoice.pk}/lines/", LINE, format="json"
    )
    assert issued.status_code == 400 and "credit note" in issued.json()["detail"]
    assert not draft.lines.exists()


def test_missing_pdfs_are_queued_for_the_callers_invoices(
    world, django_capture_on_commit_callbacks
):
    issued = _draft(world)
    client = _finance(world)
    client.post(f"/api/v1/invoices/{issued.pk}/lines/", LINE, format="json")
    # issued without its PDF: as after a renderer outage
    Invoice.objects.filter(pk=issued.pk).update(
        status="issued", number="OAAA-2026-009999", issued_at=world.a_invoice.issued_at,
        due_date=world.a_invoice.due_date,
    )  # fmt: skip
    missing = client.get("/api/v1/invoices/?has_pdf=false").json()["results"]
    assert [row["id"] for row in missing] == [issued.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/invoices/render-missing-pdfs/")
    assert response.status_code == 202
    assert response.json() == {"queued": [{"id": issued.pk, "number": "OAAA-2026-009999"}]}
    assert Invoice.objects.get(pk=issued.pk).pdf
    assert client.get("/api/v1/invoices/?has_pdf=false").json()["count"] == 0
    refused = key_client(world.a, Role.CUSTOMER_ADMIN)[0].post(
        "/api/v1/invoices/render-missing-pdfs/"
    )
    assert refused.status_code == 403


# --- the audit log --------------------------------------------------------------------------------


def _session(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_the_audit_log_shows_what_the_portal_page_shows(world):
    from audit.selectors import entries_for

    staff = _session(world.finance)
    body = staff.get("/api/v1/audit-log/?page_size=500").json()
    expected = list(entries_for(world.finance).values_list("pk", flat=True)[:500])
    assert [row["id"] for row in body["results"]] == expected
    assert body["results"] and all(row["actor_address"] is None for row in body["results"])
    narrowed = staff.get("/api/v1/audit-log/?action=0&page_size=500").json()["results"]
    assert narrowed and {row["action"] for row in narrowed} == {"create"}
    bad = staff.get("/api/v1/audit-log/?since=yesterday")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["since"]
    # customers never, and no API key (reading it is a person's capability)
    assert _session(world.a_user).get("/api/v1/audit-log/").status_code == 403
    assert _finance(world).get("/api/v1/audit-log/").status_code == 403
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN)
    assert _session(admin).get("/api/v1/audit-log/").json()["count"] >= body["count"]
