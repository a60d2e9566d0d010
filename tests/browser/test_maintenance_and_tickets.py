"""The ticket and planned work pages on a phone (390 px): nothing sticks out sideways, long
values wrap inside their card."""

import pytest
from playwright.sync_api import expect

from leasing.services.tickets import open_ticket, take_step

from ..factories import TEST_PASSWORD
from ..leasing.conftest import net, sales_net
from ..leasing.test_tickets import tt

__all__ = ["net", "sales_net", "tt"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = 390


def test_a_ticket_fits_a_phone(live_server, browser, tt):
    ticket = open_ticket(
        service=tt.service,
        actor=tt.buyer,
        severity="significant",
        observed_impact="down",
        description="No light at Aktau since 08:00; CRC errors on every port of the shelf.",
        external_id="CASP-INC-77",
        contact_name="caspian-member",
        contact_email="noc.caspian.online@tcfodemo.example",
        contact_phone="+994 12 555 0101",
    )
    take_step(
        ticket=ticket,
        step="resolve",
        actor=tt.noc,
        resolution="Replaced a dirty patch cord at Aktau ODF; CRC errors stopped at 09:40.",
    )
    context = browser.new_context(viewport={"width": PHONE, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(tt.buyer.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # On a phone the account links sit behind the menu button.
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    for path in (f"/tickets/{ticket.pk}/", "/tickets/", "/planned-work/"):
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE, f"{path} is {width} px wide"
    page.goto(f"{live_server.url}/tickets/{ticket.pk}/")
    card = page.get_by_role("region", name="The fault")
    box = card.bounding_box()
    for value in card.locator("dd").all():
        inner = value.bounding_box()
        assert inner["x"] + inner["width"] <= box["x"] + box["width"] + 0.5
    context.close()
