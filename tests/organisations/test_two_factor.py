"""Two-factor authentication through the real login pages: staff must enrol when it is enforced,
a user with an authenticator is always asked for a code, recovery codes work once, API keys are
not concerned."""

from __future__ import annotations

import base64
import json
import re

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from leasing.models import Product
from organisations import two_factor
from organisations.choices import Role
from organisations.models import ApiKey
from organisations.services import create_api_key

from ..conftest import key_client, log_in
from ..factories import TEST_PASSWORD, CustomerFactory, OperatorFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _enforced(settings):
    """Production's rule (DEBUG off), and no waiting between the codes a test types."""
    settings.TCFO_REQUIRE_STAFF_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def _password(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})


def _app_code(secret: str) -> str:
    """What an authenticator app shows now for ``secret`` (base32, as the setup page shows it)."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key).token():06d}"


def _confirm_on_the_account_page(client, code: str):
    """What changing two-factor authentication asks first: a code of the current app (or a
    recovery code)."""
    return client.post(reverse("two-factor"), {"code": code})


def _enrol_through_the_page(client) -> list[str]:
    page = client.get(reverse("two-factor-setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html  # the QR code, inline
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)
    answer = client.post(reverse("two-factor-setup"), {"code": _app_code(secret)})
    assert answer.status_code == 200
    assert "Keep these codes somewhere safe" in answer.content.decode()
    return re.findall(r"<li>([a-z2-7]{8})</li>", answer.content.decode())


@pytest.fixture
def finance():
    return UserFactory(organisation=OperatorFactory(), role=Role.OPERATOR_FINANCE)


@pytest.fixture
def enrolled_finance(finance):
    two_factor.enrol_with_secret(user=finance, secret="JBSWY3DPEHPK3PXP")
    codes = two_factor.new_recovery_codes(user=finance)
    finance.recovery_codes = codes
    return finance


# --- Staff without an authenticator ------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OPERATOR_FINANCE, Role.OPERATOR_NETWORK])
def test_staff_without_an_authenticator_are_sent_to_enrol_and_reach_nothing_else(client, role):
    user = UserFactory(organisation=OperatorFactory(), role=role)
    response = _password(client, user)
    assert response.status_code == 302
    for path in ["/", "/billing/", "/network/", "/audit/", "/accounts/api-keys/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("two-factor-setup"), path
    api = client.get("/api/v1/me/")
    assert api.status_code == 403
    assert api.json()["type"] == "two_factor_required"
    assert client.get(reverse("two-factor")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


def test_a_platform_admin_without_an_authenticator_cannot_reach_the_admin(client):
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=None)
    _password(client, admin)
    assert client.get("/admin/").headers["Location"] == reverse("two-factor-setup")


def test_the_admin_always_wants_a_verified_session_even_when_not_enforced(client, settings):
    settings.TCFO_REQUIRE_STAFF_2FA = False
    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=None)
    _password(client, admin)
    assert client.get("/").status_code == 200  # the portal, when not enforced
    assert client.get("/admin/").headers["Location"] == reverse("two-factor-setup")


def test_the_admin_login_page_is_ours_with_its_code_step(client):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/"


def test_a_signed_in_user_the_admin_does_not_let_in_is_told_so_without_a_redirect_loop(
    client, enrolled_finance
):
    """/admin/ -> /admin/login/ -> our login (which sends the signed-in back to next) -> /admin/
    looped for ever; now the admin's login page says "Not allowed" to whoever is signed in."""
    customer = UserFactory(organisation=CustomerFactory(), role=Role.CUSTOMER_ADMIN)
    staff = log_in(client, enrolled_finance.username, TEST_PASSWORD)
    assert staff.status_code == 302
    for _person in ("verified operator finance", "customer without an authenticator"):
        response = client.get("/admin/", follow=True)
        assert response.status_code == 403, _person
        assert response.redirect_chain == [("/admin/login/?next=/admin/", 302)]
        assert "Your role does not allow this page." in response.content.decode()
        client.logout()
        _password(client, customer)


def test_staff_enrol_see_recovery_codes_once_and_then_reach_the_portal(client, finance):
    _password(client, finance)
    codes = _enrol_through_the_page(client)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200
    page = client.get(reverse("two-factor")).content.decode()
    assert "Recovery codes left: <strong>10</strong>" in page
    assert not any(code in page for code in codes)  # shown once, never again


def test_a_wrong_code_does_not_confirm_an_enrolment(client, finance):
    _password(client, finance)
    client.get(reverse("two-factor-setup"))
    response = client.post(reverse("two-factor-setup"), {"code": "000000"})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert not two_factor.is_enrolled(finance)
    assert client.get("/").headers["Location"] == reverse("two-factor-setup")


def test_api_keys_are_not_asked_for_two_factor(client, finance):
    api, _ = key_client(finance.organisation)
    assert api.get("/api/v1/me/").status_code == 200


# --- The API with a browser session -----------------------------------------------------------

# An Authorization header the API key authentication does not read: DRF goes on to the session.
NOT_A_KEY = {"HTTP_AUTHORIZATION": "Basic eDp4"}
PRODUCT = {
    "code": "WL800",
    "name": "800G",
    "kind": "wavelength",
    "commercial_form": "lease",
    "bandwidth_mbps": 800000,
    "spectrum_ghz": "150",
}


def _browser(user) -> Client:
    """A browser that logged in with its password (and CSRF token, checked as in production)."""
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("login"))
    browser.post(
        reverse("login"),
        {
            "username": user.username,
            "password": TEST_PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
        },
    )
    assert "_auth_user_id" in browser.session
    return browser


def _api_post(browser: Client, path: str, body: dict, **headers: str):
    return browser.post(
        path,
        json.dumps(body),
        content_type="application/json",
        HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value,
        **headers,
    )


def _refused(response) -> None:
    assert response.status_code == 403, response.content
    assert response.json()["type"] == "two_factor_required"


def test_staff_who_must_enrol_reach_no_api_with_any_other_authorization_header(finance):
    browser = _browser(finance)
    _refused(browser.get("/api/v1/me/", **NOT_A_KEY))
    _refused(_api_post(browser, "/api/v1/products/", PRODUCT, **NOT_A_KEY))
    _refused(_api_post(browser, "/api/v1/products/", PRODUCT))
    assert not Product.objects.filter(code="WL800").exists()


def test_a_session_from_before_the_enrolment_mints_no_api_key(client):
    customer = UserFactory(role=Role.CUSTOMER_ADMIN)
    browser = _browser(customer)
    two_factor.enrol_with_secret(user=customer, secret="JBSWY3DPEHPK3PXP")  # in another browser
    _refused(_api_post(browser, "/api/v1/api-keys/", {"name": "mine"}, **NOT_A_KEY))
    assert not ApiKey.objects.filter(name="mine").exists()
    assert "_auth_user_id" not in browser.session  # and the session is over


@pytest.mark.parametrize("header", [NOT_A_KEY, {}])
def test_the_api_itself_refuses_an_unverified_session(finance, settings, header):
    """Without the middleware: DRF's own session authentication asks for two-factor."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "TwoFactorMiddleware" not in m]
    browser = _browser(finance)
    _refused(browser.get("/api/v1/me/", **header))
    _refused(_api_post(browser, "/api/v1/products/", PRODUCT, **header))
    assert not Product.objects.filter(code="WL800").exists()

    customer = UserFactory(role=Role.CUSTOMER_ADMIN)
    browser = _browser(customer)
    two_factor.enrol_with_secret(user=customer, secret="JBSWY3DPEHPK3PXP")
    _refused(_api_post(browser, "/api/v1/api-keys/", {"name": "mine"}, **header))
    assert not ApiKey.objects.filter(name="mine").exists()


def test_a_verified_session_and_a_customer_without_an_authenticator_use_the_api(client):
    customer = UserFactory(role=Role.CUSTOMER_ADMIN)
    browser = _browser(customer)
    created = _api_post(browser, "/api/v1/api-keys/", {"name": "mine"}, **NOT_A_KEY)
    assert created.status_code == 201, created.content

    finance = UserFactory(organisation=OperatorFactory(), role=Role.OPERATOR_FINANCE)
    two_factor.enrol_with_secret(user=finance, secret="JBSWY3DPEHPK3PXP")
    browser = Client()
    log_in(browser, finance.username, TEST_PASSWORD)
    assert browser.get("/api/v1/me/", **NOT_A_KEY).status_code == 200


def test_an_api_key_decides_even_beside_an_unverified_session(finance):
    browser = _browser(finance)
    _, secret = create_api_key(organisation=finance.organisation, name="k")
    me = browser.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert me.status_code == 200
    assert me.json()["authentication"] == "api_key"
    wrong = browser.get("/api/v1/me/", HTTP_AUTHORIZATION="Bearer abcdefgh.wrong")
    assert wrong.status_code == 401


# --- A user with an authenticator is always asked ------------------------------------------------


def test_the_password_alone_logs_nobody_in_who_has_an_authenticator(client, enrolled_finance):
    response = _password(client, enrolled_finance)
    assert response["Location"] == reverse("login-code")
    assert "_auth_user_id" not in client.session
    assert client.get("/").headers["Location"].startswith(reverse("login"))


def test_a_wrong_code_is_refused_and_the_right_one_logs_in(client, enrolled_finance):
    _password(client, enrolled_finance)
    wrong = client.post(reverse("login-code"), {"code": "123456"})
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    assert "_auth_user_id" not in client.session

    right = client.post(reverse("login-code"), {"code": _app_code("JBSWY3DPEHPK3PXP")})
    assert right.status_code == 302
    assert right["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_same_app_code_does_not_log_in_twice(client, enrolled_finance):
    code = _app_code("JBSWY3DPEHPK3PXP")
    _password(client, enrolled_finance)
    assert client.post(reverse("login-code"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    _password(client, enrolled_finance)
    assert client.post(reverse("login-code"), {"code": code}).status_code == 400


def test_a_recovery_code_logs_in_once(client, enrolled_finance):
    code = enrolled_finance.recovery_codes[0]
    _password(client, enrolled_finance)
    response = client.post(reverse("login-code"), {"code": code.upper()}, follow=True)
    assert response.status_code == 200
    assert "logged in with a recovery code; 9 left" in response.content.decode()
    client.post(reverse("logout"))

    _password(client, enrolled_finance)
    again = client.post(reverse("login-code"), {"code": code})
    assert again.status_code == 400
    assert "_auth_user_id" not in client.session
    other = client.post(reverse("login-code"), {"code": enrolled_finance.recovery_codes[1]})
    assert other.status_code == 302


def test_new_recovery_codes_replace_the_old_ones(client, enrolled_finance):
    _password(client, enrolled_finance)
    client.post(reverse("login-code"), {"code": _app_code("JBSWY3DPEHPK3PXP")})
    _confirm_on_the_account_page(client, enrolled_finance.recovery_codes[5])
    response = client.post(reverse("two-factor-recovery-codes"))
    new = re.findall(r"<li>([a-z2-7]{8})</li>", response.content.decode())
    assert len(new) == 10
    client.post(reverse("logout"))
    _password(client, enrolled_finance)
    old = client.post(reverse("login-code"), {"code": enrolled_finance.recovery_codes[0]})
    assert old.status_code == 400
    assert client.post(reverse("login-code"), {"code": new[0]}).status_code == 302


def test_repeated_wrong_codes_make_the_device_wait(client, enrolled_finance, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    _password(client, enrolled_finance)
    client.post(reverse("login-code"), {"code": "111111"})
    response = client.post(reverse("login-code"), {"code": _app_code("JBSWY3DPEHPK3PXP")})
    assert response.status_code == 400
    assert "Too many wrong codes: wait" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_wrong_codes_count_as_failed_logins(client, enrolled_finance, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _password(client, enrolled_finance)
    for _ in range(2):
        assert client.post(reverse("login-code"), {"code": "000000"}).status_code == 400
    locked = client.post(reverse("login-code"), {"code": "000000"})
    assert locked.status_code == 429
    assert "Login locked" in locked.content.decode()
    right = client.post(reverse("login-code"), {"code": _app_code("JBSWY3DPEHPK3PXP")})
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_wrong_code_is_not_kept_in_the_record_of_failures(enrolled_finance):
    browser = Client(enforce_csrf_checks=True)
    browser.get(reverse("login"))
    token = browser.cookies["csrftoken"].value
    browser.post(
        reverse("login"),
        {"username": enrolled_finance.username, "password": "wrong", "csrfmiddlewaretoken": token},
    )
    browser.post(
        reverse("login"),
        {
            "username": enrolled_finance.username,
            "password": TEST_PASSWORD,
            "csrfmiddlewaretoken": token,
        },
    )
    browser.get(reverse("login-code"))
    token = browser.cookies["csrftoken"].value
    wrong = browser.post(reverse("login-code"), {"code": "123456", "csrfmiddlewaretoken": token})
    assert wrong.status_code == 400
    (attempt,) = AccessAttempt.objects.filter(username=enrolled_finance.username)
    assert attempt.failures_since_start == 2
    for secret in ("wrong", "123456", token, enrolled_finance.username):
        assert secret not in attempt.post_data, secret
    assert "code=********************" in attempt.post_data
    assert "password=********************" in attempt.post_data


def test_the_code_step_times_out(client, enrolled_finance, settings):
    settings.TCFO_2FA_LOGIN_SECONDS = -1
    _password(client, enrolled_finance)
    response = client.post(reverse("login-code"), {"code": _app_code("JBSWY3DPEHPK3PXP")})
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_the_code_step_without_a_password_goes_back_to_the_login(client):
    assert client.get(reverse("login-code"))["Location"] == reverse("login")


def test_a_session_older_than_the_enrolment_must_log_in_again(client):
    customer = UserFactory(role=Role.CUSTOMER_ADMIN)
    _password(client, customer)
    assert client.get("/").status_code == 200
    two_factor.enrol_with_secret(user=customer, secret="JBSWY3DPEHPK3PXP")  # in another browser
    response = client.get("/services/")
    assert response["Location"] == "/accounts/login/?next=%2Fservices%2F"
    assert "_auth_user_id" not in client.session


# --- Customers: optional ---------------------------------------------------------------------


def test_a_customer_without_an_authenticator_is_not_asked(client):
    customer = UserFactory(organisation=CustomerFactory(), role=Role.CUSTOMER_MEMBER)
    response = _password(client, customer)
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert client.get("/services/").status_code == 200


def test_a_customer_enrols_from_the_account_page_is_then_asked_and_may_turn_it_off(client):
    customer = UserFactory(role=Role.CUSTOMER_ADMIN)
    _password(client, customer)
    page = client.get(reverse("two-factor")).content.decode()
    assert "Optional for customers" in page
    codes = _enrol_through_the_page(client)
    client.post(reverse("logout"))

    assert _password(client, customer)["Location"] == reverse("login-code")
    device = TOTPDevice.objects.get(user=customer)
    client.post(reverse("login-code"), {"code": two_factor.code_for(device)})
    assert client.get("/").status_code == 200

    _confirm_on_the_account_page(client, codes[0])
    client.post(reverse("two-factor-remove"))
    assert not two_factor.is_enrolled(customer)
    client.post(reverse("logout"))
    assert _password(client, customer)["Location"] == "/"


def test_staff_cannot_turn_two_factor_off(client, enrolled_finance):
    _password(client, enrolled_finance)
    client.post(reverse("login-code"), {"code": _app_code("JBSWY3DPEHPK3PXP")})
    _confirm_on_the_account_page(client, enrolled_finance.recovery_codes[0])
    response = client.post(reverse("two-factor-remove"), follow=True)
    assert "Your role must keep two-factor authentication" in response.content.decode()
    assert two_factor.is_enrolled(enrolled_finance)


def test_the_admin_shows_no_authenticator_key_qr_code_or_recovery_code(client, enrolled_finance):
    client.force_login(UserFactory(role=Role.PLATFORM_ADMIN, organisation=None))
    device = two_factor.authenticator_of(enrolled_finance)
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert enrolled_finance.username in html
    assert device.key not in html
    assert "qrcode" not in html
    for view in ("config", "qrcode"):
        url = reverse(f"admin:otp_totp_totpdevice_{view}", args=[device.pk])
        assert client.get(url).status_code == 403, view
    assert (
        device.key
        not in client.get(reverse("admin:otp_totp_totpdevice_changelist")).content.decode()
    )

    recovery = StaticDevice.objects.get(user=enrolled_finance)
    page = client.get(reverse("admin:otp_static_staticdevice_change", args=[recovery.pk]))
    assert page.status_code == 200
    assert not any(code in page.content.decode() for code in enrolled_finance.recovery_codes)


# --- Changing an authenticator asks for a code of the current one ------------------------------


def _logged_in_with_a_code(client, user) -> None:
    _password(client, user)
    assert (
        client.post(reverse("login-code"), {"code": _app_code("JBSWY3DPEHPK3PXP")})["Location"]
        == "/"
    )


def test_moving_to_a_new_phone_asks_for_a_code_of_the_current_one_first(client, enrolled_finance):
    _logged_in_with_a_code(client, enrolled_finance)
    old_device = two_factor.authenticator_of(enrolled_finance)
    # A session alone: no new secret is shown, none can be confirmed.
    page = client.get(reverse("two-factor-setup"))
    assert page.status_code == 302
    assert page["Location"] == reverse("two-factor")
    assert client.post(reverse("two-factor-setup"), {"code": "123456"}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=enrolled_finance)) == [old_device]
    account = client.get(reverse("two-factor")).content.decode()
    assert "first type the code your app shows now" in account
    assert "Move to a new phone" not in account

    wrong = _confirm_on_the_account_page(client, "000000")
    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    assert client.get(reverse("two-factor-setup")).status_code == 302

    assert _confirm_on_the_account_page(client, two_factor.code_for(old_device)).status_code == 302
    assert "Move to a new phone" in client.get(reverse("two-factor")).content.decode()
    new_codes = _enrol_through_the_page(client)
    assert list(TOTPDevice.objects.filter(user=enrolled_finance)) != [old_device]
    # The confirmation served once: moving again asks again.
    assert client.get(reverse("two-factor-setup"))["Location"] == reverse("two-factor")
    client.post(reverse("logout"))

    _password(client, enrolled_finance)
    old_code = _app_code("JBSWY3DPEHPK3PXP")
    assert client.post(reverse("login-code"), {"code": old_code}).status_code == 400
    assert client.post(reverse("login-code"), {"code": new_codes[0]}).status_code == 302


def test_a_recovery_code_also_confirms(client, enrolled_finance):
    _logged_in_with_a_code(client, enrolled_finance)
    code = enrolled_finance.recovery_codes[3]
    assert _confirm_on_the_account_page(client, code).status_code == 302
    page = client.get(reverse("two-factor-setup"))
    assert page.status_code == 200
    assert "Move to a new phone" in page.content.decode()
    assert two_factor.recovery_codes_left(enrolled_finance) == 9  # that one is used up


def test_new_recovery_codes_and_turning_off_ask_for_a_code_first(client):
    customer = UserFactory(role=Role.CUSTOMER_ADMIN)
    two_factor.enrol_with_secret(user=customer, secret="JBSWY3DPEHPK3PXP")
    codes = two_factor.new_recovery_codes(user=customer)
    _logged_in_with_a_code(client, customer)

    response = client.post(reverse("two-factor-recovery-codes"))
    assert response["Location"] == reverse("two-factor")
    response = client.post(reverse("two-factor-remove"), follow=True)
    assert "Type a code of your authenticator app (or a recovery code) first" in (
        response.content.decode()
    )
    assert two_factor.is_enrolled(customer)
    assert two_factor.recovery_codes_left(customer) == 10
    assert set(
        StaticToken.objects.filter(device__user=customer).values_list("token", flat=True)
    ) == set(codes)


def test_a_confirmation_lasts_a_few_minutes(client, enrolled_finance, settings):
    _logged_in_with_a_code(client, enrolled_finance)
    _confirm_on_the_account_page(client, enrolled_finance.recovery_codes[0])
    assert client.get(reverse("two-factor-setup")).status_code == 200
    settings.TCFO_2FA_CONFIRM_SECONDS = -1  # later
    assert client.get(reverse("two-factor-setup"))["Location"] == reverse("two-factor")
    assert client.post(reverse("two-factor-recovery-codes"))["Location"] == reverse("two-factor")


def test_staff_are_not_forced_to_enrol_when_not_enforced(client, finance, settings):
    settings.TCFO_REQUIRE_STAFF_2FA = False
    _password(client, finance)
    assert client.get("/billing/").status_code == 200
