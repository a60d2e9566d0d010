"""A list as a person uses it, in a real headless Chromium: filter the quotes, sort them by a
column header, go to the next page and download the CSV of what the filters keep."""

import csv
import datetime
import io

import pytest
from playwright.sync_api import expect

from leasing.models import Quote
from leasing.services.orders import create_quote
from organisations.choices import Role

from ..factories import TEST_PASSWORD, CustomerFactory, UserFactory
from ..leasing.conftest import add_sales, build_net

DASH = "\N{EN DASH}"  # of "1-50 of 60"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, user) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def test_a_buyer_filters_sorts_pages_and_downloads_the_quotes(live_server, page):
    net = add_sales(build_net())
    buyer = UserFactory(organisation=net.customer, role=Role.CUSTOMER_ADMIN, username="lists")
    other = CustomerFactory(name="Someone Else")
    sale = {"product": net.wl100, "term_months": 12, "path": net.path, "by": "t"}
    first = datetime.date(2027, 1, 1)
    for k in range(60):
        create_quote(customer=net.customer, start_date=first + datetime.timedelta(days=k), **sale)
    create_quote(customer=other, start_date=first, **sale)
    mine = Quote.objects.filter(customer=net.customer).count()
    _log_in(page, live_server, buyer)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Quotes").click()
    expect(page.get_by_role("heading", name="Quotes", level=1)).to_be_visible()
    expect(page.locator("nav.pagination")).to_contain_text(f"1{DASH}50 of {mine}")

    # filter: made since a day (a date picker), then not yet ordered; the filters are folded
    # until one is set
    filters = page.locator("details.list-filter-fields")
    expect(filters).not_to_have_attribute("open", "")
    page.get_by_text("Filter and search").click()
    page.get_by_label("Created after").fill("2000-01-01")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("nav.pagination")).to_contain_text(f"of {mine}")
    page.get_by_label("Ordered").select_option("false")
    page.get_by_role("button", name="Filter").click()
    assert "ordered=false" in page.url
    expect(filters).to_have_attribute("open", "")
    expect(filters.locator("summary")).to_contain_text("2 active")

    # sort by start, then the other way
    page.get_by_role("link", name="Start").click()
    header = page.locator("th[aria-sort]")
    expect(header).to_have_attribute("aria-sort", "ascending")
    page.get_by_role("link", name="Start").click()
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    latest = page.locator("tbody tr").first
    expect(latest).to_contain_text("1 Mar 2027")  # the 60th day from 1 Jan

    # next page keeps the filter and the sort
    page.get_by_role("link", name="Next").click()
    expect(page.locator("nav.pagination")).to_contain_text(f"51{DASH}{mine} of {mine}")
    assert "ordering=-start_date" in page.url and "ordered=false" in page.url

    # the CSV: every row the filters keep, not just the page, and none of another customer's
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    with open(download.path(), encoding="utf-8") as exported:
        rows = list(csv.reader(io.StringIO(exported.read())))
    assert len(rows) - 1 == mine
    ids = {int(row[0]) for row in rows[1:]}
    assert ids == set(Quote.objects.filter(customer=net.customer).values_list("pk", flat=True))


def test_on_a_phone_the_first_order_is_in_the_first_screen_and_the_filters_unfold(
    live_server, browser
):
    from leasing.services.orders import place_order

    net = add_sales(build_net())
    buyer = UserFactory(organisation=net.customer, role=Role.CUSTOMER_ADMIN, username="phone")
    first = datetime.date(2027, 1, 1)
    for k in range(3):
        quote = create_quote(
            customer=net.customer,
            product=net.wl100,
            term_months=12,
            path=net.path,
            by="t",
            start_date=first + datetime.timedelta(days=k),
        )
        place_order(quote=quote, by="t")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(buyer.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.goto(f"{live_server.url}/orders/")
    row = page.locator("tbody tr").first
    expect(row).to_be_visible()
    box = row.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844, box
    filters = page.locator("details.list-filter-fields")
    expect(filters).not_to_have_attribute("open", "")
    expect(filters.locator("summary")).to_have_text("Filter and search")

    page.get_by_text("Filter and search").click()
    page.get_by_label("State").select_option("submitted")
    page.get_by_role("button", name="Filter").click()
    assert "state=submitted" in page.url
    expect(page.locator("tbody tr")).to_have_count(3)
    expect(filters).to_have_attribute("open", "")
    expect(filters.locator("summary")).to_contain_text("1 active")
    context.close()
