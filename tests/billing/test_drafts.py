"""Finance staff change drafts: a manual line (taxed, split), a line removed with a reason and
not billed again by a rerun; issued invoices and other parties' drafts stay untouched."""

import datetime
from decimal import Decimal

import pytest

from billing.choices import LineKind
from billing.models import Invoice, InvoiceLine, RemovedLine
from billing.services.drafts import add_manual_line, remove_line
from billing.services.invoices import issue_invoice
from billing.services.runs import invoice_totals, start_run
from organisations.choices import Role
from tcfo_portal.exceptions import DomainError, Forbidden

from ..factories import UserFactory, finance_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("october")]


@pytest.fixture
def billed(october, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    october.draft = Invoice.objects.get(customer=october.domestic)
    return october


def _totals(invoice):
    totals = invoice_totals(Invoice.objects.get(pk=invoice.pk))
    return totals.subtotal.amount, totals.tax.amount, totals.total.amount


def test_a_manual_line_is_taxed_and_split_like_any_other(billed):
    before = _totals(billed.draft)  # 11451.61 + 2061.29 = 13512.90
    line = add_manual_line(
        invoice=billed.draft,
        description="Cross-connect at Aktau, October",
        quantity=Decimal(3),
        unit_price=Decimal("33.335"),
        service_date=datetime.date(2026, 10, 20),
        path=billed.path,
        actor=finance_of(billed.azt),
    )
    # 3 x 33.335 = 100.005 -> 100.01 (half-up); VAT 18% = 18.0018 -> 18.00.
    assert (line.kind, line.amount, line.tax_amount, line.added_by) == (
        LineKind.MANUAL,
        Decimal("100.01"),
        Decimal("18.00"),
        "finance",
    )
    # BAK-AKT: AZT 420/800, KTC 380/800 of 100.01 = 52.50525 / 47.50475 -> 52.51 / 47.50.
    parts = {a.operator.name: a.amount for a in line.allocations.all()}
    assert parts == {"AZT": Decimal("52.51"), "KTC": Decimal("47.50")}
    assert _totals(billed.draft) == (
        before[0] + Decimal("100.01"),
        before[1] + Decimal("18.00"),
        before[2] + Decimal("118.01"),
    )
    on_site = add_manual_line(
        invoice=billed.draft,
        description="Rack space",
        quantity=Decimal(1),
        unit_price=Decimal(50),
        service_date=datetime.date(2026, 10, 1),
        site=billed.akt,
        actor=finance_of(billed.azt),
    )
    assert [(a.operator.name, a.amount) for a in on_site.allocations.all()] == [
        ("KTC", Decimal("50.00"))
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": "  "}, "description"),
        ({"quantity": Decimal(0)}, "quantity"),
        ({"unit_price": Decimal("-5")}, "unit_price"),
        ({"service_date": datetime.date(2026, 11, 1)}, "service_date"),
        ({"path": None}, "path"),
        ({"quantity": Decimal(10) ** 9, "unit_price": Decimal(10) ** 9}, "unit_price"),
    ],
)
def test_a_bad_manual_line_is_refused_and_changes_nothing(billed, change, field):
    before = _totals(billed.draft)
    values = {
        "description": "Extra",
        "quantity": Decimal(1),
        "unit_price": Decimal(10),
        "service_date": datetime.date(2026, 10, 2),
        "path": billed.path,
        **change,
    }
    with pytest.raises(DomainError) as refused:
        add_manual_line(invoice=billed.draft, actor=finance_of(billed.azt), **values)
    assert field in refused.value.errors
    assert _totals(billed.draft) == before


def test_a_removed_line_keeps_its_reason_and_is_not_billed_again(
    billed, django_capture_on_commit_callbacks
):
    nrc = billed.draft.lines.get(kind=LineKind.NRC)
    with pytest.raises(DomainError):
        remove_line(line=nrc, reason="   ", actor=finance_of(billed.azt))
    removed = remove_line(
        line=nrc, reason="Waived: signed before 1 Oct", actor=finance_of(billed.azt)
    )
    assert (removed.amount, removed.reason, removed.source_key) == (
        nrc.amount,
        "Waived: signed before 1 Oct",
        nrc.source_key,
    )
    assert not InvoiceLine.objects.filter(pk=nrc.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    assert not billed.draft.lines.filter(kind=LineKind.NRC).exists()  # the rerun left it off
    assert RemovedLine.objects.count() == 1


def test_an_issued_invoice_changes_only_through_a_credit_note(billed):
    issue_invoice(invoice=billed.draft, actor=finance_of(billed.azt))
    before = _totals(billed.draft)
    with pytest.raises(DomainError, match="credit note"):
        add_manual_line(
            invoice=billed.draft,
            description="Late",
            quantity=Decimal(1),
            unit_price=Decimal(1),
            service_date=datetime.date(2026, 10, 2),
            path=billed.path,
            actor=finance_of(billed.azt),
        )
    with pytest.raises(DomainError, match="credit note"):
        remove_line(line=billed.draft.lines.first(), reason="late", actor=finance_of(billed.azt))
    assert _totals(billed.draft) == before


def test_only_the_billing_partys_finance_changes_its_drafts_in_the_portal(billed, client):
    url = f"/invoices/{billed.draft.pk}/"
    line = {
        "description": "Remote hands",
        "quantity": "2",
        "unit_price": "75",
        "service_date": "2026-10-12",
        "path": billed.path.pk,
    }
    nrc = billed.draft.lines.get(kind=LineKind.NRC)
    for outsider in (
        UserFactory(organisation=billed.ktc, role=Role.OPERATOR_FINANCE),  # shares, not bills
        UserFactory(organisation=billed.domestic, role=Role.CUSTOMER_ADMIN),
        UserFactory(organisation=billed.other_customer, role=Role.CUSTOMER_ADMIN),
    ):
        client.force_login(outsider)
        assert client.get(f"{url}lines/new/").status_code in (403, 404)
        assert client.post(f"{url}lines/new/", line).status_code in (403, 404)
        client.post(f"{url}lines/{nrc.pk}/remove/", {"reason": "no"})
    assert billed.draft.lines.count() == 2  # the MRC and the NRC, as billed
    assert not billed.draft.lines.filter(kind=LineKind.MANUAL).exists()

    client.force_login(UserFactory(organisation=billed.azt, role=Role.OPERATOR_FINANCE))
    page = client.get(url).content.decode()
    assert "Add a manual line" in page and f'href="{url}lines/new/"' in page
    refused = client.post(f"{url}lines/new/", {**line, "unit_price": "abc"})
    assert refused.status_code == 400  # shown at the field, with what was typed
    assert 'value="Remote hands"' in refused.content.decode()
    assert 'href="#id_unit_price">Unit price: Enter a number.' in refused.content.decode()
    assert client.post(f"{url}lines/new/", line).status_code == 302  # a draft: no confirmation
    manual = billed.draft.lines.get(kind=LineKind.MANUAL)
    assert manual.amount == Decimal("150.00")
    client.post(f"{url}lines/{nrc.pk}/remove/", {"reason": ""})
    assert billed.draft.lines.filter(pk=nrc.pk).exists()  # no reason, no removal
    client.post(f"{url}lines/{nrc.pk}/remove/", {"reason": "Waived by sales"})
    page = client.get(url).content.decode()
    assert "Waived by sales" in page and not billed.draft.lines.filter(pk=nrc.pk).exists()


def test_finance_issues_many_drafts_at_once_only_its_own(billed, client, october):
    ktc_draft = Invoice.objects.create(
        billing_party=october.ktc, customer=october.domestic, period="2026-10", currency="USD"
    )
    drafts = list(Invoice.objects.filter(billing_party=october.azt).order_by("pk"))
    assert len(drafts) == 2
    client.force_login(UserFactory(organisation=october.domestic, role=Role.CUSTOMER_ADMIN))
    assert client.post("/invoices/issue/", {"invoice": [d.pk for d in drafts]}).status_code == 403

    client.force_login(UserFactory(organisation=october.azt, role=Role.OPERATOR_FINANCE))
    assert "Issue the selected drafts" in client.get("/invoices/").content.decode()
    response = client.post(
        "/invoices/issue/",
        {"invoice": [d.pk for d in drafts] + [ktc_draft.pk, "x"], "confirmed": "yes"},
    )
    assert response.status_code == 302
    numbers = sorted(
        Invoice.objects.filter(billing_party=october.azt).values_list("number", flat=True)
    )
    prefix = october.azt.invoice_prefix
    assert numbers == [f"{prefix}-2026-000001", f"{prefix}-2026-000002"]
    ktc_draft.refresh_from_db()
    assert ktc_draft.status == "draft"  # another party's draft is not ours to issue


def test_only_the_billing_partys_finance_changes_a_draft(billed):
    """The rule lives in the service: any entry point with another operator's staff, a
    customer or network staff is refused, and nothing changes."""
    from ..factories import UserFactory

    before = _totals(billed.draft)
    nrc = billed.draft.lines.get(kind=LineKind.NRC)
    others = [
        finance_of(billed.ktc),
        UserFactory(organisation=billed.azt, role=Role.OPERATOR_NETWORK),
        UserFactory(organisation=billed.domestic, role=Role.CUSTOMER_ADMIN),
    ]
    for actor in others:
        with pytest.raises(Forbidden):
            add_manual_line(
                invoice=billed.draft,
                description="Cross-connect",
                quantity=Decimal(1),
                unit_price=Decimal(100),
                service_date=datetime.date(2026, 10, 20),
                path=billed.path,
                actor=actor,
            )
        with pytest.raises(Forbidden):
            remove_line(line=nrc, reason="waived", actor=actor)
    assert _totals(billed.draft) == before
