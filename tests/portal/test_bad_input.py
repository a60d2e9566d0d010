"""Portal pages answer bad query parameters and form fields with a 400 page or a form error,
never a 500. The pages are taken from the URL resolver, so a page added later is covered."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from billing.models import DeletedDraft, Invoice
from billing.services.runs import start_run
from organisations import two_factor
from organisations.choices import Role

from ..billing.conftest import net, october, sales_net, usage
from ..factories import TEST_PASSWORD, CustomerFactory, OperatorFactory, UserFactory

__all__ = ["net", "october", "sales_net", "usage"]
pytestmark = pytest.mark.django_db

# What the portal's views and forms read from query strings.
PARAMETERS = ["page", "year", "period", "state", "status", "date", "product", "path", "site",
              "start_date", "term_months", "commit_mbps", "invoice", "on"]  # fmt: skip
BAD_VALUES = ["²", str(10**30), "-1", "2026-02-30", "2026-13", "x" * 3000]


def _pages(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    """Every portal path that takes no argument (the API and the admin have their own tests)."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(("api/", "admin/")):
            continue
        if isinstance(pattern, URLResolver):
            found += _pages(pattern, route)
        elif isinstance(pattern, URLPattern) and not pattern.pattern.regex.groupindex:
            found.append("/" + route.replace("^", "").replace("$", "").replace("\\", ""))
    return sorted(set(found) - {"/accounts/logout/"})


PAGES = _pages()


def _people() -> list[object]:
    operator = OperatorFactory()
    return [
        UserFactory(organisation=None, role=Role.PLATFORM_ADMIN),
        UserFactory(organisation=operator, role=Role.OPERATOR_FINANCE),
        UserFactory(organisation=operator, role=Role.OPERATOR_NETWORK),
        UserFactory(organisation=CustomerFactory(), role=Role.CUSTOMER_ADMIN),
    ]


def test_the_portal_pages_are_found():
    assert len(PAGES) >= 20
    assert {"/billing/revenue/", "/orders/", "/catalog/availability/"} <= set(PAGES)


@pytest.mark.parametrize("path", PAGES)
def test_no_portal_page_answers_a_bad_parameter_with_a_500(client, path):
    """GET pages with bad query parameters; pages a form posts to (GET is a 405 for whoever may
    use them) with the same values as form fields."""
    for person in [*_people(), None]:
        if person is None:
            client.logout()
        elif path == reverse("login-code"):
            # The code step is for someone who has just given the right password.
            client.logout()
            two_factor.enrol_with_secret(user=person, secret="JBSWY3DPEHPK3PXP" * 2)
            client.post(reverse("login"), {"username": person.username, "password": TEST_PASSWORD})
        else:
            client.force_login(person)
        method = {200: client.get, 405: client.post}.get(client.get(path).status_code)
        if method is not None:
            break
    else:
        raise AssertionError(f"nobody may use {path}")
    for name in PARAMETERS:
        for value in BAD_VALUES:
            response = method(path, {name: value})
            assert response.status_code < 500, (name, value)
    refused = method(path, {"period": "2026-10\x00"})
    assert refused.status_code == 400
    assert "NUL" in refused.content.decode()


@pytest.mark.parametrize("year", ["²", "²⁰²⁶", "٢٠٢٦", str(10**30), "1999", "2101", "20x6"])
def test_the_revenue_report_refuses_a_year_that_is_not_one_with_a_400_page(client, year):
    client.force_login(UserFactory(organisation=OperatorFactory(), role=Role.OPERATOR_FINANCE))
    page = client.get("/billing/revenue/", {"year": year})
    assert page.status_code == 400
    assert "year: Give a whole number from 2000 to 2100." in page.content.decode()
    csv = client.get("/billing/revenue.csv", {"year": year})
    assert csv.status_code == 400
    assert client.get("/billing/revenue/", {"year": "2026"}).status_code == 200


@pytest.fixture
def drafts(october, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        start_run(period="2026-10", by="finance")
    october.finance = UserFactory(organisation=october.azt, role=Role.OPERATOR_FINANCE)
    return october


def test_a_nul_in_a_form_field_is_a_400_page_and_stores_nothing(client, drafts):
    draft = Invoice.objects.filter(billing_party=drafts.azt).first()
    client.force_login(drafts.finance)
    response = client.post(f"/invoices/{draft.pk}/delete/", {"reason": "dup\x00licate"})
    assert response.status_code == 400
    assert "reason: Text may not contain NUL" in response.content.decode()
    assert not DeletedDraft.objects.exists()
    assert Invoice.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize("value", ["²", "1²", str(10**30), "-1", "x"])
def test_drafts_to_issue_named_by_something_not_an_id_are_refused_each(client, drafts, value):
    draft = Invoice.objects.filter(billing_party=drafts.azt).first()
    client.force_login(drafts.finance)
    confirmed = {"invoice": [value, draft.pk], "confirmed": "yes"}
    page = client.post("/invoices/issue/", confirmed, follow=True)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"draft {value}: No such invoice." in html
    assert f"draft {draft.pk} as " in html


def test_a_request_django_refuses_is_a_400_page(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client.force_login(UserFactory(role=Role.CUSTOMER_ADMIN))
    response = client.get("/orders/?" + "&".join(f"f{i}=1" for i in range(20)))
    assert response.status_code == 400
    assert "That request was refused" in response.content.decode()


def test_a_server_error_shows_the_portals_page_and_the_api_its_error_format(rf):
    """What a user sees if a bug slips through: the portal's own page, not Django's bare text."""
    from tcfo_portal.views import server_error

    page = server_error(rf.get("/billing/"))
    assert page.status_code == 500
    html = page.content.decode()
    assert "Something went wrong" in html and "/static/portal/portal." in html  # its styles
    api = server_error(rf.get("/api/v1/invoices/"))
    assert (api.status_code, api["Content-Type"]) == (500, "application/json")
