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


def _imported_modules(path) -> set[str]:
    """The modules a file imports anywhere in it (inside functions too), relative ones resolved
    against its package."""
    import ast

    package = ".".join(path.with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return found


def test_services_never_import_tasks_tasks_call_services():
    """One direction: tasks call services; services queue tasks by name
    (tcfo_portal.queue.after_commit), so no import cycle hides inside a function."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    services = sorted(root.glob("*/services/*.py")) + sorted(root.glob("*/services.py"))
    assert len(services) > 20
    offenders = {
        str(path.relative_to(root)): sorted(m for m in _imported_modules(path.relative_to(root))
                                            if m.split(".")[1:2] == ["tasks"])
        for path in services
    }  # fmt: skip
    assert {path: found for path, found in offenders.items() if found} == {}


def test_a_task_queued_by_an_unknown_name_fails_at_once_not_at_commit():
    from celery.exceptions import NotRegistered

    from tcfo_portal.queue import after_commit

    with pytest.raises(NotRegistered):
        after_commit("billing.tasks.no_such_task", 1)


def _raises_validation_error(source: str) -> list[int]:
    """The lines where ``source`` raises a ``ValidationError`` (Django's, a form's or DRF's,
    whatever it is imported as), or re-raises one it caught."""
    import ast

    def names_validation_error(node: ast.expr | None) -> bool:
        return node is not None and any(
            (isinstance(n, ast.Name) and n.id.endswith("ValidationError"))
            or (isinstance(n, ast.Attribute) and n.attr.endswith("ValidationError"))
            for n in ast.walk(node)
        )

    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Raise) and names_validation_error(node.exc):
            lines.append(node.lineno)
        elif isinstance(node, ast.ExceptHandler) and names_validation_error(node.type):
            lines += [
                inner.lineno
                for inner in ast.walk(node)
                if isinstance(inner, ast.Raise) and inner.exc is None
            ]
    return sorted(lines)


def test_the_validation_error_scan_finds_each_way_of_raising_one():
    source = """
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
def a():
    raise DjangoValidationError({"x": "no"})
def b():
    raise forms.ValidationError("no")
def c(error):
    raise error from None
def d(check):
    try:
        check()
    except DjangoValidationError:
        raise
"""
    assert _raises_validation_error(source) == [5, 7, 14]


def test_services_raise_domain_errors_never_validation_errors():
    """Services refuse with ``tcfo_portal.exceptions.DomainError`` (``InvalidInput`` for a bad
    value, naming its field): the API, portal forms and the admin each map those in one place.
    Models, validators and forms keep Django's ``ValidationError``: that is their contract."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    services = sorted(root.glob("*/services/*.py")) + sorted(root.glob("*/services.py"))
    assert len(services) > 20
    offenders = {
        str(path.relative_to(root)): _raises_validation_error(path.read_text()) for path in services
    }
    assert {path: lines for path, lines in offenders.items() if lines} == {}


# --- i15-d2 begin ---
def test_every_date_picker_is_the_portals_own_widget():
    """A browser's date picker takes ``YYYY-MM-DD`` only: a picker made anywhere but
    ``tcfo_portal/widgets.py`` would get the language's ``28/11/2026`` and show empty."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    picker = re.compile(
        r"input_type\s*=\s*['\"](date|datetime-local)['\"]"
        r"|['\"]type['\"]\s*:\s*['\"](date|datetime-local)['\"]"
        r"|forms\.(DateInput|DateTimeInput|SplitDateTimeWidget)\("
    )
    sources = [
        path
        for path in root.glob("*/**/*.py")
        if path.parts[len(root.parts)] not in {".venv", "tests", "bench", "node_modules"}
        and "migrations" not in path.parts
    ]
    assert len(sources) > 100
    offenders = sorted(
        str(path.relative_to(root))
        for path in sources
        if picker.search(path.read_text()) and path != root / "tcfo_portal" / "widgets.py"
    )
    assert offenders == []
    # A template writing a picker by hand formats its value as the picker takes it.
    for template in root.glob("templates/**/*.html"):
        for tag in re.findall(r"<input[^>]*type=\"date\"[^>]*>", template.read_text()):
            assert "value=" not in tag or "'Y-m-d'" in tag, (template, tag)


# --- i15-d2 end ---
