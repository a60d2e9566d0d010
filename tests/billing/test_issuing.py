"""Issuing always completes or changes nothing: the actor is checked in the service, the month
must have ended, the number, the freeze, the history step and the PDF go together; bulk issues
report each draft's outcome; drafts are deleted with a reason and billed again by a rerun."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
import weasyprint
from django.db import transaction
from django.utils import timezone
from pypdf import PdfReader

from billing import invoice_lifecycle
from billing.choices import InvoiceStatus, LineKind
from billing.models import (
    DeletedDraft,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    RemovedLine,
    UsagePercentile,
)
from billing.services.drafts import add_manual_line, remove_line
from billing.services.invoices import (
    InvoicePdfFailed,
    delete_draft,
    issue_invoice,
    issue_invoices,
)
from billing.services.runs import invoice_totals, start_run
from organisations.access import SystemActor
from organisations.choices import Role
from tcfo_portal.exceptions import Conflict, DomainError, Forbidden, InvalidTransition
from tcfo_portal.formatting import format_money

from ..conftest import key_client
from ..factories import UserFactory, finance_of
from .conftest import transit_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def billed(october, django_capture_on_commit_callbacks):
    """October billed: a draft to the domestic customer (a lease, and a transit service
    activated on 20 October with no sample at all) and one to the foreign customer (an IRU,
    transit with samples)."""
    october.quiet = transit_service(
        october, activated_on=datetime.date(2026, 10, 20), customer=october.domestic
    )
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    october.domestic_draft = Invoice.objects.get(customer=october.domestic)
    october.foreign_draft = Invoice.objects.get(customer=october.customer)
    return october


def _text(invoice: Invoice) -> str:
    invoice.refresh_from_db()
    with invoice.pdf.open("rb") as pdf:
        return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.read())).pages)


def _files(settings) -> list[Path]:
    """The invoice PDFs stored."""
    root = Path(settings.MEDIA_ROOT) / "invoices"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- one issue: all or nothing -------------------------------------------------------------------


def test_an_invoice_is_issued_with_its_pdf_and_history_in_one_transaction(
    billed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        issued = issue_invoice(invoice=billed.domestic_draft, actor=finance_of(billed.azt, "ana"))
    # Before the commit (nothing has run after it) the PDF is there already.
    invoice = Invoice.objects.get(pk=issued.pk)
    assert invoice.status == InvoiceStatus.ISSUED and invoice.number.endswith("-000001")
    assert invoice.pdf and len(invoice.pdf_sha256) == 64
    assert len(callbacks) == 1  # the mail, queued on commit
    [step] = invoice.transitions.all()
    assert (step.from_state, step.to_state, step.by) == ("draft", "issued", "ana")
    text = _text(invoice)
    assert invoice.number in text and "13512.90" not in text  # the quiet transit is billed too
    # The transit service activated on 20 October sent nothing: its chart is an empty frame.
    assert f"Traffic of {billed.quiet.circuit_id}" in text
    assert "No traffic recorded in this period" in text


def test_a_transit_month_with_samples_freezes_its_95th_and_draws_it(billed):
    issue_invoice(invoice=billed.foreign_draft, actor=finance_of(billed.azt))
    assert UsagePercentile.objects.get(service=billed.transit).frozen_at is not None
    text = _text(billed.foreign_draft)
    assert "95th" in text and "No traffic recorded" not in text


def test_a_pdf_that_cannot_be_stored_issues_nothing_and_gives_the_number_back(
    billed, settings, tmp_path
):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = blocked
    with pytest.raises(InvoicePdfFailed, match="nothing was issued") as refused:
        issue_invoice(invoice=billed.foreign_draft, actor=finance_of(billed.azt))
    assert refused.value.status_code == 503
    invoice = Invoice.objects.get(pk=billed.foreign_draft.pk)
    assert (invoice.status, invoice.number, invoice.pdf.name) == ("draft", None, "")
    assert not invoice.transitions.exists()
    assert not InvoiceSequence.objects.filter(billing_party=billed.azt).exists()
    assert UsagePercentile.objects.get(service=billed.transit).frozen_at is None

    settings.MEDIA_ROOT = tmp_path / "media"
    issued = issue_invoice(invoice=invoice, actor=finance_of(billed.azt))
    assert issued.number.endswith("-000001")  # the sequence has no gap


def test_a_pdf_that_cannot_be_rendered_issues_nothing_and_leaves_no_file(
    billed, settings, monkeypatch
):
    def broken(self, *args, **kwargs):
        raise RuntimeError("renderer out of memory")

    monkeypatch.setattr(weasyprint.HTML, "write_pdf", broken)  # the library, not our code
    with pytest.raises(InvoicePdfFailed, match="renderer out of memory"):
        issue_invoice(invoice=billed.domestic_draft, actor=finance_of(billed.azt))
    assert Invoice.objects.get(pk=billed.domestic_draft.pk).status == "draft"
    assert _files(settings) == []


def test_the_file_of_an_issue_rolled_back_later_is_never_the_issued_ones(billed, settings):
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        issue_invoice(invoice=billed.domestic_draft, actor=finance_of(billed.azt))
        raise Abort
    [orphan] = _files(settings)  # written before the rollback, referenced by nothing
    issued = issue_invoice(invoice=billed.foreign_draft, actor=finance_of(billed.azt))
    assert issued.number.endswith("-000001")  # the number was given back
    assert Path(issued.pdf.path) != orphan and orphan.name.startswith(issued.number)
    assert issued.pdf.name.endswith(f"{issued.pdf_sha256[:12]}.pdf")


def test_a_month_that_has_not_ended_where_the_billing_party_is_cannot_be_issued(billed):
    period = timezone.now().astimezone(datetime.timezone(datetime.timedelta(hours=4)))
    draft = Invoice.objects.create(
        billing_party=billed.azt,
        customer=billed.domestic,
        period=period.strftime("%Y-%m"),
        currency="USD",
    )
    add_manual_line(
        invoice=draft,
        description="Cross-connect",
        quantity=Decimal(1),
        unit_price=Decimal(100),
        service_date=period.date().replace(day=1),
        path=billed.path,
        actor=finance_of(billed.azt),
    )
    with pytest.raises(Conflict, match="has not ended yet in Asia/Baku"):
        issue_invoice(invoice=draft, actor=finance_of(billed.azt))
    assert Invoice.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.parametrize(
    "who",
    [
        "ktc_finance",  # shares the revenue, does not sell
        "azt_network",  # the billing party, not its finance staff
        "customer",
    ],
)
def test_only_the_billing_partys_finance_issues_whatever_the_entry_point(billed, who):
    actor = {
        "ktc_finance": SystemActor(billed.ktc, Role.OPERATOR_FINANCE, "ktc"),
        "azt_network": SystemActor(billed.azt, Role.OPERATOR_NETWORK, "noc"),
        "customer": UserFactory(organisation=billed.domestic, role=Role.CUSTOMER_ADMIN),
    }[who]
    with pytest.raises(Forbidden) as refused:
        issue_invoice(invoice=billed.domestic_draft, actor=actor)
    assert refused.value.status_code == 403
    assert Invoice.objects.get(pk=billed.domestic_draft.pk).status == "draft"


def test_finance_of_another_operator_is_refused_in_the_portal_and_the_api(billed, client):
    draft = billed.domestic_draft
    ktc = key_client(billed.ktc, Role.OPERATOR_FINANCE)[0]
    assert ktc.get(f"/api/v1/invoices/{draft.pk}/").status_code == 200  # it shares the revenue
    answer = ktc.post(f"/api/v1/invoices/{draft.pk}/issue/")
    assert answer.status_code == 403 and answer.json()["type"] == "permission_denied"
    client.force_login(UserFactory(organisation=billed.ktc, role=Role.OPERATOR_FINANCE))
    page = client.post(f"/invoices/{draft.pk}/", follow=True).content.decode()
    assert "Only AZT&#x27;s finance staff act on its invoices." in page
    assert Invoice.objects.get(pk=draft.pk).status == "draft"


def test_issuing_twice_is_refused(billed):
    issue_invoice(invoice=billed.domestic_draft, actor=finance_of(billed.azt))
    with pytest.raises(InvalidTransition, match="issued already"):
        issue_invoice(invoice=billed.domestic_draft, actor=finance_of(billed.azt))


# --- bulk issue ----------------------------------------------------------------------------------


def _ktc_draft(billed) -> Invoice:
    """A draft KTC sells, with a line on the shared path (so AZT sees it too)."""
    draft = Invoice.objects.create(
        billing_party=billed.ktc, customer=billed.domestic, period="2026-10", currency="USD"
    )
    add_manual_line(
        invoice=draft,
        description="Backhaul in Aktau",
        quantity=Decimal(1),
        unit_price=Decimal(1000),
        service_date=datetime.date(2026, 10, 10),
        path=billed.path,
        actor=finance_of(billed.ktc),
    )
    return draft


def test_a_bulk_issue_over_the_api_answers_each_drafts_outcome(billed):
    ktc_draft = _ktc_draft(billed)
    empty = Invoice.objects.create(
        billing_party=billed.azt, customer=billed.other_customer, period="2026-10", currency="USD"
    )
    finance = key_client(billed.azt, Role.OPERATOR_FINANCE)[0]
    ids = [billed.foreign_draft.pk, ktc_draft.pk, 99_999_999, empty.pk, billed.domestic_draft.pk]
    answer = finance.post("/api/v1/invoices/issue/", {"ids": [*ids, ids[0]]}, format="json")
    assert answer.status_code == 200
    body = answer.json()
    prefix = f"{billed.azt.invoice_prefix}-{timezone.now().year}"
    assert (body["issued"], body["refused"]) == (2, 3)
    assert body["results"] == [
        {"id": ids[0], "outcome": "issued", "number": f"{prefix}-000001"},
        {
            "id": ids[1],
            "outcome": "refused",
            "type": "permission_denied",
            "reason": "Only KTC's finance staff act on its invoices.",
        },
        {"id": ids[2], "outcome": "refused", "type": "not_found", "reason": "No such invoice."},
        {
            "id": ids[3],
            "outcome": "refused",
            "type": "invalid_request",
            "reason": "An invoice without lines cannot be issued.",
        },
        {"id": ids[4], "outcome": "issued", "number": f"{prefix}-000002"},
    ]
    assert Invoice.objects.get(pk=ids[4]).pdf
    again = finance.post("/api/v1/invoices/issue/", {"ids": [ids[0]]}, format="json").json()
    assert again["results"][0]["type"] == "invalid_transition"
    for bad in ({"ids": []}, {"ids": ["x"]}, {}, {"ids": list(range(1, 300))}):
        assert finance.post("/api/v1/invoices/issue/", bad, format="json").status_code == 400
    customer = key_client(billed.domestic)[0]
    assert customer.post("/api/v1/invoices/issue/", {"ids": ids}, format="json").status_code == 403


def test_a_bulk_issue_whose_pdfs_all_fail_answers_200_and_issues_nothing(
    billed, settings, tmp_path
):
    blocked = tmp_path / "blocked"
    blocked.write_text("x")
    settings.MEDIA_ROOT = blocked
    ids = [billed.foreign_draft.pk, billed.domestic_draft.pk]
    outcomes = issue_invoices(ids=ids, actor=finance_of(billed.azt))
    assert [(o.issued, o.error_type, o.status_code) for o in outcomes] == [
        (False, "pdf_failed", 503),
        (False, "pdf_failed", 503),
    ]
    assert set(Invoice.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"draft"}


def test_a_bulk_issue_in_the_portal_says_what_became_of_each(billed, client):
    ktc_draft = _ktc_draft(billed)
    client.force_login(UserFactory(organisation=billed.azt, role=Role.OPERATOR_FINANCE))
    ids = [billed.domestic_draft.pk, ktc_draft.pk, "x"]
    confirm = client.post("/invoices/issue/", {"invoice": ids}).content.decode()
    assert "Issue 1 invoice?" in confirm and "2 of those selected cannot be issued" in confirm
    total = format_money(invoice_totals(billed.domestic_draft).total.amount, "USD")
    assert f"Amount: <strong>{total}</strong>" in confirm
    assert Invoice.objects.get(pk=billed.domestic_draft.pk).status == "draft"
    confirmed = {"invoice": ids, "confirmed": "yes"}
    page = client.post("/invoices/issue/", confirmed, follow=True).content.decode()
    number = Invoice.objects.get(pk=billed.domestic_draft.pk).number
    assert f"Issued 1: draft {billed.domestic_draft.pk} as {number}." in page
    assert f"Not issued 2: draft {ktc_draft.pk}: Only KTC&#x27;s finance staff" in page
    assert "draft x: No such invoice." in page


# --- what each reader sees -----------------------------------------------------------------------


def test_customers_never_see_drafts_nor_the_split_in_the_api(billed):
    customer = key_client(billed.domestic)[0]
    draft = billed.domestic_draft
    assert customer.get(f"/api/v1/invoices/{draft.pk}/").status_code == 404
    assert customer.get("/api/v1/invoices/").json()["count"] == 0
    issue_invoice(invoice=draft, actor=finance_of(billed.azt, "ana"))
    body = customer.get(f"/api/v1/invoices/{draft.pk}/").json()
    assert body["lines"] and all(line["allocations"] == [] for line in body["lines"])
    assert (body["status"], body["state"]) == ("issued", "issued")
    [step] = body["history"]
    assert (step["from_state"], step["to_state"], step["by"]) == ("draft", "issued", "ana")
    finance = key_client(billed.azt, Role.OPERATOR_FINANCE)[0].get(f"/api/v1/invoices/{draft.pk}/")
    assert all(line["allocations"] for line in finance.json()["lines"])

    with transaction.atomic():
        invoice = invoice_lifecycle.lock(draft)
        invoice_lifecycle.move(invoice, InvoiceStatus.PARTIALLY_PAID, by="bank", note="wire 1")
    body = customer.get(f"/api/v1/invoices/{draft.pk}/").json()
    assert (body["status"], body["state"]) == ("issued", "partially_paid")  # the contract's four
    assert [(s["from_state"], s["to_state"], s["note"]) for s in body["history"]] == [
        ("draft", "issued", ""),
        ("issued", "partially_paid", "wire 1"),
    ]


def test_customers_never_see_drafts_nor_the_split_in_the_portal(billed, client):
    draft = billed.domestic_draft
    client.force_login(UserFactory(organisation=billed.domestic, role=Role.CUSTOMER_ADMIN))
    assert client.get(f"/invoices/{draft.pk}/").status_code == 404
    assert client.get(f"/invoices/{draft.pk}/pdf/").status_code == 404
    issue_invoice(invoice=draft, actor=finance_of(billed.azt))
    page = client.get(f"/invoices/{draft.pk}/")
    assert page.status_code == 200 and page.context["show_split"] is False
    assert "Revenue split" not in page.content.decode()


# --- deleting a draft ----------------------------------------------------------------------------


def test_a_deleted_draft_is_kept_on_record_and_billed_again_by_a_rerun(
    billed, django_capture_on_commit_callbacks
):
    draft = billed.domestic_draft
    keys = set(draft.lines.values_list("source_key", flat=True))
    nrc = draft.lines.get(kind=LineKind.NRC)
    remove_line(line=nrc, reason="waived", actor=finance_of(billed.azt, "ana"))
    with pytest.raises(DomainError, match="Say why"):
        delete_draft(invoice=draft, actor=finance_of(billed.azt), reason="  ")
    with pytest.raises(Forbidden):
        delete_draft(invoice=draft, actor=finance_of(billed.ktc), reason="wrong")
    record = delete_draft(invoice=draft, actor=finance_of(billed.azt, "ana"), reason="wrong tax")
    assert not Invoice.objects.filter(pk=draft.pk).exists()
    assert (record.invoice_id, record.reason, record.deleted_by) == (draft.pk, "wrong tax", "ana")
    assert {line["source_key"] for line in record.lines} == keys - {nrc.source_key}
    assert record.total == sum(Decimal(line["amount"]) for line in record.lines) + sum(
        Decimal(line["tax_amount"]) for line in record.lines
    )
    removed = RemovedLine.objects.get(source_key=nrc.source_key)
    assert (removed.invoice, removed.deleted_draft) == (None, record)  # its key stays taken

    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")  # redo the run
    again = Invoice.objects.get(customer=billed.domestic, period="2026-10")
    assert again.pk != draft.pk and again.status == "draft"
    assert set(again.lines.values_list("source_key", flat=True)) == keys - {nrc.source_key}


def test_an_issued_invoice_cannot_be_deleted(billed):
    issue_invoice(invoice=billed.domestic_draft, actor=finance_of(billed.azt))
    with pytest.raises(InvalidTransition, match="credit note"):
        delete_draft(invoice=billed.domestic_draft, actor=finance_of(billed.azt), reason="x")


def test_drafts_are_deleted_over_the_api_with_a_reason(billed):
    finance = key_client(billed.azt, Role.OPERATOR_FINANCE)[0]
    first, second = billed.domestic_draft, billed.foreign_draft
    missing = finance.delete(f"/api/v1/invoices/{first.pk}/")
    assert missing.status_code == 400 and "reason" in missing.json()["errors"]
    ktc = key_client(billed.ktc, Role.OPERATOR_FINANCE)[0]
    assert ktc.delete(f"/api/v1/invoices/{first.pk}/?reason=x").status_code == 403
    customer = key_client(billed.domestic)[0]
    assert customer.delete(f"/api/v1/invoices/{first.pk}/?reason=x").status_code == 403
    answer = finance.delete(f"/api/v1/invoices/{first.pk}/?reason=wrong%20tax")
    assert answer.status_code == 200
    assert (answer.json()["id"], answer.json()["reason"]) == (first.pk, "wrong tax")
    assert finance.get(f"/api/v1/invoices/{first.pk}/").status_code == 404
    by_body = finance.delete(
        f"/api/v1/invoices/{second.pk}/", {"reason": "customer merged"}, format="json"
    )
    assert by_body.status_code == 200 and by_body.json()["reason"] == "customer merged"
    assert DeletedDraft.objects.count() == 2


def test_drafts_are_deleted_in_the_portal_and_listed_on_the_billing_page(billed, client):
    draft = billed.domestic_draft
    client.force_login(UserFactory(organisation=billed.azt, role=Role.OPERATOR_FINANCE))
    assert "Delete this draft" in client.get(f"/invoices/{draft.pk}/").content.decode()
    page = client.post(f"/invoices/{draft.pk}/delete/", {"reason": ""})
    assert page.status_code == 400 and "This field is required." in page.content.decode()
    asked = client.post(f"/invoices/{draft.pk}/delete/", {"reason": "duplicate"})
    total = format_money(invoice_totals(draft).total.amount, "USD")
    assert f"Delete the draft of {total}?" in asked.content.decode()
    assert Invoice.objects.filter(pk=draft.pk).exists()
    page = client.post(
        f"/invoices/{draft.pk}/delete/", {"reason": "duplicate", "confirmed": "yes"}, follow=True
    )
    assert f"Draft {draft.pk} (Baku Carrier, 2026-10) deleted" in page.content.decode()
    assert "duplicate" in client.get("/billing/").content.decode()
    assert InvoiceLine.objects.filter(invoice_id=draft.pk).count() == 0


def test_invoices_issued_without_a_pdf_before_are_listed_and_rendered_on_demand(
    billed, client, django_capture_on_commit_callbacks
):
    from django.core import mail

    # As the chart bug left them: issued, numbered, no PDF, never mailed.
    billed.domestic.billing_email = "ap@baku-carrier.test"
    billed.domestic.save()
    Invoice.objects.filter(pk=billed.domestic_draft.pk).update(
        status="issued",
        number="AZT-2026-000042",
        issued_at=timezone.now(),
        due_date=datetime.date(2026, 12, 28),
    )
    client.force_login(UserFactory(organisation=billed.ktc, role=Role.OPERATOR_FINANCE))
    assert "AZT-2026-000042" not in client.get("/billing/").content.decode()  # not KTC's
    client.force_login(UserFactory(organisation=billed.azt, role=Role.OPERATOR_FINANCE))
    assert "Issued invoices without a PDF" in client.get("/billing/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post("/billing/pdfs/", follow=True).content.decode()
    assert "PDFs being rendered, then mailed: AZT-2026-000042." in page
    assert "AZT-2026-000042" in _text(billed.domestic_draft)
    assert [m.subject for m in mail.outbox] == ["Invoice AZT-2026-000042 from AZT"]
    assert "Issued invoices without a PDF" not in client.get("/billing/").content.decode()
