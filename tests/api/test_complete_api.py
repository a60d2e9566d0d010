"""helper E, a complete API: operators' finance reports (settlement statements with their PDF,
revenue, aging), manual lines on drafts, missing PDFs and the audit log, each answering what the
portal's page shows, to whom it shows it. Isolation is tests/tenancy_table.py's; query counts
tests/test_query_counts.py's; idempotency tests/api/test_idempotency.py's."""

from __future__ import annotations

import datetime
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
    assert mine["bucket_label"] == expected.bucket_label
    assert mine["not_yet_due"] == (expected.bucket == "current")
    other = "61-90" if expected.bucket != "61-90" else "current"
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
    narrowed = staff.get("/api/v1/audit-log/?action=create&page_size=500").json()["results"]
    assert narrowed and {row["action"] for row in narrowed} == {"create"}
    bad = staff.get("/api/v1/audit-log/?since=yesterday")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["since"]
    # customers never, and no API key (reading it is a person's capability)
    assert _session(world.a_user).get("/api/v1/audit-log/").status_code == 403
    assert _finance(world).get("/api/v1/audit-log/").status_code == 403
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN)
    assert _session(admin).get("/api/v1/audit-log/").json()["count"] >= body["count"]


# --- the network's capacity ----------------------------------------------------------------------


def test_utilisation_is_the_portals_for_operators(world):
    from leasing.selectors import fiber_pair_utilisation, path_utilisation, paths_with_segments

    client = key_client(world.azt, Role.OPERATOR_NETWORK)[0]
    rows = client.get("/api/v1/utilisation/fiber-pairs/?date=2026-10-20").json()["results"]
    expected = fiber_pair_utilisation(datetime.date(2026, 10, 20))
    assert [(r["fiber_pair"], r["in_service_ghz"], r["free_ghz"]) for r in rows] == [
        (u.fiber_pair.pk, f"{u.in_service_ghz:.1f}", f"{u.free_ghz:.1f}") for u in expected
    ]
    assert any(Decimal(r["in_service_ghz"]) > 0 for r in rows)
    paths = client.get("/api/v1/utilisation/paths/?date=2026-10-20").json()["results"]
    active = list(paths_with_segments().filter(is_active=True))
    assert [p["path"] for p in paths] == [
        u.path.code for u in path_utilisation(active, datetime.date(2026, 10, 20))
    ]
    customer = key_client(world.a, Role.CUSTOMER_ADMIN)[0]
    assert customer.get("/api/v1/utilisation/paths/").status_code == 403
    bad = client.get("/api/v1/utilisation/paths/?date=tomorrow")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["date"]


def test_a_spectrum_names_holders_to_operators_only(world):
    from leasing.models import FiberPair

    fiber_pair = next(
        fp for fp in FiberPair.objects.filter(is_active=True) if fp.reservations.exists()
    )
    url = f"/api/v1/fiber-pairs/{fiber_pair.pk}/spectrum/?date=2026-10-20"
    operator = key_client(world.azt, Role.OPERATOR_NETWORK)[0].get(url).json()
    customer = key_client(world.b, Role.CUSTOMER_ADMIN)[0].get(url).json()
    assert operator["held"] and operator["held"][0]["holder"]
    assert [(h["start"], h["end"]) for h in customer["held"]] == [
        (h["start"], h["end"]) for h in operator["held"]
    ]
    assert all(h["holder"] is None and h["reference"] is None for h in customer["held"])
    assert customer["svg"].startswith("<svg")
    for holder in {h["holder"] for h in operator["held"]}:
        assert holder not in customer["svg"]
    missing = key_client(world.b, Role.CUSTOMER_ADMIN)[0].get(
        "/api/v1/fiber-pairs/999999/spectrum/"
    )
    assert missing.status_code == 404


# --- filters and sorting on every list ------------------------------------------------------------


def _client(w: SimpleNamespace, viewer: str) -> APIClient:
    if viewer == "a":
        return key_client(w.a, Role.CUSTOMER_ADMIN)[0]
    if viewer == "azt_network":
        return key_client(w.azt, Role.OPERATOR_NETWORK)[0]
    return _finance(w)


def _rows(client: APIClient, url: str) -> list[dict[str, Any]]:
    joiner = "&" if "?" in url else "?"
    response = client.get(f"{url}{joiner}page_size=500")
    assert response.status_code == 200, (url, response.content)
    return response.json()["results"]


def _key(row: dict[str, Any]) -> Any:
    return row.get("id", row.get("circuit_id", row.get("code")))


# (viewer, list, query, which rows of the unfiltered list it keeps)
FILTERS: list[tuple[str, str, Any, Any]] = [
    ("azt_finance", "invoices", lambda w: "status=issued", lambda w, r: r["status"] == "issued"),
    (
        "azt_finance",
        "invoices",
        lambda w: "state=partially_paid",
        lambda w, r: r["state"] == "partially_paid",
    ),
    ("azt_finance", "invoices", lambda w: "period=2026-10", lambda w, r: r["period"] == "2026-10"),
    (
        "azt_finance",
        "invoices",
        lambda w: "period_after=2026-11",
        lambda w, r: r["period"] >= "2026-11",
    ),
    (
        "azt_finance",
        "invoices",
        lambda w: f"customer={w.a.name}",
        lambda w, r: r["customer"] == w.a.name,
    ),
    (
        "azt_finance",
        "invoices",
        lambda w: f"circuit_id={w.transit.circuit_id}",
        lambda w, r: any(line["circuit_id"] == w.transit.circuit_id for line in r["lines"]),
    ),
    (
        "azt_finance",
        "invoices",
        lambda w: f"number={w.a_invoice.number}",
        lambda w, r: r["id"] == w.a_invoice.pk,
    ),
    (
        "azt_finance",
        "invoices",
        lambda w: f"due_before={w.a_invoice.due_date}",
        lambda w, r: r["due_date"] is not None and r["due_date"] <= str(w.a_invoice.due_date),
    ),
    ("a", "orders", lambda w: "state=submitted", lambda w, r: r["state"] == "submitted"),
    (
        "a",
        "orders",
        lambda w: f"product={w.wl100.code}",
        lambda w, r: r["quote"]["product"] == w.wl100.code,
    ),
    ("a", "quotes", lambda w: "ordered=false", lambda w, r: r["order"] is None),
    (
        "a",
        "services",
        lambda w: f"circuit_id={w.transit.circuit_id}",
        lambda w, r: r["circuit_id"] == w.transit.circuit_id,
    ),
    ("a", "services", lambda w: "status=active", lambda w, r: r["status"] == "active"),
    (
        "azt_network",
        "services",
        lambda w: f"customer={w.a.name}",
        lambda w, r: r["customer"] == w.a.name,
    ),
    (
        "a",
        "services",
        lambda w: f"product={w.transit.product.code}",
        lambda w, r: r["product"] == w.transit.product.code,
    ),
    (
        "a",
        "contracts",
        lambda w: f"circuit_id={w.transit.circuit_id}",
        lambda w, r: r["id"] == w.transit.contract.pk,
    ),
    ("a", "payments", lambda w: f"invoice={w.a_invoice.pk}", lambda w, r: True),
    ("a", "payments", lambda w: "reversed=true", lambda w, r: False),
    ("a", "credit-notes", lambda w: f"invoice={w.a_invoice.pk}", lambda w, r: True),
    ("a", "debit-notes", lambda w: "period=2026-09", lambda w, r: False),
    (
        "azt_finance",
        "late-adjustments",
        lambda w: "status=open",
        lambda w, r: r["status"] == "open",
    ),
    ("azt_finance", "late-adjustments", lambda w: "kind=usage", lambda w, r: r["kind"] == "usage"),
    ("azt_finance", "period-closes", lambda w: "period=2026-09", lambda w, r: False),
    ("azt_finance", "billing-runs", lambda w: "status=done", lambda w, r: r["status"] == "done"),
    ("a", "sites", lambda w: "kind=cls", lambda w, r: r["kind"] == "cls"),
    ("a", "paths", lambda w: f"site={w.akt.code}", lambda w, r: True),
    ("a", "products", lambda w: "kind=transit", lambda w, r: r["kind"] == "transit"),
    (
        "azt_finance",
        "prices",
        lambda w: f"product={w.wl100.code}",
        lambda w, r: r["product"] == w.wl100.code,
    ),
]


@pytest.mark.parametrize(
    ("viewer", "name", "query", "keeps"),
    FILTERS,
    ids=[f"{name}-{i}" for i, (_, name, _, _) in enumerate(FILTERS)],
)
def test_each_filter_keeps_exactly_the_rows_it_names(world, viewer, name, query, keeps):
    client = _client(world, viewer)
    every = _rows(client, f"/api/v1/{name}/")
    assert every, f"{name}: nothing to filter"
    kept = _rows(client, f"/api/v1/{name}/?{query(world)}")
    expected = [_key(row) for row in every if keeps(world, row)]
    assert sorted(map(str, (_key(row) for row in kept))) == sorted(map(str, expected))


# (viewer, list, ordering field, the row's value it sorts by)
ORDERINGS = [
    ("azt_finance", "invoices", "period", lambda r: r["period"]),
    ("azt_finance", "invoices", "customer", lambda r: r["customer"]),
    ("a", "services", "circuit_id", lambda r: r["circuit_id"]),
    ("a", "orders", "created_at", lambda r: r["created_at"]),
    ("a", "payments", "received_on", lambda r: r["received_on"]),
    ("azt_finance", "prices", "term_months", lambda r: r["term_months"]),
    ("a", "sites", "name", lambda r: r["name"]),
]


@pytest.mark.parametrize(("viewer", "name", "field", "value"), ORDERINGS)
def test_ordering_sorts_both_ways(world, viewer, name, field, value):
    client = _client(world, viewer)
    up = [value(row) for row in _rows(client, f"/api/v1/{name}/?ordering={field}")]
    down = [value(row) for row in _rows(client, f"/api/v1/{name}/?ordering=-{field}")]
    assert up == sorted(up) and down == sorted(down, reverse=True)
    assert len(up) == len(down) > 0


# (viewer, list, query, the parameter named in the 400)
BAD = [
    ("azt_finance", "invoices", "ordering=total", "ordering"),
    ("azt_finance", "invoices", "status=partially_paid", "status"),
    ("azt_finance", "invoices", "period=2026-13", "period"),
    ("azt_finance", "invoices", "issued_after=31-12-2026", "issued_after"),
    ("azt_finance", "invoices", "has_pdf=maybe", "has_pdf"),
    ("a", "orders", "state=lost", "state"),
    ("a", "payments", "invoice=abc", "invoice"),
    ("a", "payments", "invoice=", "invoice"),
    ("a", "payments", "invoice=99999999999999999999999", "invoice"),
    ("a", "credit-notes", "invoice=-1", "invoice"),
    ("azt_finance", "late-adjustments", "status=closed", "status"),
    ("azt_finance", "period-closes", "period=October", "period"),
    ("a", "services", "activated_after=2026-02-30", "activated_after"),
    ("a", "contracts", "ordering=-mrc", "ordering"),
    ("a", "sites", "kind=moon", "kind"),
    ("azt_network", "outages", "open=1", "open"),
    ("a", "trouble-tickets", "ordering=,", "ordering"),
    ("a", "trouble-tickets", "ordering=priority", "ordering"),
]


@pytest.mark.parametrize(("viewer", "name", "query", "parameter"), BAD)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(world, viewer, name, query, parameter):
    response = _client(world, viewer).get(f"/api/v1/{name}/?{query}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error" and list(body["errors"]) == [parameter]


def test_api_keys_filter_by_role_and_revocation(world):
    from organisations.services import create_api_key, revoke_api_key

    member, _ = create_api_key(organisation=world.a, name="m", role=Role.CUSTOMER_MEMBER)
    revoke_api_key(api_key=member)
    client = _session(world.a_user)
    revoked = client.get("/api/v1/api-keys/?revoked=true").json()["results"]
    assert [row["prefix"] for row in revoked] == [member.prefix]
    every = client.get("/api/v1/api-keys/").json()["results"]
    members = client.get("/api/v1/api-keys/?role=customer_member").json()["results"]
    assert member.prefix in {row["prefix"] for row in members}
    assert [r for r in every if r["role"] == "customer_member"] == members
    names = [r["name"] for r in client.get("/api/v1/api-keys/?ordering=-name").json()["results"]]
    assert names == sorted(names, reverse=True)
    bad = client.get("/api/v1/api-keys/?role=owner")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["role"]


def test_filters_apply_to_lists_only(world):
    client = _client(world, "a")
    one = client.get(f"/api/v1/invoices/{world.a_invoice.pk}/?status=nonsense")
    assert one.status_code == 200


def test_a_service_says_which_steps_the_caller_may_take(world):
    url = f"/api/v1/services/{world.transit.circuit_id}/"
    network = key_client(world.azt, Role.OPERATOR_NETWORK)[0].get(url).json()
    customer = key_client(world.a, Role.CUSTOMER_ADMIN)[0].get(url).json()
    assert network["status"] == "active"
    assert network["actions"] == ["suspend", "terminate"]
    assert customer["actions"] == []


def test_deleted_drafts_are_their_billing_partys(world):
    from billing.services.invoices import delete_draft

    draft = _draft(world)
    record = delete_draft(invoice=draft, actor=world.finance, reason="billed twice")
    rows = _finance(world).get("/api/v1/deleted-drafts/?period=2026-11").json()["results"]
    assert [(r["id"], r["reason"], r["customer"]) for r in rows] == [
        (record.invoice_id, "billed twice", world.a.name)
    ]
    assert _finance(world, world.third).get("/api/v1/deleted-drafts/").json()["count"] == 0
    assert _finance(world, world.ktc).get("/api/v1/deleted-drafts/").json()["count"] == 0
    customer = key_client(world.a, Role.CUSTOMER_ADMIN)[0]
    assert customer.get("/api/v1/deleted-drafts/").status_code == 403
