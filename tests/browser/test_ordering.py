"""In a real Chromium: a customer orders a wavelength, an operator completes it, the customer
downloads the contract's order form."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from leasing.models import Order
from tcfo_portal.formatting import format_date

from .test_network_pages import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_orders_a_wavelength_and_an_operator_completes_it(live_server, browser):
    call_command("load_demo", force=True, stdout=StringIO())
    start = timezone.localdate() + datetime.timedelta(days=14)

    customer = browser.new_context().new_page()
    customer.set_default_timeout(15_000)
    _log_in(customer, live_server, "caspian-admin")
    customer.get_by_role("link", name="New quote").click()
    customer.get_by_label("Product").select_option(label="100G wavelength (WL100)")
    customer.get_by_label("Path").select_option(label="Baku - Aktau (BAK-AKT)")
    customer.get_by_label("Term").select_option(label="36 months")
    customer.get_by_label("Start date").fill(start.isoformat())
    customer.get_by_role("button", name="Get the quote").click()
    expect(customer.get_by_role("heading", level=1)).to_contain_text("Quote")
    expect(customer.get_by_text("10,500.00 USD")).to_be_visible()
    customer.get_by_role("button", name="Order now").click()
    expect(customer.get_by_role("heading", level=1)).to_contain_text("Order quote")
    customer.get_by_role("button", name="Place the order").click()
    expect(customer.get_by_test_id("order-state")).to_have_text("Submitted")
    order = Order.objects.latest("pk")

    operator = browser.new_context().new_page()
    operator.set_default_timeout(15_000)
    _log_in(operator, live_server, "azt-network")
    operator.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Orders", exact=True
    ).click()
    operator.get_by_role("link", name=f"Order {order.pk}", exact=True).click()
    acknowledge = operator.get_by_role("form", name="Acknowledge")
    acknowledge.get_by_label("Note").fill("Check the Aktau patch panel first.")  # internal
    expect(acknowledge.get_by_label("Internal (operators only)")).to_be_checked()
    acknowledge.get_by_role("button", name="Acknowledge").click()
    expect(operator.get_by_test_id("order-state")).to_have_text("Acknowledged")
    provision = operator.get_by_role("form", name="Provision")
    provision.get_by_label("Note").fill("Patching is planned for next week.")
    provision.get_by_label("Visible to the customer").check()
    provision.get_by_label("Ready for service date").fill(start.isoformat())
    provision.get_by_role("button", name="Provision").click()
    expect(operator.get_by_test_id("order-state")).to_have_text("In progress")
    expect(operator.get_by_test_id("order-note")).to_have_count(3)  # and the submission's

    customer.reload()
    expect(customer.get_by_text("Patching is planned for next week.")).to_be_visible()
    expect(customer.get_by_text("Check the Aktau patch panel first.")).to_have_count(0)
    complete = operator.get_by_role("form", name="Complete")
    # prefilled with the day provisioning planned; Complete starts billing: confirmed first
    expect(complete.get_by_label("Ready for service date")).to_have_value(start.isoformat())
    complete.get_by_role("button", name="Complete").click()
    day = format_date(start)
    expect(operator.get_by_role("heading", level=1)).to_contain_text(f"in service from {day}")
    expect(operator.get_by_text(f"a month from {day}")).to_be_visible()
    operator.get_by_role("button", name=f"Complete: bill from {day}").click()
    expect(operator.get_by_test_id("order-state")).to_have_text("Completed")
    circuit_id = Order.objects.get(pk=order.pk).service.circuit_id
    assert circuit_id.startswith("TCFO-WL100-")

    customer.reload()
    expect(customer.get_by_test_id("order-state")).to_have_text("Completed")
    customer.get_by_role("link", name=circuit_id).click()
    customer.get_by_role("link", name="Contract").last.click()
    with customer.expect_download() as download:
        customer.get_by_role("link", name="Download the order form (PDF)").click()
    assert download.value.suggested_filename == f"{circuit_id}-order-form.pdf"
