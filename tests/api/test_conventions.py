"""The conventions of ../shared/api-contract.md that every endpoint inherits."""

import json
from io import StringIO

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.templatetags.static import static
from rest_framework.test import APIClient

from organisations.choices import Role
from organisations.models import ApiKey

from ..conftest import key_client, session_client
from ..factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_request_without_credentials_gets_401_in_the_error_format(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    assert response.json() == {
        "type": "not_authenticated",
        "detail": "Authentication credentials were not provided.",
        "errors": {},
    }


@pytest.mark.parametrize("header", ["Api-Key nonsense", "Api-Key abc.def", "Api-Key "])
def test_a_wrong_key_gets_401(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert set(response.json()) == {"type", "detail", "errors"}


def test_malformed_json_is_a_400_parse_error():
    client = session_client(UserFactory(role=Role.CUSTOMER_ADMIN))
    response = client.post("/api/v1/api-keys/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["type"] == "parse_error"


def test_a_non_object_body_is_a_400_not_a_500():
    client = session_client(UserFactory(role=Role.CUSTOMER_ADMIN))
    response = client.post("/api/v1/api-keys/", data="[1, 2]", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"


def test_a_validation_error_names_the_fields():
    client = session_client(UserFactory(role=Role.CUSTOMER_ADMIN))
    response = client.post("/api/v1/api-keys/", {"name": "x" * 51}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert body["detail"].startswith("name: ")
    assert list(body["errors"]) == ["name"]


def test_unknown_api_paths_and_methods_answer_json():
    client, _ = key_client(CustomerFactory())
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["type"] == "not_found"
    response = client.delete("/api/v1/me/")
    assert response.status_code == 405
    assert response.json()["type"] == "method_not_allowed"


def test_lists_are_paginated_and_the_page_size_is_capped():
    admin = UserFactory(role=Role.CUSTOMER_ADMIN)
    customer = admin.organisation
    client = session_client(admin)
    keys = []
    for _ in range(505):
        key = ApiKey(organisation=customer, name="bulk", role=Role.CUSTOMER_MEMBER)
        ApiKey.objects.assign_key(key)
        keys.append(key)
    ApiKey.objects.bulk_create(keys)

    page = client.get("/api/v1/api-keys/", {"page_size": 2}).json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] == 505
    assert len(page["results"]) == 2
    assert "page=2" in page["next"]
    assert page["previous"] is None

    capped = client.get("/api/v1/api-keys/", {"page_size": 100000}).json()
    assert len(capped["results"]) == 500

    beyond = client.get("/api/v1/api-keys/", {"page": 999})
    assert beyond.status_code == 404
    assert beyond.json()["type"] == "not_found"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"page_size": "-5"}, "page_size"),
    ],
)
def test_bad_page_parameters_are_a_400(params, field):
    client = session_client(UserFactory(role=Role.CUSTOMER_ADMIN))
    response = client.get("/api/v1/api-keys/", params)
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert list(response.json()["errors"]) == [field]


def test_a_view_without_a_declared_capability_is_refused_not_opened():
    from rest_framework.test import APIRequestFactory
    from rest_framework.views import APIView

    class Forgetful(APIView):
        def get(self, request):
            return None

    user = UserFactory(role=Role.CUSTOMER_ADMIN)
    request = APIRequestFactory().get("/")
    from rest_framework.test import force_authenticate

    force_authenticate(request, user=user)
    with pytest.raises(Exception, match="names no required_capability"):
        Forgetful.as_view()(request)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("method", "url", "header"),
    [
        ("get", "/api/v1/api-keys/a%00bcdefg/", None),
        ("post", "/api/v1/api-keys/a%00bcdefg/revoke/", None),
        ("get", "/api/v1/me/", "Api-Key abc\x00defg.hijklmnopqrstuvwxyzabcdefghijklmn"),
        ("get", "/api/v1/api-keys/?page=%00", None),
    ],
)
def test_nul_bytes_are_refused_not_a_500_on_postgresql(method, url, header):
    client = session_client(UserFactory(role=Role.CUSTOMER_ADMIN))
    if header:
        client.logout()
        client.credentials(HTTP_AUTHORIZATION=header)
    response = getattr(client, method)(url)
    assert 400 <= response.status_code < 500, response.content


def test_the_browser_session_works_for_the_api_with_csrf_protection():
    user = UserFactory(role=Role.CUSTOMER_ADMIN)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    me = client.get("/api/v1/me/").json()
    assert (me["authentication"], me["role"]) == ("session", Role.CUSTOMER_ADMIN)
    response = client.post("/api/v1/api-keys/", {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not ApiKey.objects.exists()


def test_the_schema_is_public_and_ignores_a_bad_key(client):
    response = client.get("/api/schema/", HTTP_AUTHORIZATION="Api-Key revoked.nonsense")
    assert response.status_code == 200


def test_the_openapi_schema_is_served_and_valid(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/me/" in schema["paths"]
    assert "/api/v1/api-keys/{prefix}/revoke/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["ApiKey"]["in"] == "header"

    out = StringIO()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out
    )
    assert json.loads(out.getvalue())["info"]["version"] == "1"


def test_the_api_docs_use_local_assets_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    bundle = "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert static(bundle) in html  # its hashed name, as deployed
    assert "cdn" not in html.lower()
    assert "https://" not in html
    assert finders.find(bundle)
    assert client.get(static(bundle)).status_code == 200
