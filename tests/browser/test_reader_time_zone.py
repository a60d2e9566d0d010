"""In a real Chromium: a customer sets their own time zone from the header and reads the order
history in it, the zone named; the usage page names its billing zone, says when a month has
no data, and its chart's axis is labelled in bit rates."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from billing.periods import add_months, period_of
from leasing.models import Order, Service

from .test_network_pages import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_reads_times_in_the_zone_they_choose(live_server, page):
    call_command("load_demo", force=True, stdout=StringIO())
    order = Order.objects.filter(customer__name="Caspian Online").order_by("pk").first()
    _log_in(page, live_server, "caspian-admin")
    page.get_by_role("link", name="Settings", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your settings")
    expect(page.get_by_test_id("reading-zone")).to_contain_text("Asia/Baku")
    page.get_by_role("combobox", name="Time zone").select_option("Asia/Almaty")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Times are now shown in Asia/Almaty")

    page.goto(f"{live_server.url}/orders/{order.pk}/")
    history = page.locator("ol.history time")
    expect(history.first).to_contain_text("Asia/Almaty")
    assert all(text.endswith(" Asia/Almaty") for text in history.all_inner_texts())


def test_the_usage_page_names_its_zone_and_says_when_a_month_has_no_data(live_server, page):
    call_command("load_demo", force=True, stdout=StringIO())
    _log_in(page, live_server, "caspian-admin")
    transit = Service.objects.filter(product__code="IPT10", customer__name="Caspian Online")[0]
    usage = f"{live_server.url}/services/{transit.circuit_id}/usage/"
    page.goto(f"{usage}?period=2031-01")
    expect(page.get_by_test_id("billing-zone")).to_contain_text("Billing time zone Asia/Baku")
    expect(page.get_by_test_id("no-data")).to_contain_text("This month has not begun yet.")
    last_month = add_months(period_of(datetime.date.today()), -1)  # the demo has its traffic
    page.goto(f"{usage}?period={last_month}")
    expect(page.get_by_test_id("no-data")).to_have_count(0)
    labels = page.locator("svg.usage-chart text").all_text_contents()
    assert labels[0] == "0 bit/s" and any(label.endswith(" Gbit/s") for label in labels)
