"""Login lockout per account and per address (django-axes), unlocked by platform admins, and the
limit on password-reset requests, which reveals nothing about which e-mails have accounts."""

from __future__ import annotations

import datetime

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from organisations.choices import Role

from ..conftest import key_client, session_client
from ..factories import TEST_PASSWORD, OperatorFactory, UserFactory

pytestmark = pytest.mark.django_db

HOME, AWAY = "203.0.113.7", "198.51.100.9"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = datetime.timedelta(minutes=30)
    settings.TCFO_PASSWORD_RESET_PER_EMAIL = 3
    settings.TCFO_PASSWORD_RESET_PER_ADDRESS = 10


def _login(client, username, password, address=HOME):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_the_right_password_is_refused_after_repeated_failures_on_the_account(client):
    user = UserFactory()
    for _ in range(4):
        assert _login(client, user.username, "wrong").status_code == 200
    locked = _login(client, user.username, "wrong")
    assert locked.status_code == 429
    # Even from another address, even with the right password: the account is locked.
    response = _login(client, user.username, TEST_PASSWORD, address=AWAY)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    html = response.content.decode()
    assert "<h1>Login locked</h1>" in html  # our page, in the portal's layout
    assert "Too many failed logins" in html
    assert "for 30 minutes" in html
    assert f'href="{static("portal/portal.css")}"' in html
    # Another account from another address is not concerned.
    other = UserFactory()
    assert _login(client, other.username, TEST_PASSWORD, address=AWAY).status_code == 302


def test_an_address_trying_many_accounts_is_locked_out(client):
    users = [UserFactory() for _ in range(5)]
    for user in users:
        _login(client, user.username, "wrong")
    innocent = UserFactory()
    assert _login(client, innocent.username, TEST_PASSWORD).status_code == 429
    assert _login(client, innocent.username, TEST_PASSWORD, address=AWAY).status_code == 302


def test_the_lockout_ends_after_the_cool_off(client):
    user = UserFactory()
    for _ in range(5):
        _login(client, user.username, "wrong")
    assert _login(client, user.username, TEST_PASSWORD).status_code == 429
    AccessAttempt.objects.update(  # half an hour later
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=31)
    )
    assert _login(client, user.username, TEST_PASSWORD).status_code == 302


def test_a_success_before_the_limit_forgets_the_failures(client):
    user = UserFactory()
    for _ in range(4):
        _login(client, user.username, "wrong")
    assert _login(client, user.username, TEST_PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        _login(client, user.username, "wrong")
    assert _login(client, user.username, TEST_PASSWORD).status_code == 302


def test_logging_in_to_an_account_of_ones_own_does_not_lift_the_limit_per_address(client):
    own = UserFactory()
    targets = [UserFactory() for _ in range(6)]
    for target in targets[:4]:
        assert _login(client, target.username, "guess").status_code == 200
    assert _login(client, own.username, TEST_PASSWORD).status_code == 302
    client.post(reverse("logout"))
    # The fifth guess from the address, whichever account: locked out.
    assert _login(client, targets[4].username, "guess").status_code == 429
    assert _login(client, own.username, TEST_PASSWORD).status_code == 429
    assert _login(client, targets[5].username, TEST_PASSWORD).status_code == 429
    # The accounts guessed at are not locked elsewhere; their owners log in from home.
    assert _login(client, targets[0].username, TEST_PASSWORD, address=AWAY).status_code == 302


def test_a_success_forgets_the_accounts_failures_from_every_address(client):
    user = UserFactory()
    for _ in range(3):
        _login(client, user.username, "wrong", address=AWAY)
    _login(client, user.username, "wrong")
    assert _login(client, user.username, TEST_PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert not AccessAttempt.objects.filter(username=user.username).exists()
    for _ in range(4):
        assert _login(client, user.username, "wrong", address=AWAY).status_code == 200
    assert _login(client, user.username, TEST_PASSWORD).status_code == 302


def test_a_platform_admin_sees_and_unlocks_a_locked_login(client):
    user = UserFactory(username="locked-out")
    for _ in range(5):
        _login(client, user.username, "wrong")
    assert _login(client, user.username, TEST_PASSWORD).status_code == 429

    admin = Client()
    admin.force_login(UserFactory(role=Role.PLATFORM_ADMIN, organisation=None))
    page = admin.get(reverse("lockouts"))
    assert page.status_code == 200
    assert "locked-out" in page.content.decode()
    response = admin.post(reverse("lockouts"), {"username": "locked-out", "ip_address": HOME})
    assert response.status_code == 302
    assert "No login is locked" in admin.get(reverse("lockouts")).content.decode()

    assert _login(client, user.username, TEST_PASSWORD).status_code == 302


THIRD = "192.0.2.44"


def _admin() -> Client:
    admin = Client()
    admin.force_login(UserFactory(role=Role.PLATFORM_ADMIN, organisation=None))
    return admin


def test_an_account_locked_from_several_addresses_is_listed_and_unlocked_whole(client):
    user = UserFactory(username="roaming")
    for address in (HOME, HOME, AWAY, AWAY, THIRD):
        assert _login(client, user.username, "wrong", address=address).status_code in (200, 429)
    assert _login(client, user.username, TEST_PASSWORD, address=THIRD).status_code == 429

    admin = _admin()
    page = admin.get(reverse("lockouts"))
    (lockout,) = page.context["list"].rows  # no address alone reached the limit
    # Five failures, and the right password refused during the lockout counts as one more.
    assert (lockout.username, lockout.ip_address, lockout.failures) == ("roaming", "", 6)
    assert lockout.others == tuple(sorted((HOME, AWAY, THIRD)))
    html = page.content.decode()
    assert "Account <strong>roaming</strong>" in html
    assert "from 3 addresses" in html
    assert 'aria-label="Unlock account roaming"' in html

    response = admin.post(reverse("lockouts"), {"username": "roaming"})
    assert response.status_code == 302
    assert "No login is locked" in admin.get(reverse("lockouts")).content.decode()
    assert _login(client, user.username, TEST_PASSWORD, address=AWAY).status_code == 302


def test_an_address_spraying_several_accounts_is_listed_and_unlocked_whole(client):
    users = [UserFactory() for _ in range(5)]
    for user in users:
        _login(client, user.username, "wrong", address=THIRD)
    assert _login(client, users[0].username, TEST_PASSWORD, address=THIRD).status_code == 429

    admin = _admin()
    page = admin.get(reverse("lockouts"))
    (lockout,) = page.context["list"].rows  # no account alone reached the limit
    assert (lockout.username, lockout.ip_address, lockout.failures) == ("", THIRD, 6)
    assert lockout.others == tuple(sorted(user.username for user in users))
    html = page.content.decode()
    assert f"Address <strong>{THIRD}</strong>" in html
    assert "on 5 accounts" in html

    assert admin.post(reverse("lockouts"), {"ip_address": THIRD}).status_code == 302
    assert admin.get(reverse("lockouts")).context["list"].rows == []
    assert _login(client, users[0].username, TEST_PASSWORD, address=THIRD).status_code == 302


def test_a_lockout_lasts_until_the_failures_that_reach_the_limit_leave_the_cool_off(client):
    user = UserFactory(username="roaming")
    for address in (HOME, HOME, AWAY, AWAY, THIRD):
        _login(client, user.username, "wrong", address=address)
    earlier = timezone.now() - datetime.timedelta(minutes=20)
    AccessAttempt.objects.filter(ip_address=HOME).update(attempt_time=earlier)
    (lockout,) = _admin().get(reverse("lockouts")).context["list"].rows
    # Counted newest first: AWAY's 2 and THIRD's 1, then HOME's 2 reach 5: locked until
    # HOME's failures are 30 minutes old.
    assert lockout.until == earlier + datetime.timedelta(minutes=30)
    AccessAttempt.objects.filter(ip_address=HOME).update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=31)
    )
    assert _admin().get(reverse("lockouts")).context["list"].rows == []
    assert _login(client, user.username, TEST_PASSWORD).status_code == 302


def test_an_unlock_needs_a_name_or_an_address(client):
    client.force_login(UserFactory(role=Role.PLATFORM_ADMIN, organisation=None))
    response = client.post(reverse("lockouts"), {"username": "", "ip_address": "not-an-ip"})
    assert response.status_code == 400
    assert "Enter a valid IPv4 or IPv6 address" in response.content.decode()


@pytest.mark.parametrize("role", [Role.CUSTOMER_ADMIN, Role.OPERATOR_FINANCE])
def test_only_platform_admins_unlock(client, role):
    organisation = OperatorFactory() if role == Role.OPERATOR_FINANCE else None
    user = UserFactory(role=role, **({"organisation": organisation} if organisation else {}))
    client.force_login(user)
    assert client.get(reverse("lockouts")).status_code == 403
    assert client.post(reverse("lockouts"), {"username": "x"}).status_code == 403


def test_the_api_authenticates_sessions_and_keys_as_before(client):
    user = UserFactory(role=Role.CUSTOMER_ADMIN)
    assert session_client(user).get("/api/v1/me/").status_code == 200
    api, _ = key_client(user.organisation)
    assert api.get("/api/v1/me/").status_code == 200
    # Keys are no logins: wrong ones do not lock the organisation's people out.
    for _ in range(6):
        api.credentials(HTTP_AUTHORIZATION="Api-Key abcdefgh.abcdefghabcdefghabcdefghabcdefgh")
        assert api.get("/api/v1/me/").status_code == 401
    assert _login(client, user.username, TEST_PASSWORD).status_code == 302


# --- Password reset -------------------------------------------------------------------------------


def _reset(client, email, address=HOME):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


@pytest.mark.parametrize("has_account", [True, False])
def test_password_resets_are_limited_per_email_alike_for_known_and_unknown(
    client, has_account, django_capture_on_commit_callbacks
):
    email = "noc@carrier.test"
    if has_account:
        UserFactory(email=email)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            assert _reset(client, email).status_code == 302
        refused = _reset(client, email)
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "Too many password reset requests for this e-mail or from your address" in html
    assert len(mail.outbox) == (3 if has_account else 0)
    # Another address asking for the same e-mail is refused alike; another e-mail is not.
    assert _reset(client, email, address=AWAY).status_code == 429
    assert _reset(client, "other@carrier.test", address=AWAY).status_code == 302


def test_password_resets_are_limited_per_address(client):
    for n in range(10):
        assert _reset(client, f"guess{n}@carrier.test").status_code == 302
    assert _reset(client, "guess10@carrier.test").status_code == 429
    assert _reset(client, "guess10@carrier.test", address=AWAY).status_code == 302


def test_a_bad_email_is_a_form_error_not_a_count(client):
    response = _reset(client, "not an e-mail")
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
