"""In a real Chromium: a finance user, made to enrol, scans (reads) the secret, confirms with the
code an authenticator app computes from it, keeps the recovery codes, and logs in again with a
code; a wrong code is refused."""

import base64
import time

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from organisations.choices import Role

from ..factories import TEST_PASSWORD, OperatorFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _app_code(secret: str, *, steps_ahead: int = 0) -> str:
    """What an authenticator app holding ``secret`` shows now (or ``steps_ahead`` x 30 s on)."""
    totp = TOTP(base64.b32decode(secret + "=" * (-len(secret) % 8)))
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def _password(page, live_server, user):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_staff_enrol_with_an_authenticator_and_log_in_with_its_code(live_server, page, settings):
    settings.TCFO_REQUIRE_STAFF_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = UserFactory(organisation=OperatorFactory(), role=Role.OPERATOR_FINANCE)

    _password(page, live_server, user)
    expect(page).to_have_url(f"{live_server.url}/accounts/two-factor/setup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor authentication")
    expect(page.locator("svg.segno")).to_be_visible()  # the QR code
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    # Nothing else is reachable before enrolling.
    page.goto(f"{live_server.url}/billing/")
    expect(page).to_have_url(f"{live_server.url}/accounts/two-factor/setup/")
    assert page.get_by_test_id("totp-secret").inner_text().strip() == secret

    page.get_by_label("Code").fill(_app_code(secret))
    page.get_by_role("button", name="Confirm").click()
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="Continue to the portal").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    _password(page, live_server, user)
    expect(page.get_by_role("heading", name="Your code")).to_be_visible()
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Log in").click()
    # The field's error list is announced (aria-live) and stays a list for screen readers.
    expect(page.locator("ul.errorlist[aria-live]")).to_contain_text("That code is not right")
    # The code of this 30 seconds was used to enrol: the app's next one is accepted.
    page.get_by_label("Code").fill(_app_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.goto(f"{live_server.url}/billing/")
    expect(page).to_have_url(f"{live_server.url}/billing/")
