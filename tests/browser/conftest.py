from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connections

from ..conftest import CHROMIUM_PATH

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Debian's headless Chromium driven by Playwright; no browser is ever downloaded.

    Playwright's sync API keeps an event loop running in this thread, which makes Django refuse
    ORM calls from the test; the test thread does no async work, so the check is lifted for as
    long as the browser lives, and the browser lives for one test only.
    """
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
            # The ORM calls the test made under Playwright's event loop opened connections of
            # their own (Django keys them by async context); close them, or they keep the test
            # database busy when it is dropped.
            connections.close_all()


# Reports each Content-Security-Policy violation of a page to the test (``watch_csp``).
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation(
    `${location.pathname}: ${event.effectiveDirective} refused ${event.blockedURI || "inline"}`
    + ` (${event.sourceFile || "page"}:${event.lineNumber})`
  );
});
"""


def watch_csp(context: object) -> list[str]:
    """The Content-Security-Policy violations of every page of ``context``, as they happen."""
    violations: list[str] = []
    context.expose_binding("reportCspViolation", lambda source, text: violations.append(text))
    context.add_init_script(_CSP_LISTENER)
    context.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A page of its own context; the test errs if any page of it violated the
    Content-Security-Policy."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    violations = watch_csp(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
    assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)
