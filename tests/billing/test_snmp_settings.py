"""A port's SNMP settings: v2c or v3 per port, checked, and its secrets write-only in the admin."""

import pytest
from django.core.exceptions import ValidationError

from billing.models import UsagePort
from organisations.choices import Role

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

AUTH_KEY, PRIV_KEY, COMMUNITY = "auth-Key-0f-poller", "priv-Key-0f-poller", "c0mmunity-0f-rtr"


def _errors(usage, **settings) -> dict[str, list[str]]:
    port = UsagePort(service=usage.transit, name="p", if_index=7, **settings)
    try:
        port.full_clean()
    except ValidationError as error:
        return error.message_dict
    return {}


V3 = {
    "snmp_host": "10.0.0.1",
    "snmp_version": "v3",
    "snmp_v3_user": "poller",
    "snmp_v3_auth_key": AUTH_KEY,
    "snmp_v3_priv_key": PRIV_KEY,
}


@pytest.mark.parametrize(
    ("snmp", "errors"),
    [
        ({"snmp_host": "10.0.0.1"}, {"snmp_community": ["SNMPv2c needs a community."]}),
        ({"snmp_host": "10.0.0.1", "snmp_community": "pub lic"},
         {"snmp_community": ["Printable ASCII characters only, no spaces."]}),
        ({"snmp_host": "10.0.0.1", "snmp_version": "v3"},
         {"snmp_v3_user": ["SNMPv3 needs a user."],
          "snmp_v3_auth_key": ["SNMPv3 authPriv needs an auth key."],
          "snmp_v3_priv_key": ["SNMPv3 authPriv needs a privacy key."]}),
        ({**V3, "snmp_v3_auth_key": "7-chars"},
         {"snmp_v3_auth_key": [
             "An SNMPv3 auth key has at least 8 characters (RFC 3414); this one has 7."]}),
        ({**V3, "snmp_v3_priv_key": "7-chars"},
         {"snmp_v3_priv_key": [
             "An SNMPv3 privacy key has at least 8 characters (RFC 3414); this one has 7."]}),
        ({**V3, "snmp_v3_priv_key": "x" * 65},
         {"snmp_v3_priv_key": [
             "Ensure this value has at most 64 characters (it has 65)."]}),
        ({**V3, "snmp_v3_auth_key": "auth key 0f poller"},
         {"snmp_v3_auth_key": ["Printable ASCII characters only, no spaces."]}),
        ({**V3, "snmp_v3_user": "пользователь"},
         {"snmp_v3_user": ["Printable ASCII characters only, no spaces."]}),
        ({**V3, "snmp_v3_security_level": "authNoPriv", "snmp_v3_priv_key": ""},
         {}),
        ({**V3, "snmp_v3_auth_protocol": "md5"},
         {"snmp_v3_auth_protocol": ["Value 'md5' is not a valid choice."]}),
        ({**V3, "snmp_v3_priv_protocol": "des"},
         {"snmp_v3_priv_protocol": ["Value 'des' is not a valid choice."]}),
        ({**V3, "snmp_v3_auth_key": "8-chars!", "snmp_v3_priv_key": "8-chars!"}, {}),
        ({"snmp_version": "v3"}, {}),  # no SNMP address: not polled, nothing needed
    ],
)  # fmt: skip
def test_the_settings_of_the_chosen_version_are_checked(usage, snmp, errors):
    assert _errors(usage, **snmp) == errors


def test_the_secrets_of_the_version_not_chosen_are_not_kept(usage):
    port = UsagePort(service=usage.transit, name="p", snmp_community=COMMUNITY, **V3)
    port.full_clean()
    assert (port.snmp_community, port.snmp_v3_auth_key) == ("", AUTH_KEY)
    port.snmp_v3_security_level = "authNoPriv"
    port.full_clean()
    assert (port.snmp_v3_auth_key, port.snmp_v3_priv_key) == (AUTH_KEY, "")
    port.snmp_version, port.snmp_community = "v2c", COMMUNITY
    port.full_clean()
    assert (port.snmp_community, port.snmp_v3_auth_key) == (COMMUNITY, "")


@pytest.fixture
def admin(client, usage):
    client.force_login(UserFactory(organisation=None, role=Role.PLATFORM_ADMIN))
    return client


def _form(usage, **fields) -> dict[str, str]:
    return {
        "service": str(usage.transit.pk),
        "name": "bak-pe1:xe-0/0/7",
        "speed_mbps": "",
        "is_active": "on",
        "snmp_host": "10.0.0.1",
        "snmp_port": "161",
        "if_index": "7",
        "counter_bits": "64",
        "snmp_version": "v3",
        "snmp_community": "",
        "snmp_v3_user": "poller",
        "snmp_v3_security_level": "authPriv",
        "snmp_v3_auth_protocol": "sha256",
        "snmp_v3_auth_key": AUTH_KEY,
        "snmp_v3_priv_protocol": "aes256",
        "snmp_v3_priv_key": PRIV_KEY,
        "snmp_v3_context": "",
        **fields,
    }


def test_the_admin_stores_v3_keys_and_never_shows_them_again(admin, usage):
    assert admin.post("/admin/billing/usageport/add/", _form(usage)).status_code == 302
    port = UsagePort.objects.get()
    assert (port.snmp_v3_auth_protocol, port.snmp_v3_auth_key) == ("sha256", AUTH_KEY)
    assert (port.snmp_v3_priv_protocol, port.snmp_v3_priv_key) == ("aes256", PRIV_KEY)

    page = admin.get(f"/admin/billing/usageport/{port.pk}/change/").content.decode()
    listing = admin.get("/admin/billing/usageport/").content.decode()
    history = admin.get(f"/admin/billing/usageport/{port.pk}/history/").content.decode()
    for html in (page, listing, history):
        assert AUTH_KEY not in html
        assert PRIV_KEY not in html
    assert page.count('placeholder="stored, not shown"') == 2
    for name in ("snmp_community", "snmp_v3_auth_key", "snmp_v3_priv_key"):
        assert f'type="password" name="{name}"' in page

    # Saved again with the keys left blank: the stored ones are kept.
    blank = _form(usage, snmp_v3_auth_key="", snmp_v3_priv_key="", speed_mbps="1000")
    assert admin.post(f"/admin/billing/usageport/{port.pk}/change/", blank).status_code == 302
    port.refresh_from_db()
    assert (port.speed_mbps, port.snmp_v3_auth_key, port.snmp_v3_priv_key) == (
        1000,
        AUTH_KEY,
        PRIV_KEY,
    )

    # A new key typed replaces the stored one.
    rotated = _form(usage, snmp_v3_auth_key="", snmp_v3_priv_key="rotated-priv-key")
    admin.post(f"/admin/billing/usageport/{port.pk}/change/", rotated)
    port.refresh_from_db()
    assert (port.snmp_v3_auth_key, port.snmp_v3_priv_key) == (AUTH_KEY, "rotated-priv-key")


def test_the_admin_refuses_short_keys_without_echoing_them(admin, usage):
    response = admin.post(
        "/admin/billing/usageport/add/",
        _form(usage, snmp_v3_auth_key="short-1", snmp_v3_priv_key="short-2"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "An SNMPv3 auth key has at least 8 characters (RFC 3414); this one has 7." in page
    assert "An SNMPv3 privacy key has at least 8 characters (RFC 3414); this one has 7." in page
    assert "short-1" not in page
    assert "short-2" not in page
    assert not UsagePort.objects.exists()


def test_the_admin_names_what_each_version_needs(admin, usage):
    v2c = admin.post("/admin/billing/usageport/add/", _form(usage, snmp_version="v2c"))
    assert "SNMPv2c needs a community." in v2c.content.decode()
    v3 = admin.post(
        "/admin/billing/usageport/add/",
        _form(usage, snmp_v3_user="", snmp_v3_auth_key="", snmp_v3_priv_key=""),
    )
    page = v3.content.decode()
    for message in [
        "SNMPv3 needs a user.",
        "SNMPv3 authPriv needs an auth key.",
        "SNMPv3 authPriv needs a privacy key.",
    ]:
        assert message in page
    assert not UsagePort.objects.exists()


def test_switching_a_port_to_v2c_in_the_admin_drops_its_v3_keys(admin, usage):
    admin.post("/admin/billing/usageport/add/", _form(usage))
    port = UsagePort.objects.get()
    body = _form(usage, snmp_version="v2c", snmp_community=COMMUNITY)
    body.update(snmp_v3_auth_key="", snmp_v3_priv_key="")
    assert admin.post(f"/admin/billing/usageport/{port.pk}/change/", body).status_code == 302
    port.refresh_from_db()
    assert (port.snmp_version, port.snmp_community) == ("v2c", COMMUNITY)
    assert (port.snmp_v3_auth_key, port.snmp_v3_priv_key) == ("", "")
    page = admin.get(f"/admin/billing/usageport/{port.pk}/change/").content.decode()
    assert COMMUNITY not in page  # the community is a secret too
