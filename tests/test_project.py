"""The project's own promises: checks clean, migrations complete, static files as deployed."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.test import Client


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


def test_system_checks_pass():
    call_command("check", "--fail-level", "WARNING", stdout=StringIO())


def test_a_link_to_a_static_file_that_does_not_exist_fails_as_in_production():
    """The suite links static files through the manifest, as production does: a template naming
    a file that is not there fails here instead of answering 500 once deployed."""
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        Template("{% load static %}{% static 'portal/no-such-file.css' %}").render(Context())


@pytest.mark.django_db
def test_pages_link_the_hashed_names_and_they_are_served():
    client = Client()
    page = client.get("/accounts/login/").content.decode()
    links = re.findall(r'(?:href|src)="(/static/[^"?]+)', page)
    assert any(re.search(r"/portal/portal\.[0-9a-f]{12}\.css$", link) for link in links), links
    for link in links:
        assert client.get(link).status_code == 200, link
