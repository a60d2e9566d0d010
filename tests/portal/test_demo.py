import base64
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.oath import TOTP

from organisations import two_factor
from organisations.choices import OrganisationKind, Role
from organisations.demo import DEMO_PASSWORD
from organisations.models import Organisation, User

from ..conftest import log_in

pytestmark = pytest.mark.django_db


def _load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_demo_data_is_refused_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing"):
        call_command("load_demo", stdout=StringIO())
    assert not User.objects.exists()


def test_demo_data_is_idempotent_and_every_demo_login_works(client, settings):
    settings.DEBUG = True
    first = _load()
    counts = (Organisation.objects.count(), User.objects.count())
    second = _load()
    assert (Organisation.objects.count(), User.objects.count()) == counts
    assert first == second

    operators = Organisation.objects.filter(kind=OrganisationKind.OPERATOR)
    assert sorted(operators.values_list("name", flat=True)) == [
        "AzerTelecom",
        "KazTransCom",
        "Transtelecom",
    ]
    assert sorted(operators.values_list("invoice_prefix", flat=True)) == ["AZT", "KTC", "TTC"]
    assert operators.get(name="AzerTelecom").time_zone == "Asia/Baku"

    roles_printed = {role.label for role in Role if role.label in first}
    assert roles_printed == {role.label for role in Role}
    for user in User.objects.all():
        assert user.username in first
        response = log_in(client, user.username, DEMO_PASSWORD)
        assert response.status_code == 302, response.content.decode()
        assert client.get("/").status_code == 200
        client.post("/accounts/logout/")


def test_demo_staff_use_two_factor_with_the_printed_secrets(client, settings):
    """Staff logins are enrolled with TOTP secrets printed beside their passwords; the code an
    authenticator app computes from the printed secret logs in; customers are asked no code."""
    settings.DEBUG = True
    printed = _load()
    staff = {Role.OPERATOR_FINANCE, Role.OPERATOR_NETWORK, Role.PLATFORM_ADMIN}
    for user in User.objects.all():
        line = next(line for line in printed.splitlines() if f" {user.username} " in line)
        response = client.post(
            reverse("login"), {"username": user.username, "password": DEMO_PASSWORD}
        )
        if user.role not in staff:
            assert "TOTP" not in line
            assert response["Location"] == "/"
            client.post(reverse("logout"))
            continue
        secret = line.split("TOTP ")[1].split()[0]
        assert response["Location"] == reverse("login-code")
        code = TOTP(base64.b32decode(secret)).token()  # what the user's app shows now
        response = client.post(reverse("login-code"), {"code": f"{code:06d}"})
        assert response.status_code == 302
        assert client.get("/").status_code == 200
        client.post(reverse("logout"))
    assert "manage.py totp_code <username>" in printed


def test_totp_code_prints_the_code_of_the_users_app(settings):
    settings.DEBUG = True
    _load()
    out = StringIO()
    call_command("totp_code", "azt-finance", stdout=out)
    user = User.objects.get(username="azt-finance")
    assert out.getvalue().strip() == two_factor.code_for(two_factor.authenticator_of(user))
    assert len(out.getvalue().strip()) == 6
    with pytest.raises(CommandError, match="no authenticator"):
        call_command("totp_code", "caspian-admin", stdout=StringIO())
    with pytest.raises(CommandError, match="No user"):
        call_command("totp_code", "nobody", stdout=StringIO())
