"""Small fixes of the portal's shell (issue 15): the navigation shows only what the viewer can
do, the API keys page names no "None", /favicon.ico answers, a refused request logs one line."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from organisations.choices import Role

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def _nav_labels(client) -> list[str]:
    response = client.get(reverse("dashboard"))
    return [entry["label"] for entry in response.context["nav"]]


def test_a_platform_admin_is_not_offered_a_quote_he_would_be_refused(client, customer_admin):
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN)
    client.force_login(admin)
    assert "New quote" not in _nav_labels(client)
    response = client.get(reverse("quote-new"))
    assert response.status_code == 403
    client.force_login(customer_admin)
    assert "New quote" in _nav_labels(client)
    assert client.get(reverse("quote-new")).status_code == 200


def test_the_api_keys_page_of_someone_of_no_organisation_names_none(client, customer_admin):
    admin = UserFactory(organisation=None, role=Role.PLATFORM_ADMIN)
    client.force_login(admin)
    html = client.get(reverse("api-keys")).content.decode()
    assert "None" not in html
    assert "You belong to none" in html
    client.force_login(customer_admin)
    html = client.get(reverse("api-keys")).content.decode()
    assert f"as {customer_admin.organisation.name}" in html


def test_favicon_ico_is_the_portals_icon(client, customer_admin):
    icon = Path(settings.BASE_DIR, "tcfo_portal/static/portal/favicon.svg").read_bytes()
    for signed_in in (False, True):
        if signed_in:
            client.force_login(customer_admin)
        response = client.get("/favicon.ico")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml"
        assert b"".join(response.streaming_content) == icon


def test_a_refused_request_logs_one_line_without_a_traceback(client, customer_admin, caplog):
    client.force_login(customer_admin)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = client.get(reverse("utilisation"))
    assert response.status_code == 403
    request_records = [r for r in caplog.records if r.name.startswith("django")]
    assert len(request_records) == 1
    (record,) = request_records
    assert record.getMessage() == "Forbidden (Permission denied): /network/utilisation/"
    assert record.exc_info is None and not record.exc_text
    assert "Traceback" not in caplog.text


def test_logging_sends_djangos_records_to_one_handler(settings):
    """Django's own console handler (under DEBUG) would print every record a second time."""
    assert settings.LOGGING["loggers"]["django"]["handlers"] == []
    assert "refusal_without_traceback" in settings.LOGGING["loggers"]["django.request"]["filters"]


def test_a_server_error_keeps_its_traceback():
    from tcfo_portal.log_filters import RefusalWithoutTraceback

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, "", 0, "x", (), info)
    record.status_code = 500
    RefusalWithoutTraceback().filter(record)
    assert record.exc_info is info
    record.status_code = 403
    RefusalWithoutTraceback().filter(record)
    assert record.exc_info is None
