"""In a real Chromium: the buyer's and network staff's forms (issue 15)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from .test_network_pages import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_availability_form_submitted_as_it_comes_answers(live_server, page):
    """The start date is filled in (today) in a form the browser's picker shows: checking
    without touching it gives an answer, not "This field is required"."""
    call_command("load_demo", force=True, stdout=StringIO())
    _log_in(page, live_server, "caspian-member")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Availability").click()
    expect(page.get_by_label("Start date")).to_have_value(timezone.localdate().isoformat())
    page.get_by_label("Product").select_option(label="400G wavelength (WL400)")
    page.get_by_label("Path").select_option(label="Baku - Aktau (BAK-AKT)")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("status")).to_contain_text("Available")
    expect(page.get_by_text("This field is required")).to_have_count(0)
    expect(page.get_by_label("Start date")).to_have_value(timezone.localdate().isoformat())
