from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from organisations.choices import OrganisationKind, Role
from organisations.demo import DEMO_PASSWORD
from organisations.models import Organisation, User

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
        assert client.login(username=user.username, password=DEMO_PASSWORD)
        assert client.get("/").status_code == 200
        client.logout()
