from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from organisations.choices import Role
from organisations.models import ApiKey
from organisations.services import create_api_key, revoke_api_key

from ..conftest import key_client, session_client
from ..factories import CustomerFactory, OperatorFactory, UserFactory
from ..isolation import assert_api_list_excludes, assert_api_object_isolated, assert_page_isolated

pytestmark = pytest.mark.django_db


def _stored_text_of(api_key: ApiKey) -> str:
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(ApiKey._meta.db_table)
        cursor.execute(f"SELECT * FROM {table} WHERE prefix = %s", [api_key.prefix])  # noqa: S608
        return " ".join(str(value) for value in cursor.fetchone())


def test_only_a_hash_of_the_key_is_stored_and_the_prefix_finds_it():
    customer = CustomerFactory()
    api_key, secret = create_api_key(organisation=customer, name="OSS")
    prefix, _, secret_part = secret.partition(".")
    assert prefix == api_key.prefix
    assert len(secret_part) >= 32
    stored = _stored_text_of(api_key)
    assert secret not in stored
    assert secret_part not in stored
    assert ApiKey.objects.get_from_key(secret) == api_key
    assert api_key.role == Role.CUSTOMER_MEMBER


def test_a_key_authenticates_and_records_its_use():
    customer = CustomerFactory()
    client, api_key = key_client(customer)
    assert api_key.last_used_at is None
    response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["organisation"]["name"] == customer.name
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None


@pytest.mark.parametrize("state", ["revoked", "expired", "inactive organisation", "wrong secret"])
def test_unusable_keys_are_refused(state, api_client):
    customer = CustomerFactory()
    api_key, secret = create_api_key(organisation=customer, name="k")
    if state == "revoked":
        revoke_api_key(api_key=api_key)
    elif state == "expired":
        ApiKey.objects.filter(pk=api_key.pk).update(
            expiry_date=timezone.now() - timedelta(seconds=1)
        )
    elif state == "inactive organisation":
        customer.is_active = False
        customer.save()
    else:
        secret = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["type"] == "authentication_failed"


def test_revoking_is_final_and_idempotent():
    api_key, _ = create_api_key(organisation=CustomerFactory(), name="k")
    first = revoke_api_key(api_key=api_key)
    second = revoke_api_key(api_key=api_key)
    assert first.revoked and second.revoked
    assert first.revoked_at == second.revoked_at


def test_a_key_cannot_hold_a_role_of_another_kind_or_no_name():
    with pytest.raises(Exception, match="can be"):
        create_api_key(organisation=CustomerFactory(), name="k", role=Role.OPERATOR_FINANCE)
    with pytest.raises(Exception, match="platform admin"):
        create_api_key(organisation=OperatorFactory(), name="k", role=Role.PLATFORM_ADMIN)
    with pytest.raises(Exception, match="name"):
        create_api_key(organisation=CustomerFactory(), name="  ")
    assert not ApiKey.objects.exists()


# --- management command ---------------------------------------------------------------------------


def test_create_api_key_command_prints_a_working_key(api_client):
    operator = OperatorFactory(name="AzerTelecom")
    out = StringIO()
    call_command("create_api_key", "--org", "azertelecom", stdout=out, stderr=StringIO())
    secret = out.getvalue().strip()
    api_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")
    body = api_client.get("/api/v1/me/").json()
    assert body["organisation"]["name"] == operator.name
    assert body["role"] == Role.OPERATOR_NETWORK

    out = StringIO()
    call_command(
        "create_api_key",
        "--org",
        str(operator.pk),
        "--role",
        "operator_finance",
        stdout=out,
        stderr=StringIO(),
    )
    assert ApiKey.objects.get_from_key(out.getvalue().strip()).role == Role.OPERATOR_FINANCE


def test_create_api_key_command_finds_names_that_look_like_ids_and_refuses_ambiguity():
    seven = CustomerFactory(name="7")
    CustomerFactory(name="Acme")
    CustomerFactory(name="ACME")
    out = StringIO()
    call_command("create_api_key", "--org", "7", stdout=out, stderr=StringIO())
    assert ApiKey.objects.get_from_key(out.getvalue().strip()).organisation == seven
    with pytest.raises(CommandError, match="Several organisations"):
        call_command("create_api_key", "--org", "acme", stderr=StringIO())


def test_create_api_key_command_explains_bad_input():
    CustomerFactory(name="Caspian Online")
    with pytest.raises(CommandError, match="No organisation"):
        call_command("create_api_key", "--org", "Nobody", stderr=StringIO())
    with pytest.raises(CommandError, match="can be"):
        call_command(
            "create_api_key",
            "--org",
            "Caspian Online",
            "--role",
            "operator_network",
            stderr=StringIO(),
        )
    assert not ApiKey.objects.exists()


# --- portal ---------------------------------------------------------------------------------------


def test_customer_admin_creates_a_key_in_the_portal_and_sees_it_once(client, customer_admin):
    client.force_login(customer_admin)
    response = client.post(reverse("api-keys"), {"name": "OSS/BSS", "role": "customer_member"})
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert "no-store" in response["Cache-Control"]
    secret = response.context["new_key"]["key"]
    assert secret in response.content.decode()
    api_key = ApiKey.objects.get_from_key(secret)
    assert api_key.organisation == customer_admin.organisation
    assert api_key.created_by == customer_admin

    page = client.get(reverse("api-keys")).content.decode()
    assert api_key.prefix in page
    assert secret not in page


def test_a_bad_key_form_is_answered_with_the_reason(client, customer_admin):
    client.force_login(customer_admin)
    response = client.post(reverse("api-keys"), {"name": "", "role": "operator_finance"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert "operator_finance is not one of the available choices" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_customer_admin_revokes_a_key_in_the_portal(client, customer_admin):
    api_key, _ = create_api_key(organisation=customer_admin.organisation, name="old")
    client.force_login(customer_admin)
    response = client.post(
        reverse("api-key-revoke", args=[api_key.prefix]), {"confirmed": "yes"}, follow=True
    )
    assert "is revoked" in response.content.decode()
    api_key.refresh_from_db()
    assert api_key.revoked and api_key.revoked_at


def test_customer_members_and_operators_cannot_manage_keys_in_the_portal(client):
    for user in (
        UserFactory(role=Role.CUSTOMER_MEMBER),
        UserFactory(organisation=OperatorFactory(), role=Role.OPERATOR_FINANCE),
    ):
        client.force_login(user)
        assert client.get(reverse("api-keys")).status_code == 403
        assert client.post(reverse("api-keys"), {"name": "x"}).status_code == 403
    assert not ApiKey.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("api-keys"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_portal_key_pages_are_isolated(client, customer_admin, other_customer_admin):
    foreign, _ = create_api_key(organisation=other_customer_admin.organisation, name="theirs")
    client.force_login(customer_admin)
    assert foreign.prefix not in client.get(reverse("api-keys")).content.decode()
    assert_page_isolated(
        client, obj=foreign, urls=[], post_urls=[reverse("api-key-revoke", args=[foreign.prefix])]
    )


# --- API ------------------------------------------------------------------------------------------


def test_api_lists_creates_and_revokes_keys(customer_admin):
    client = session_client(customer_admin)
    created = client.post("/api/v1/api-keys/", {"name": "billing robot"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["role"] == Role.CUSTOMER_MEMBER
    assert ApiKey.objects.get_from_key(body["key"]).prefix == body["prefix"]

    listed = client.get("/api/v1/api-keys/").json()
    assert listed["count"] == 1
    assert "key" not in listed["results"][0]
    assert "hashed_key" not in listed["results"][0]

    revoked = client.post(f"/api/v1/api-keys/{body['prefix']}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["revoked"] is True


def test_api_key_creation_validates_the_body(customer_admin):
    client = session_client(customer_admin)
    for body, field, message in (
        ({"name": ""}, "name", "This field may not be blank."),
        ({"name": "x", "role": "operator_finance"}, "role", "can be: customer admin"),
        ({"name": "x", "role": "emperor"}, "role", "not a valid choice"),
    ):
        response = client.post("/api/v1/api-keys/", body, format="json")
        assert response.status_code == 400, body
        error = response.json()
        assert error["type"] == "validation_error"
        assert list(error["errors"]) == [field]
        assert message in error["errors"][field][0]
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("role", [Role.CUSTOMER_MEMBER, Role.CUSTOMER_ADMIN])
def test_no_api_key_can_manage_keys(role):
    """A leaked key must not mint a successor that survives its revocation."""
    client, api_key = key_client(CustomerFactory(), role)
    for response in (
        client.get("/api/v1/api-keys/"),
        client.post("/api/v1/api-keys/", {"name": "successor"}, format="json"),
        client.post(f"/api/v1/api-keys/{api_key.prefix}/revoke/"),
    ):
        assert response.status_code == 403
    assert ApiKey.objects.count() == 1
    assert not ApiKey.objects.get().revoked


def test_a_member_key_cannot_manage_keys():
    client, _ = key_client(CustomerFactory(), Role.CUSTOMER_MEMBER)
    response = client.get("/api/v1/api-keys/")
    assert response.status_code == 403
    assert response.json()["type"] == "permission_denied"
    assert client.post("/api/v1/api-keys/", {"name": "x"}, format="json").status_code == 403


def test_api_keys_are_isolated_between_organisations(customer_admin, other_customer_admin):
    foreign, _ = create_api_key(organisation=other_customer_admin.organisation, name="theirs")
    own, _ = create_api_key(organisation=customer_admin.organisation, name="ours")
    client = session_client(customer_admin)
    results = assert_api_list_excludes(
        client, "/api/v1/api-keys/", field="prefix", foreign_values=[foreign.prefix]
    )
    assert own.prefix in {row["prefix"] for row in results}
    assert_api_object_isolated(
        client,
        obj=foreign,
        url=f"/api/v1/api-keys/{foreign.prefix}/",
        missing_url="/api/v1/api-keys/NOSUCHKY/",
        actions=[f"/api/v1/api-keys/{foreign.prefix}/revoke/"],
    )
