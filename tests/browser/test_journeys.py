"""Each role's main journeys, end to end, as a person walks them in a real Chromium (issue 15):
from the first page on, every step is a click on a link or button or typing into a labelled
field; the ORM only builds the starting world and checks what each step did. Each journey runs
at desktop width (1280x800) and on a phone (390x844), where the navigation is behind "Menu".

A screenshot of each meaningful step goes to ``$TCFO_SCREENSHOTS/journeys/<journey>-<width>/``
(``artifacts/screenshots/`` by default, the folder CI keeps; tests/browser/pages.py).

The world is the demo (``load_demo``), built once for the module and committed (the live server
reads it from its own connection), flushed at the end. Each width of a journey works on things
of its own (its own month to bill, its own order, its own conflict), so the tests do not depend
on each other's order.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zoneinfo
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connections
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import BillingRun, Invoice, InvoiceLine, Payment, UsageEvent
from billing.periods import add_months, period_of
from billing.services.balances import balance_of
from billing.services.invoices import issue_invoice
from billing.services.runs import invoice_totals
from billing.services.usage import ingest
from leasing.models import Order, Outage, Product, Quote, Service, Site
from leasing.models import Path as Route
from leasing.services.orders import create_quote, place_order
from leasing.services.outages import outage_segments
from organisations import two_factor
from organisations.access import SystemActor
from organisations.choices import Role
from organisations.demo import DEMO_PASSWORD
from organisations.models import Organisation, User
from tcfo_portal.celery import app as celery_app
from tcfo_portal.formatting import format_bitrate, format_moment, format_money, format_month

from ..factories import finance_of
from ..worlds import SHARED_SETTINGS
from .conftest import watch_csp
from .pages import DESKTOP, PHONE, screenshot_root

pytestmark = [pytest.mark.browser]

WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
# Each width bills a month of its own, both before the demo's (last month, billed by the demo).
MONTHS_BEFORE_LAST = {"desktop": 1, "phone": 2}


# --- the world ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(
    django_db_setup: None,
    django_db_blocker: object,
    live_server: object,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SimpleNamespace]:
    """The demo, committed, plus what each width's journeys start from; flushed at the end."""
    media = tmp_path_factory.mktemp("journeys-media")
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with (
            django_db_blocker.unblock(),
            override_settings(MEDIA_ROOT=media, **SHARED_SETTINGS),
            pytest.MonkeyPatch.context() as patch,
        ):
            try:
                call_command("load_demo", force=True, stdout=StringIO())
                world = _starting_points()
                world.base_url = live_server.url
                # Playwright's sync API runs an event loop in this thread; the ORM is still used
                # to check results.
                patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
                yield world
            finally:
                connections.close_all()
                call_command("flush", interactive=False, verbosity=0)
    finally:
        celery_app.conf.task_always_eager = eager


def _starting_points() -> SimpleNamespace:
    azt = Organisation.objects.get(invoice_prefix="AZT")
    caspian = Organisation.objects.get(name="Caspian Online")
    last = add_months(period_of(datetime.date.today()), -1)
    world = SimpleNamespace(azt=azt, caspian=caspian, last=last)
    world.months = {w: add_months(last, -k) for w, k in MONTHS_BEFORE_LAST.items()}
    # Journey 3: an order submitted by the customer for each width, for network staff to work.
    start = timezone.localdate() + datetime.timedelta(days=21)
    wl100 = Product.objects.get(code="WL100")
    route = Route.objects.get(code="BAK-AKT")
    world.orders = {
        width: place_order(
            quote=create_quote(
                customer=caspian,
                product=wl100,
                term_months=12,
                path=route,
                start_date=start,
                by="journeys",
            ),
            by="journeys",
        )
        for width in WIDTHS
    }
    world.start = start
    # Journey 3: a usage conflict of this month (not billed yet) on Caspian's transit, per width:
    # a bucket of the last minutes received twice with different values, as a poller would.
    transit = Service.objects.get(order__quote__created_by="demo:caspian-ipt10")
    poller = SystemActor(world.azt, Role.OPERATOR_NETWORK, "journeys poller")
    last_bucket = int(timezone.now().timestamp()) // 300 * 300
    world.transit = transit
    world.conflicts = {}
    for k, width in enumerate(WIDTHS):
        at = datetime.datetime.fromtimestamp(last_bucket - 300 * (k + 1), datetime.UTC)
        for in_bps in (7_000_000, (9 - k) * 1_000_000):
            sample = {"circuit_id": transit.circuit_id, "ts": at.isoformat(), "in_bps": in_bps}
            ingest(samples=[{**sample, "out_bps": 1_000_000}], actor=poller)
        world.conflicts[width] = UsageEvent.objects.filter(
            kind="conflict", port__service=transit
        ).latest("pk")
        assert world.conflicts[width].detail["received"][0] == (9 - k) * 1_000_000
    # Journey 4: Caspian's invoices of last month, issued (the demo leaves them drafts).
    for draft in Invoice.objects.filter(customer=caspian, status="draft", period=last):
        issue_invoice(invoice=draft, actor=finance_of(draft.billing_party))
    return world


@pytest.fixture
def transactional_db(world: SimpleNamespace) -> None:
    """The tests share the module's world (``world`` flushes it at the end) instead of the
    database pytest-django empties after each test using the live server."""


@pytest.fixture
def _media_root(world: SimpleNamespace) -> None:
    """Stored files (the PDFs of the invoices issued for the world) stay in the module's media
    folder (``world``), not the test's own (tests/conftest.py)."""


# --- walking the portal ---------------------------------------------------------------------------


class Walk:
    """A person at one width: navigates as they would, and photographs each step."""

    def __init__(self, page: object, journey: str, width: str) -> None:
        self.page = page
        self.width = width
        self.folder = screenshot_root() / "journeys" / f"{journey}-{width}"
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.step = 0
        self.shots: list[Path] = []

    @property
    def phone(self) -> bool:
        return self.width == "phone"

    def shot(self, name: str) -> None:
        self.step += 1
        path = self.folder / f"{self.step:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        self.shots.append(path)

    def navigate(self, name: str) -> None:
        """Follow the main navigation's link ``name`` (behind "Menu" on a phone)."""
        nav = self.page.get_by_role("navigation", name="Main")
        if self.phone:
            menu = self.page.get_by_role("button", name="Menu")
            menu.click()
            expect(menu).to_have_attribute("aria-expanded", "true")
        nav.get_by_role("link", name=name, exact=True).click()

    def heading(self, text: str | re.Pattern) -> None:
        expect(self.page.get_by_role("heading", level=1)).to_contain_text(text)

    def log_in(self, base_url: str, username: str) -> None:
        page = self.page
        page.goto(f"{base_url}/accounts/login/")  # the one URL typed: the first page
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        if page.url.endswith("/accounts/login/code/"):  # staff: two-factor authentication
            device = two_factor.authenticator_of(User.objects.get(username=username))
            page.get_by_label("Code").fill(two_factor.code_for(device))
            page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(f"{base_url}/")  # the dashboard
        expect(page.get_by_role("heading", name="To act on")).to_be_visible()


@pytest.fixture
def walk(world: SimpleNamespace, browser: object, request: pytest.FixtureRequest):
    """``walk(journey, width, username)``: a logged-in person at that width, on the dashboard;
    the test errs if any page broke the Content-Security-Policy."""
    opened = []

    def start(journey: str, width: str, username: str) -> Walk:
        context = browser.new_context(viewport=WIDTHS[width], accept_downloads=True)
        opened.append((context, watch_csp(context)))
        page = context.new_page()
        page.set_default_timeout(15_000)
        walker = Walk(page, journey, width)
        walker.log_in(world.base_url, username)
        return walker

    yield start
    violations = [text for _, found in opened for text in found]
    for context, _ in opened:
        context.close()
    assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)


def _dashboard_item(page: object, block: str, label: str) -> object:
    """The link of a dashboard card's count (``block``: the card's heading)."""
    card = page.get_by_role("region", name=block)
    return card.get_by_role("link", name=re.compile(re.escape(label)))


def _csv_rows(download: object) -> list[list[str]]:
    with open(download.path(), encoding="utf-8") as exported:
        return list(csv.reader(io.StringIO(exported.read())))


# --- 1. finance: run, review, correct, issue and collect a month ----------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_a_finance_clerk_bills_reviews_corrects_issues_and_collects_a_month(world, walk, width):
    month = world.months[width]
    me = walk("finance-month", width, "azt-finance")
    page = me.page
    me.shot("dashboard")

    # The dashboard says the month is not billed yet; its link leads to the billing page.
    _dashboard_item(
        page, "Months to bill or close", f"{format_month(month)}: not billed yet"
    ).click()
    me.heading("Billing")
    run_form = page.get_by_role("form", name="Bill a period")
    expect(run_form.get_by_label("Period")).to_have_value(month)
    me.shot("billing-page")
    page.get_by_role("button", name="Run billing").click()

    # The confirmation names what will happen, and nothing runs before it is confirmed.
    me.heading(f"Run billing for {format_month(month)}?")
    expect(page.locator("#confirm-what")).to_contain_text("puts their lines on draft invoices")
    assert not BillingRun.objects.filter(period=month).exists()
    me.shot("run-confirmation")
    page.get_by_role("button", name="Run billing").click()
    expect(page.get_by_text(f"Billing {format_month(month)}: started.")).to_be_visible()
    run = BillingRun.objects.get(period=month)
    assert run.status == "done", run.error
    drafts = Invoice.objects.filter(period=month, billing_party=world.azt, status="draft")
    assert drafts.exists()
    expect(page.get_by_role("row").filter(has_text=month).first).to_contain_text("Done")
    me.shot("run-done")

    # The dashboard's "drafts to review" count leads to the drafts.
    me.navigate("Dashboard")
    count = Invoice.objects.filter(billing_party=world.azt, status="draft").count()
    item = _dashboard_item(page, "Invoices to review", "Drafts to review and issue")
    expect(item).to_contain_text(str(count))
    me.shot("dashboard-drafts")
    item.click()
    me.heading("Invoices")
    expect(page.locator("tbody tr")).to_have_count(min(count, 50))
    draft = drafts.filter(customer=world.caspian).get()
    row = page.get_by_role("row").filter(has_text=month).filter(has_text="Caspian Online")
    me.shot("drafts-list")
    row.get_by_role("link", name="Draft").click()
    me.heading(f"Draft {draft.pk}")
    total_before = draft.lines.count()
    me.shot("draft")

    # A manual line, first with a mistake: the error at the field, everything typed kept.
    page.get_by_role("link", name="Add a manual line").click()
    me.heading("manual line")
    service_day = f"{month}-15"
    page.get_by_label("Description").fill("Cross-connect at Baku PoP")
    page.get_by_label("Quantity").fill("2")
    page.get_by_label("Unit price").fill("-150")
    page.get_by_label("Service date").fill(service_day)
    site = str(Site.objects.get(code="BAK-POP"))
    page.get_by_label("Site").select_option(label=site)
    page.get_by_role("button", name="Add the line").click()
    expect(page.locator("#id_unit_price ~ .errorlist")).to_be_visible()
    expect(page.get_by_label("Description")).to_have_value("Cross-connect at Baku PoP")
    expect(page.get_by_label("Quantity")).to_have_value("2")
    expect(page.get_by_label("Unit price")).to_have_value("-150")
    expect(page.get_by_label("Service date")).to_have_value(service_day)
    expect(page.get_by_label("Site").locator("option:checked")).to_have_text(site)
    assert draft.lines.count() == total_before
    me.shot("manual-line-error")
    page.get_by_label("Unit price").fill("150.50")
    me.shot("manual-line-corrected")
    page.get_by_role("button", name="Add the line").click()
    me.heading(f"Draft {draft.pk}")
    line = InvoiceLine.objects.get(invoice=draft, description="Cross-connect at Baku PoP")
    assert line.amount == Decimal("301.00")
    row = page.get_by_role("row").filter(has_text="Cross-connect at Baku PoP")
    expect(row).to_contain_text("301.00")
    me.shot("draft-with-line")

    # Issue: the confirmation names the total.
    draft.refresh_from_db()
    total = format_money(invoice_totals(draft).total.amount, draft.currency)
    page.get_by_role("button", name="Issue this invoice").click()
    me.heading(f"Issue the invoice of {total}")
    expect(page.locator(".confirm-amount")).to_contain_text(total)
    me.shot("issue-confirmation")
    page.get_by_role("button", name=re.compile("^Issue")).click()
    expect(page.get_by_test_id("invoice-status")).to_have_text("Issued")
    invoice = Invoice.objects.get(pk=draft.pk)
    assert invoice.status == "issued" and invoice.number
    me.heading(f"Invoice {invoice.number}")
    expect(page.get_by_test_id("invoice-total")).to_have_text(total)
    me.shot("issued")

    # Record the payment of all that is due, confirmed.
    due = balance_of(invoice).due
    page.get_by_role("link", name="Record a payment").click()
    page.get_by_label("Amount").fill(str(due))
    page.get_by_label("Received on").fill(timezone.localdate().isoformat())
    page.get_by_label("Reference").fill(f"SWIFT {month}")
    page.get_by_role("button", name="Record the payment").click()
    paid = format_money(due, invoice.currency)
    me.heading(f"Record a payment of {paid}?")
    me.shot("payment-confirmation")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_test_id("invoice-status")).to_have_text("Paid")
    expect(page.get_by_test_id("invoice-paid")).to_have_text(paid)
    assert Payment.objects.get(invoice=invoice).amount == due
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    me.shot("paid")

    # The invoices list filtered by "paid" shows it, and its CSV holds it.
    me.navigate("Invoices")
    filters = page.get_by_role("form", name="Filter invoices")
    filters.get_by_text("Filter and search").click()  # folded until a filter is set
    filters.get_by_label("Status", exact=True).select_option("paid")
    filters.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name=invoice.number, exact=True)).to_be_visible()
    assert "status=paid" in page.url
    expect(page.locator("tbody .badge")).to_have_text(["Paid"] * page.locator("tbody tr").count())
    me.shot("paid-list")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    rows = _csv_rows(download.value)
    assert any(invoice.number in row for row in rows[1:]), rows[:3]


# --- 2. a buyer finds, quotes and orders ----------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_a_buyer_finds_quotes_and_orders_a_wavelength(world, walk, width):
    me = walk("buyer-order", width, "caspian-admin")
    page = me.page
    me.shot("dashboard")
    me.navigate("Catalog")
    me.heading("Catalog")
    wavelength = page.get_by_role("region", name="100G wavelength WL100")
    me.shot("catalog")
    wavelength.get_by_role("link", name="Quote this: WL100 BAK-AKT for 12 months").click()

    # The quote form comes filled in with what was chosen; the buyer picks the start.
    me.heading("Ask for a quote")
    expect(page.get_by_label("Product").locator("option:checked")).to_contain_text("WL100")
    expect(page.get_by_label("Path").locator("option:checked")).to_contain_text("BAK-AKT")
    expect(page.get_by_label("Term").locator("option:checked")).to_have_text("12 months")
    start = world.start + datetime.timedelta(days=7 if width == "desktop" else 8)
    page.get_by_label("Start date").fill(start.isoformat())
    me.shot("quote-form")
    page.get_by_role("button", name="Get the quote").click()
    me.heading("Quote")
    quote = Quote.objects.filter(customer=world.caspian).latest("pk")
    assert (quote.product.code, quote.path.code, quote.term_months) == ("WL100", "BAK-AKT", 12)
    assert quote.start_date == start
    monthly = format_money(quote.mrc, quote.currency)
    expect(page.get_by_text(monthly).first).to_be_visible()
    me.shot("quote")

    # Order now: the confirmation names the monthly amount; nothing is ordered before.
    page.get_by_role("button", name="Order now").click()
    me.heading(f"Order quote {quote.pk}?")
    expect(page.locator(".confirm-amount")).to_have_text(f"Amount: {monthly} a month")
    assert not Order.objects.filter(quote=quote).exists()
    me.shot("order-confirmation")
    page.get_by_role("button", name="Place the order").click()
    expect(page.get_by_test_id("order-state")).to_have_text("Submitted")
    order = Order.objects.get(quote=quote)
    me.heading(f"Order {order.pk}")
    me.shot("order")

    # The orders list shows it; so does the dashboard's count of open orders.
    me.navigate("Orders")
    expect(page.get_by_role("link", name=f"Order {order.pk}", exact=True)).to_be_visible()
    me.shot("orders")
    me.navigate("Dashboard")
    submitted = Order.objects.filter(quote__customer=world.caspian, state="submitted").count()
    item = _dashboard_item(page, "Open orders", "Submitted")
    expect(item).to_contain_text(str(submitted))
    me.shot("dashboard-open-orders")
    item.click()
    link = page.get_by_role("link", name=f"Order {order.pk}", exact=True)
    expect(link).to_be_visible()
    link.click()
    me.heading(f"Order {order.pk}")


# --- 3. network staff work the queue, record an outage, resolve a conflict ------------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_network_staff_work_an_order_record_an_outage_and_resolve_a_conflict(world, walk, width):
    order = world.orders[width]
    me = walk("network-queue", width, "azt-network")
    page = me.page
    me.shot("dashboard")

    # The order queue's count leads to the order.
    item = _dashboard_item(page, "Order queue", "Submitted")
    expect(item).to_be_visible()
    item.click()
    me.heading("Order queue")
    me.shot("order-queue")
    page.get_by_role("link", name=f"Order {order.pk}", exact=True).click()
    me.heading(f"Order {order.pk}")
    me.shot("order")
    acknowledge = page.get_by_role("form", name="Acknowledge")
    acknowledge.get_by_label("Note").fill("Patch panel at Aktau checked.")
    acknowledge.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_test_id("order-state")).to_have_text("Acknowledged")
    me.shot("acknowledged")
    page.get_by_role("form", name="Provision").get_by_role("button", name="Provision").click()
    expect(page.get_by_test_id("order-state")).to_have_text("In progress")
    me.shot("provisioning")
    complete = page.get_by_role("form", name="Complete")
    complete.get_by_label("Ready for service date").fill(order.quote.start_date.isoformat())
    complete.get_by_role("button", name="Complete").click()
    # Completing starts billing: the confirmation names the day billing starts from.
    me.heading(f"Complete order {order.pk}")
    me.shot("complete-confirmation")
    page.get_by_role("button", name="Complete: bill from").click()
    expect(page.get_by_test_id("order-state")).to_have_text("Completed")
    order.refresh_from_db()
    assert order.state == "completed" and order.service.circuit_id
    expect(page.get_by_role("link", name=order.service.circuit_id)).to_be_visible()
    me.shot("completed")

    # An outage on a segment AzerTelecom holds, its times typed in Asia/Baku (named).
    me.navigate("Outages")
    me.heading("Outages")
    form = page.get_by_role("form", name="Record an outage")
    segment = outage_segments(User.objects.get(username="azt-network")).first()
    zone = zoneinfo.ZoneInfo("Asia/Baku")
    started = (
        (timezone.now() - datetime.timedelta(days=2 if width == "desktop" else 3))
        .astimezone(zone)
        .replace(hour=3, minute=15, second=0, microsecond=0)
    )
    ended = started + datetime.timedelta(minutes=50)
    form.get_by_label("Segment").select_option(label=str(segment))
    form.get_by_label("Started at").fill(started.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("Ended at").fill(ended.strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("Description").fill(f"Fibre cut near the landing ({width})")
    expect(form).to_contain_text("Asia/Baku")
    me.shot("outage-form")
    form.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Outage recorded.")).to_be_visible()
    outage = Outage.objects.get(description=f"Fibre cut near the landing ({width})")
    assert (outage.segment, outage.started_at, outage.ended_at) == (segment, started, ended)
    row = page.get_by_role("row").filter(has_text=f"Fibre cut near the landing ({width})")
    expect(row).to_contain_text(format_moment(started, zone))
    me.shot("outage-listed")

    # The dashboard's "conflicts to resolve" card leads to the conflict; resolved with a reason.
    conflict = world.conflicts[width]
    me.navigate("Dashboard")
    item = _dashboard_item(page, "Usage decisions", "Usage conflicts to resolve")
    expect(item).to_be_visible()
    me.shot("dashboard-conflicts")
    item.click()
    me.heading("Usage decisions")
    received = format_bitrate(conflict.detail["received"][0])
    row = page.get_by_role("row").filter(has_text=received).filter(has_text="To resolve")
    me.shot("conflicts")
    row.get_by_role("link").first.click()
    me.heading("A different value for a bucket already stored")
    page.get_by_label("Take the value received").check()
    page.get_by_label("Why").fill("The collector restarted; the resent sample is right.")
    me.shot("conflict-form")
    page.get_by_role("button", name="Resolve").click()
    if page.get_by_role("button", name="Go back and change").count():  # a confirmation step
        me.shot("conflict-confirmation")
        page.get_by_role("button", name=re.compile("Resolve")).click()
    resolution = page.get_by_role("region", name="Resolution")
    expect(resolution.get_by_role("definition").first).to_have_text("Take the value received")
    expect(resolution).to_contain_text("azt-network")
    conflict.refresh_from_db()
    assert conflict.resolution.reason == "The collector restarted; the resent sample is right."
    assert conflict.resolution.resolved_by
    me.shot("conflict-resolved")


# --- 4. a customer admin: what is due, an invoice's PDF, a month without usage --------------------


@pytest.mark.parametrize("width", WIDTHS)
def test_a_customer_admin_follows_the_balance_due_to_an_invoice_and_reads_an_empty_month(
    world, walk, width
):
    me = walk("customer-balance", width, "caspian-admin")
    page = me.page
    me.shot("dashboard")
    invoice = Invoice.objects.filter(customer=world.caspian, period=world.last).order_by("pk")[0]
    item = _dashboard_item(page, "Balance due", f"Balance due in {invoice.currency}")
    expect(item).to_be_visible()
    item.click()
    me.heading("Invoices")
    expect(page.get_by_role("form", name="Filter invoices")).to_be_visible()
    link = page.get_by_role("link", name=invoice.number, exact=True)
    expect(link).to_be_visible()
    me.shot("invoices-due")
    link.click()
    me.heading(f"Invoice {invoice.number}")
    due = format_money(balance_of(invoice).due, invoice.currency)
    expect(page.get_by_test_id("invoice-balance-due")).to_have_text(due)
    me.shot("invoice")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    assert download.value.failure() is None
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    # The usage of the transit in a month before it carried traffic: a no-data state.
    me.navigate("Services")
    page.get_by_role("link", name=world.transit.circuit_id).first.click()
    page.get_by_role("link", name="Traffic and 95th percentile").click()
    me.heading(f"Usage of {world.transit.circuit_id}")
    me.shot("usage")
    empty = add_months(period_of(world.transit.activated_on), -1)
    page.get_by_role("form", name="Month shown").get_by_label("Month", exact=True).fill(empty)
    page.get_by_role("button", name="Show").click()
    me.heading(f"in {format_month(empty)}")
    expect(page.get_by_test_id("no-data")).to_contain_text("No data for this month")
    me.shot("usage-no-data")
