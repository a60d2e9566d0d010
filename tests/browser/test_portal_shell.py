"""A real headless Chromium logs in, sees its dashboard, makes an API key, reads the API docs."""

import pytest
from playwright.sync_api import expect

from organisations.choices import Role
from organisations.models import ApiKey

from ..factories import TEST_PASSWORD, CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_admin_logs_in_sees_the_dashboard_and_creates_a_key(live_server, page):
    customer = CustomerFactory(name="Caspian Online")
    user = UserFactory(organisation=customer, role=Role.CUSTOMER_ADMIN, username="noc")

    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Caspian Online")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Django admin")).to_have_count(0)
    # Our stylesheet is served and applied: the header is dark ink, not the browser default.
    header_colour = page.locator("header.site-header").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert header_colour == "rgb(20, 33, 61)"

    nav.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("OSS/BSS")
    page.get_by_role("button", name="Create the key").click()
    secret = page.get_by_test_id("new-api-key").inner_text().strip()
    assert ApiKey.objects.get_from_key(secret).organisation == customer

    page.reload()  # a plain GET of the page: the secret is not shown again
    expect(page.get_by_test_id("new-api-key")).to_have_count(0)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_the_api_docs_render_offline_from_local_assets(live_server, page):
    outside = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith(live_server.url) and not request.url.startswith("data:")
            else None
        ),
    )
    # Swagger UI draws only the operations near the window (about 130 in all): the link to
    # the "me" tag brings it there.
    page.goto(f"{live_server.url}/api/docs/#/me")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "TCFO Capacity Portal", timeout=30_000
    )
    expect(page.get_by_text("/api/v1/me/").first).to_be_visible(timeout=30_000)
    assert outside == []


def test_the_portal_is_usable_on_a_phone(live_server, browser):
    user = UserFactory(role=Role.CUSTOMER_MEMBER)
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The navigation and the account links are behind the menu button.
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    # Nothing sticks out sideways: the page is no wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    context.close()
