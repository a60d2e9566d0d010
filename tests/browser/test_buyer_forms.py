"""In a real Chromium: the buyer's and network staff's forms (issue 15)."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tcfo_portal.formatting import format_date

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


def test_network_staff_confirm_a_termination_and_go_back_with_the_date_kept(live_server, page):
    from leasing.choices import ServiceStatus
    from leasing.models import Service
    from organisations.access import visible_to
    from organisations.models import User

    call_command("load_demo", force=True, stdout=StringIO())
    staff = User.objects.get(username="azt-network")
    service = (
        visible_to(Service.objects.all(), staff)
        .filter(status=ServiceStatus.ACTIVE, terminated_on__isnull=True, contract__isnull=False)
        .order_by("pk")
        .first()
    )
    ends = timezone.localdate() + datetime.timedelta(days=20)
    _log_in(page, live_server, "azt-network")
    page.goto(f"{live_server.url}/services/{service.circuit_id}/")
    terminate = page.get_by_role("form", name="Terminate")
    terminate.get_by_label("Ends on").fill(ends.isoformat())
    terminate.get_by_role("button", name="Terminate").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(f"End {service.circuit_id} on {format_date(ends)}?")
    expect(page.get_by_text("USD still billable")).to_be_visible()
    page.get_by_role("button", name="Go back and change").click()
    expect(page.get_by_role("form", name="Terminate").get_by_label("Ends on")).to_have_value(
        ends.isoformat()
    )
    service.refresh_from_db()
    assert service.terminated_on is None
    page.get_by_role("form", name="Terminate").get_by_role("button", name="Terminate").click()
    page.get_by_role("button", name=f"End the service on {format_date(ends)}").click()
    expect(page.get_by_role("form", name="Change the end date")).to_be_visible()
    service.refresh_from_db()
    assert service.terminated_on == ends
