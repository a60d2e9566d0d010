"""A real Chromium on the demo network: catalog, availability, a route, a spectrum map."""

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from organisations import two_factor
from organisations.demo import DEMO_PASSWORD
from organisations.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if page.url.endswith("/accounts/login/code/"):  # demo staff use two-factor authentication
        device = two_factor.authenticator_of(User.objects.get(username=username))
        page.get_by_label("Code").fill(two_factor.code_for(device))
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_customer_browses_checks_availability_and_sees_a_spectrum_map(live_server, page):
    call_command("load_demo", force=True, stdout=StringIO())
    _log_in(page, live_server, "caspian-member")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Catalog").click()
    wavelength = page.get_by_role("region", name="100G wavelength WL100")
    expect(wavelength).to_contain_text("12,500.00 USD a month + 5,000.00 USD once")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Availability").click()
    page.get_by_label("Product").select_option(label="400G wavelength (WL400)")
    page.get_by_label("Path").select_option(label="Baku - Aktau (BAK-AKT)")
    page.get_by_label("Start date").fill("2027-01-01")
    page.get_by_role("button", name="Check").click()
    result = page.get_by_role("status")
    expect(result).to_contain_text("Available")
    assert int(result.locator(".figure").inner_text()) > 0

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Network").click()
    page.get_by_role("link", name="Baku - Aktau").first.click()
    expect(page.locator("svg.route g.site")).to_have_count(4)
    page.get_by_role("row", name="SUM-AKT").get_by_role("link", name="FP1").click()

    spectrum = page.locator("svg.spectrum-map")
    expect(spectrum).to_be_visible()
    expect(spectrum.locator("rect[data-state='taken']").first).to_be_attached()
    # A customer never sees who holds spectrum, not even by hovering.
    assert spectrum.locator("rect[data-state='in_service']").count() == 0
    assert "Silk Route" not in page.content()


def test_an_operator_sees_who_holds_what(live_server, page):
    call_command("load_demo", force=True, stdout=StringIO())
    _log_in(page, live_server, "azt-network")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Utilisation").click()
    page.get_by_role("link", name="SUM-AKT FP2").click()
    expect(page.locator("svg.spectrum-map rect[data-state='in_service']").first).to_be_attached()
    expect(page.get_by_role("cell", name="Silk Route Carrier").first).to_be_visible()
