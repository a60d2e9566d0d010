import re

import pytest
from django.core import mail
from django.templatetags.static import static
from django.urls import reverse

from organisations.choices import Role

from ..factories import TEST_PASSWORD, CustomerFactory, OperatorFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_login_lands_on_the_dashboard_and_logout_ends_the_session(client):
    user = UserFactory(role=Role.CUSTOMER_ADMIN)
    response = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client):
    user = UserFactory()
    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_users_of_a_suspended_organisation_cannot_log_in(client):
    user = UserFactory()
    user.organisation.is_active = False
    user.organisation.save()
    response = client.post(reverse("login"), {"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert "access to the portal is suspended" in response.content.decode()


def test_the_dashboard_needs_a_login(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/"


@pytest.mark.parametrize(
    ("role", "operator", "heading", "nav", "hidden"),
    [
        (Role.CUSTOMER_ADMIN, False, "Wavelengths", ["API keys", "API docs"], ["Django admin"]),
        (Role.CUSTOMER_MEMBER, False, "Wavelengths, Ethernet", ["API docs"], ["API keys"]),
        (Role.OPERATOR_FINANCE, True, "· Finance", ["API docs"], ["API keys", "Django admin"]),
        (Role.OPERATOR_NETWORK, True, "· Network", ["API docs"], ["API keys", "Django admin"]),
        (Role.PLATFORM_ADMIN, None, "Platform administration", ["Django admin", "API keys"], []),
    ],
)
def test_each_role_has_its_dashboard_and_navigation(client, role, operator, heading, nav, hidden):
    if operator is None:
        user = UserFactory(role=role, organisation=None)
    else:
        organisation = OperatorFactory() if operator else CustomerFactory()
        user = UserFactory(role=role, organisation=organisation)
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert heading in html
    labels = [entry["label"] for entry in response.context["nav"]]
    for label in nav:
        assert label in labels
    for label in hidden:
        assert label not in labels
    assert f'<link rel="stylesheet" href="{static("portal/portal.css")}">' in html
    assert 'aria-current="page"' in html


def test_only_platform_admins_reach_the_django_admin(client):
    client.force_login(UserFactory(role=Role.CUSTOMER_ADMIN))
    assert client.get("/admin/").status_code == 302
    client.force_login(UserFactory(role=Role.PLATFORM_ADMIN, organisation=None))
    assert client.get("/admin/").status_code == 200
    for model in ("organisation", "user", "apikey"):
        assert client.get(f"/admin/organisations/{model}/").status_code == 200
        assert client.get(f"/admin/organisations/{model}/add/").status_code == 200


def test_the_admin_never_moves_a_key_or_changes_its_role_and_revokes_through_the_service(client):
    from organisations.models import ApiKey
    from organisations.services import create_api_key

    admin = UserFactory(role=Role.PLATFORM_ADMIN, organisation=None)
    client.force_login(admin)
    api_key, _ = create_api_key(organisation=CustomerFactory(), name="k")
    change_url = f"/admin/organisations/apikey/{api_key.pk}/change/"
    form = client.get(change_url).context["adminform"].form
    assert "organisation" not in form.fields
    assert "role" not in form.fields
    assert "revoked" not in form.fields

    response = client.post(
        "/admin/organisations/apikey/",
        {"action": "revoke_selected", "_selected_action": [api_key.pk]},
    )
    assert response.status_code == 302
    api_key.refresh_from_db()
    assert api_key.revoked and api_key.revoked_at is not None
    assert ApiKey.objects.count() == 1


def test_the_admin_refuses_a_user_whose_role_does_not_fit(client):
    client.force_login(UserFactory(role=Role.PLATFORM_ADMIN, organisation=None))
    operator = OperatorFactory()
    response = client.post(
        "/admin/organisations/user/add/",
        {
            "username": "mixed",
            "email": "m@example.test",
            "organisation": operator.pk,
            "role": Role.CUSTOMER_ADMIN,
            "password1": "a long enough password 1",
            "password2": "a long enough password 1",
        },
    )
    assert response.status_code == 200
    assert "can be: operator finance, operator network" in response.content.decode()


def test_stylesheet_is_our_own_and_local():
    from django.contrib.staticfiles import finders

    path = finders.find("portal/portal.css")
    assert path
    with open(path) as stylesheet:
        css = stylesheet.read()
    assert "@media" in css
    assert "http" not in css


def test_password_reset_mails_a_link_that_sets_a_new_password(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(email="noc@carrier.test")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "noc@carrier.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["noc@carrier.test"]
    assert message.subject == "TCFO Capacity Portal: reset your password"
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", message.body).group(1)

    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url,
        {"new_password1": "a brand new passphrase", "new_password2": "a brand new passphrase"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a brand new passphrase")
    assert client.get(link).context["validlink"] is False


def test_password_reset_for_an_unknown_address_mails_nobody_and_says_the_same(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "nobody@nowhere.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []
