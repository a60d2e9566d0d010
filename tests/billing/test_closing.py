"""Closing a month and the data that arrives after it (README "Rating rules", domain.md 6a).

- a month is billed only once it has ended in the billing party's zone (service, API, portal);
- finance closes a month: its 95ths (with or without a burst line) and availabilities freeze;
- usage for a frozen month is stored, answered as late, changes no frozen figure and becomes a
  late adjustment that finance bills with a debit note (own series and PDF) or dismisses;
- an outage recorded late becomes a late adjustment given back by a credit note;
- an IRU signed near midnight is billed in the Baku month it was signed in.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.choices import LateKind, LateStatus
from billing.models import (
    BillingRun,
    DebitNote,
    Invoice,
    LateAdjustment,
    PeriodClose,
    ServiceUptime,
    UsagePercentile,
)
from billing.services.closing import close_period, note_late_outages
from billing.services.debit_notes import bill_late_adjustment, dismiss_late_adjustment
from billing.services.invoices import issue_invoice
from billing.services.runs import invoice_totals, start_run
from leasing.models import Order, Outage
from leasing.services.orders import (
    acknowledge_order,
    complete_order,
    create_quote,
    place_order,
    start_provisioning,
)
from organisations.choices import Role
from tcfo_portal.exceptions import Conflict, DomainError, Forbidden

from .. import factories
from ..conftest import key_client
from ..factories import UserFactory
from .conftest import OCT_BAKU

pytestmark = pytest.mark.django_db


def finance_of(operator):
    return factories.finance_of(operator, "finance test")


def _bill(period, capture):
    with capture(execute=True):
        start_run(period=period, by="finance")


def _issue_all(period, capture):
    with capture(execute=True):
        for invoice in Invoice.objects.filter(period=period, status="draft").order_by("pk"):
            issue_invoice(invoice=invoice, actor=finance_of(invoice.billing_party))


@pytest.fixture
def closed(october, django_capture_on_commit_callbacks):
    """October billed, issued and closed by AZT."""
    _bill("2026-10", django_capture_on_commit_callbacks)
    _issue_all("2026-10", django_capture_on_commit_callbacks)
    october.closing = close_period(
        period="2026-10", billing_party=october.azt, actor=finance_of(october.azt)
    )
    return october


def test_a_month_is_billed_only_once_it_has_ended(october, client):
    # Today is in November 2026: November and later months are refused everywhere.
    for period in ("2026-11", "2027-05"):
        with pytest.raises(DomainError, match="has not ended"):
            start_run(period=period, by="finance")
    assert not BillingRun.objects.exists()
    finance = key_client(october.azt, Role.OPERATOR_FINANCE)[0]
    response = finance.post("/api/v1/billing-runs/", {"period": "2026-11"}, format="json")
    assert response.status_code == 400
    assert "has not ended" in response.json()["detail"]
    assert "period" in response.json()["errors"]
    client.force_login(UserFactory(organisation=october.azt, role=Role.OPERATOR_FINANCE))
    page = client.post("/billing/", {"period": "2027-05"})
    assert page.status_code == 400 and "has not ended" in page.content.decode()
    assert not BillingRun.objects.exists()


def test_closing_freezes_every_figure_and_stores_the_settlement(closed):
    # The transit 95th is frozen although a burst line would not have done it alone.
    percentile = UsagePercentile.objects.get(service=closed.transit, period="2026-10")
    assert percentile.frozen_at is not None
    uptime = ServiceUptime.objects.get(contract=closed.lease.contract, period="2026-10")
    assert uptime.frozen_at is not None and uptime.uptime == Decimal(100)
    close = PeriodClose.objects.get(period="2026-10", billing_party=closed.azt)
    assert close.closed_by == "finance test"
    [statement] = close.settlement
    assert (statement["first"], statement["second"], statement["first_owes"]) == (
        "AZT",
        "KTC",
        "598239.51",
    )
    with pytest.raises(Conflict):
        close_period(period="2026-10", billing_party=closed.azt, actor=finance_of(closed.azt))
    # another operator's finance staff cannot close AZT's month
    with pytest.raises(Forbidden):
        close_period(period="2026-10", billing_party=closed.azt, actor=finance_of(closed.ktc))


def test_a_month_with_drafts_or_not_billed_cannot_be_closed(
    october, django_capture_on_commit_callbacks
):
    actor = finance_of(october.azt)
    with pytest.raises(DomainError, match="Bill 2026-10 first"):
        close_period(period="2026-10", billing_party=october.azt, actor=actor)
    _bill("2026-10", django_capture_on_commit_callbacks)
    with pytest.raises(DomainError, match="still drafts"):
        close_period(period="2026-10", billing_party=october.azt, actor=actor)
    with pytest.raises(DomainError, match="has not ended"):
        close_period(period="2026-11", billing_party=october.azt, actor=actor)


def _late_samples(net, rate):
    """A burst at the end of October (Baku), sent after October was closed."""
    start = OCT_BAKU + datetime.timedelta(days=20)
    return {
        "samples": [
            {
                "circuit_id": net.transit.circuit_id,
                "ts": (start + datetime.timedelta(minutes=5 * i)).isoformat(),
                "in_bps": rate,
                "out_bps": 0,
            }
            for i in range(40)
        ]
    }


def test_late_usage_is_stored_answered_late_and_billed_by_a_debit_note(
    closed, django_capture_on_commit_callbacks
):
    net = closed
    frozen = UsagePercentile.objects.get(service=net.transit, period="2026-10")
    foreign = Invoice.objects.get(customer=net.customer, period="2026-10")
    totals_before = invoice_totals(foreign)

    response = net.collector.post(
        "/api/v1/usage/samples/", _late_samples(net, 3_000_000_000), format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["accepted"] == 40  # nothing lost
    assert body["late"] == [{"circuit_id": net.transit.circuit_id, "period": "2026-10"}]

    # The frozen figure stands, in the API too.
    usage = net.collector.get(f"/api/v1/services/{net.transit.circuit_id}/usage/?period=2026-10")
    assert usage.json()["billable_bps"] == frozen.billable_bps == 2_500_000_000
    assert (usage.json()["time_zone"], usage.json()["frozen"]) == ("Asia/Baku", True)
    frozen.refresh_from_db()
    assert frozen.billable_bps == 2_500_000_000

    [adjustment] = LateAdjustment.objects.all()
    # 80 samples now: rank 76 is 3,000 Mbit/s; 1,000 above the commit x 0.60 = 600.00, billed
    # 300.00: 300.00 more.
    assert (adjustment.kind, adjustment.status, adjustment.current_value) == (
        LateKind.USAGE,
        LateStatus.OPEN,
        Decimal(3_000_000_000),
    )
    assert adjustment.amount == Decimal("300.00")

    # Sending the same again adds nothing: no second adjustment, no new late month.
    again = net.collector.post(
        "/api/v1/usage/samples/", _late_samples(net, 3_000_000_000), format="json"
    )
    assert again.json()["duplicates"] == 40 and again.json()["late"] == []
    assert LateAdjustment.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        note = bill_late_adjustment(
            adjustment=adjustment, reason="Collector was down", actor=finance_of(net.azt)
        )
    assert isinstance(note, DebitNote)
    note.refresh_from_db()
    year = note.issued_at.year
    assert note.number == f"{net.azt.invoice_prefix}-DN-{year}-000001"
    [line] = note.lines.all()
    assert (line.amount, line.tax_amount) == (Decimal("300.00"), Decimal("0.00"))  # reverse charge
    assert {a.operator.name: a.amount for a in line.allocations.all()} == {"AZT": Decimal("300.00")}
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(note.pdf.read())).pages)
    assert note.number in text and foreign.number in text and "300.00" in text
    assert "0% 0.00" in text and "Total due 300.00 USD" in text  # tcfo_portal.formatting
    adjustment.refresh_from_db()
    assert (adjustment.status, adjustment.debit_note, adjustment.resolved_by) == (
        LateStatus.BILLED,
        note,
        "finance test",
    )
    # The issued invoice never changed.
    assert invoice_totals(Invoice.objects.get(pk=foreign.pk)) == totals_before
    with pytest.raises(Exception, match="Billed"):
        bill_late_adjustment(adjustment=adjustment, reason="twice", actor=finance_of(net.azt))


def test_each_sample_stored_in_a_closed_month_is_answered_late(closed):
    net = closed
    body = _late_samples(net, 3_000_000_000)
    samples = body["samples"]
    november = (OCT_BAKU + datetime.timedelta(days=31, minutes=5)).isoformat()  # 1 Nov, Baku
    samples[-1]["ts"] = november
    # The column path takes the plain batch.
    answer = net.collector.post("/api/v1/usage/samples/", body, format="json").json()
    assert (answer["accepted"], answer["duplicates"], answer["rejected"]) == (40, 0, 0)
    assert answer["decisions"]["late"] == 39 and answer["decisions"]["accepted"] == 1
    assert [r["index"] for r in answer["results"]] == list(range(39))  # not the November one
    assert answer["results"][0] == {
        "index": 0,
        "status": "accepted",
        "decision": "late",
        "reason": "stored in 2026-10, a month already closed: its billed figures stand, the "
        "difference goes to a late adjustment",
    }
    # Sample by sample (a port named), a rate above the port's speed: late, and capped.
    day = [(OCT_BAKU + datetime.timedelta(days=d)).isoformat() for d in (25, 26)]
    more = [
        {**samples[0], "ts": day[0], "port": "default"},
        {**samples[0], "ts": day[1], "port": "default", "in_bps": 30_000_000_000},
    ]
    answer = net.collector.post("/api/v1/usage/samples/", {"samples": more}, format="json").json()
    assert [(r["decision"], r.get("stored")) for r in answer["results"]] == [
        ("late", None),
        ("late", {"in_bps": 10_000_000_000, "out_bps": 0}),
    ]
    assert answer["results"][1]["reason"].startswith("above the port's speed")
    assert answer["late"] == [{"circuit_id": net.transit.circuit_id, "period": "2026-10"}]


def test_a_late_adjustment_is_dismissed_with_a_reason_by_the_billing_party_only(closed):
    net = closed
    net.collector.post("/api/v1/usage/samples/", _late_samples(net, 3_000_000_000), format="json")
    adjustment = LateAdjustment.objects.get()
    with pytest.raises(Forbidden):
        dismiss_late_adjustment(adjustment=adjustment, reason="no", actor=finance_of(net.ktc))
    with pytest.raises(DomainError, match="Say why"):
        dismiss_late_adjustment(adjustment=adjustment, reason=" ", actor=finance_of(net.azt))
    dismissed = dismiss_late_adjustment(
        adjustment=adjustment, reason="Within tolerance", actor=finance_of(net.azt)
    )
    assert (dismissed.status, dismissed.reason) == (LateStatus.DISMISSED, "Within tolerance")
    assert not DebitNote.objects.exists()


def test_a_rerun_of_a_closed_month_bills_nothing_new(closed, django_capture_on_commit_callbacks):
    lines = sum(invoice.lines.count() for invoice in Invoice.objects.all())
    _bill("2026-10", django_capture_on_commit_callbacks)
    assert sum(invoice.lines.count() for invoice in Invoice.objects.all()) == lines
    assert not Invoice.objects.filter(status="draft").exists()


def test_an_outage_recorded_late_is_noted_with_the_credit_it_would_give(closed):
    net = closed
    lease = net.lease.contract
    segment = net.path.ordered_segments()[0]
    # Down for 2 days in October (of the lease's 16 days): availability 87.5%.
    Outage.objects.create(
        segment=segment,
        started_at=datetime.datetime(2026, 10, 20, 0, 0, tzinfo=datetime.UTC),
        ended_at=datetime.datetime(2026, 10, 22, 0, 0, tzinfo=datetime.UTC),
        description="Cable cut, recorded late",
        recorded_by="noc",
    )
    assert note_late_outages() == 1
    adjustment = LateAdjustment.objects.get(kind=LateKind.OUTAGE)
    assert adjustment.billed_value == Decimal(100)
    assert adjustment.current_value == Decimal("87.500")
    tiers = lease.sla_tiers.all()
    credit = max(t.credit_percent for t in tiers if Decimal("87.5") < t.availability_below)
    assert adjustment.amount == -(Decimal("6451.61") * credit / 100).quantize(Decimal("0.01"))
    assert ServiceUptime.objects.get(contract=lease, period="2026-10").uptime == 100
    assert note_late_outages() == 1  # noted again: the same open adjustment, updated
    assert LateAdjustment.objects.filter(kind=LateKind.OUTAGE).count() == 1


def test_an_iru_signed_near_midnight_bills_its_signing_in_the_baku_month(
    usage, django_capture_on_commit_callbacks
):
    """Placed at 21:30 UTC on 31 August, i.e. 1 September in Baku; live on 5 October."""
    net = usage
    from billing.models import TaxRate

    TaxRate.objects.create(country="AZ", rate_percent=18, valid_from=datetime.date(2001, 1, 1))
    quote = create_quote(
        customer=net.customer,
        product=net.iru,
        start_date=datetime.date(2026, 10, 5),
        by="t",
        backdated=True,
        term_months=180,
        path=net.path,
    )
    order = place_order(quote=quote, by="t")
    Order.objects.filter(pk=order.pk).update(
        created_at=datetime.datetime(2026, 8, 31, 21, 30, tzinfo=datetime.UTC)
    )
    order.refresh_from_db()
    acknowledge_order(order=order, by="t")
    start_provisioning(order=order, by="t")
    service = complete_order(order=order, by="t", ready_for_service_date=datetime.date(2026, 10, 5))
    signing = service.contract.installments.get(due="signing")
    assert signing.due_on == datetime.date(2026, 9, 1)

    for period in ("2026-08", "2026-09", "2026-10"):
        _bill(period, django_capture_on_commit_callbacks)
    billed = {
        period: sorted(
            (line.kind, line.amount)
            for line in Invoice.objects.get(customer=net.customer, period=period).lines.filter(
                contract=service.contract
            )
        )
        for period in ("2026-09", "2026-10")
    }
    august = Invoice.objects.get(customer=net.customer, period="2026-08")  # the transit's
    assert not august.lines.filter(contract=service.contract).exists()
    assert billed["2026-09"] == [("iru_installment", signing.amount)]
    assert [kind for kind, _ in billed["2026-10"]] == ["iru_installment", "om_fee"]


def test_a_second_late_batch_bills_only_what_the_first_debit_note_did_not(
    closed, django_capture_on_commit_callbacks
):
    net = closed
    net.collector.post("/api/v1/usage/samples/", _late_samples(net, 3_000_000_000), format="json")
    first = LateAdjustment.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        bill_late_adjustment(adjustment=first, reason="late", actor=finance_of(net.azt))
    # Another 80 samples at 4 Gbit/s a day later: the 95th moves from 3 to 4 Gbit/s.
    more = _late_samples(net, 4_000_000_000)
    later = [
        {**s, "ts": (datetime.datetime.fromisoformat(s["ts"]) + delta).isoformat()}
        for delta in (datetime.timedelta(days=1), datetime.timedelta(days=2))
        for s in more["samples"]
    ]
    response = net.collector.post("/api/v1/usage/samples/", {"samples": later}, format="json")
    assert response.json()["late"] == [{"circuit_id": net.transit.circuit_id, "period": "2026-10"}]
    second = LateAdjustment.objects.get(status=LateStatus.OPEN)
    # billed so far: 3,000 Mbit/s (the first debit note); now 4,000: 1,000 more x 0.60
    assert (second.billed_value, second.current_value) == (
        Decimal(3_000_000_000),
        Decimal(4_000_000_000),
    )
    assert second.amount == Decimal("600.00")
    assert (second.billed_label, second.current_label) == ("3 Gbit/s", "4 Gbit/s")


def test_an_outage_recorded_late_is_noted_once_it_is_committed(
    closed, django_capture_on_commit_callbacks
):
    from leasing.services.outages import record_outage

    from ..factories import UserFactory

    net = closed
    noc = UserFactory(organisation=net.azt, role=Role.OPERATOR_NETWORK)
    with django_capture_on_commit_callbacks(execute=True):
        record_outage(
            segment=net.path.ordered_segments()[0],
            started_at=datetime.datetime(2026, 10, 20, tzinfo=datetime.UTC),
            ended_at=datetime.datetime(2026, 10, 22, tzinfo=datetime.UTC),
            description="Cut found in the logs",
            actor=noc,
        )
    adjustment = LateAdjustment.objects.get(kind=LateKind.OUTAGE)
    assert adjustment.amount < 0 and adjustment.current_label == "87.5%"


def test_a_refused_close_shows_the_billing_page(october, client):
    client.force_login(UserFactory(organisation=october.azt, role=Role.OPERATOR_FINANCE))
    response = client.post("/billing/close/", {"period": "2026-10"})  # refused before asking
    assert response.status_code == 400
    page = response.content.decode()
    assert "Bill 2026-10 first" in page and "Run billing" in page


def test_the_monthly_schedule_bills_the_month_that_ended_in_baku(october):
    from billing.tasks import start_monthly_billing

    run = BillingRun.objects.get(pk=start_monthly_billing())
    assert (run.period, run.requested_by) == ("2026-10", "monthly schedule")
