"""The Content-Security-Policy in a real Chromium: the portal's pages for every kind of user, the
Django admin, the API docs and the browsable API are served under it and break none of it.

Violations are caught by the ``page`` fixture (``securitypolicyviolation`` events and the console);
these tests visit the pages and check the header and that what the policy could break still works.
"""

from __future__ import annotations

import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from billing.models import PeriodClose
from leasing.models import FiberPair, Path, Price, Segment

from .test_network_pages import _log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Demo logins, one per kind of user, and the pages linked from their pages that are visited too.
LOGINS = ["caspian-admin", "azt-finance", "azt-network", "platform-admin"]
NOT_PAGES = re.compile(r"(\.csv|\.pdf|/pdf/|/logout/|/admin/|/api/)")


def _assert_strict_policy(response: object, *, inline_styles: bool = False) -> None:
    policy = response.headers.get("content-security-policy", "")
    directives = dict(part.strip().partition(" ")[::2] for part in policy.split(";"))
    assert directives.get("default-src") == "'self'", (response.url, policy)
    assert directives.get("script-src") == "'self'", (response.url, policy)
    styles = "'self' 'unsafe-inline'" if inline_styles else "'self'"
    assert directives.get("style-src") == styles, (response.url, policy)


def _visit(page: object, url: str, *, inline_styles: bool = False) -> None:
    response = page.goto(url)
    assert response.status == 200, url
    _assert_strict_policy(response, inline_styles=inline_styles)
    page.wait_for_load_state("networkidle")


def test_every_portal_page_renders_under_the_policy(live_server, page):
    call_command("load_demo", force=True, stdout=StringIO())
    # Each kind of page once (/orders/12/ and /orders/13/ are one), but each login's own menu
    # pages all: what they link to differs (a customer sees no draft invoice).
    seen: set[str] = set()
    for username in LOGINS:
        menu_seen: set[str] = set()
        page.context.clear_cookies()
        _log_in(page, live_server, username)
        nav = page.get_by_role("navigation", name="Main").get_by_role("link")
        # Every page of the menu, and the pages they link to, and those pages' links.
        queue = [(nav.nth(i).get_attribute("href"), 0) for i in range(nav.count())]
        while queue:
            href, depth = queue.pop(0)
            path = urlsplit(href).path
            kind = re.sub(r"\d+", "N", path)
            done = menu_seen if depth == 0 else seen
            if kind in done or NOT_PAGES.search(path):
                continue
            done.add(kind)
            seen.add(kind)
            _visit(page, live_server.url + href)
            if depth < 2:
                links = page.locator("main a[href^='/']")
                queue += [
                    (links.nth(i).get_attribute("href"), depth + 1) for i in range(links.count())
                ]
    # The pages that once held inline style or script are among them.
    assert {"/network/paths/BAK-AKT/", "/billing/", "/billing/late/"} <= seen
    assert len(seen) >= 30, sorted(seen)


def test_closing_a_month_is_refused_at_its_field_or_confirmed_on_a_page(live_server, page):
    """Closing a month is confirmed on a page of its own (``tcfo_portal.confirm``, no script,
    i15-d1); a month that cannot be closed is refused at its field first, nothing closed."""
    call_command("load_demo", force=True, stdout=StringIO())
    _log_in(page, live_server, "azt-finance")
    page.goto(f"{live_server.url}/billing/")
    form = page.get_by_role("form", name="Close a month")
    form.get_by_label("Period").fill("2026-01")
    form.get_by_role("button", name="Close month").click()
    form = page.get_by_role("form", name="Close a month")
    expect(form.get_by_text("Bill 2026-01 first")).to_have_count(1)
    expect(form.get_by_label("Period")).to_have_value("2026-01")
    assert not PeriodClose.objects.exists()


def test_the_admin_renders_under_the_policy(live_server, page):
    call_command("load_demo", force=True, stdout=StringIO())
    _log_in(page, live_server, "platform-admin")
    path, segment = Path.objects.first(), Segment.objects.first()
    for url in [
        reverse("admin:index"),
        reverse("admin:organisations_organisation_changelist"),
        reverse("admin:leasing_path_change", args=[path.pk]),
        reverse("admin:leasing_segment_change", args=[segment.pk]),
        reverse("admin:leasing_fiberpair_change", args=[FiberPair.objects.first().pk]),
        reverse("admin:leasing_price_change", args=[Price.objects.first().pk]),
        reverse("admin:leasing_price_add"),
        reverse("admin:billing_invoice_changelist"),
    ]:
        _visit(page, live_server.url + url)
    # The admin's own scripts run: the date widget's calendar link is added by JavaScript.
    expect(page.locator("body")).to_be_visible()
    page.goto(live_server.url + reverse("admin:leasing_price_add"))
    expect(page.locator(".datetimeshortcuts").first).to_be_visible()


def test_the_api_docs_and_the_browsable_api_render_under_the_policy(live_server, page):
    response = page.goto(f"{live_server.url}/api/docs/")
    _assert_strict_policy(response)
    # Swagger UI draws the whole schema (about 130 operations) before the title: on a busy
    # 2-core machine that takes longer than the default 5 s.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "TCFO Capacity Portal", timeout=30_000
    )
    operation = page.locator(".opblock-summary").first
    operation.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    page.get_by_role("button", name="Authorize").first.click()
    expect(page.locator(".modal-ux")).to_be_visible()
    page.wait_for_load_state("networkidle")

    call_command("load_demo", force=True, stdout=StringIO())
    _log_in(page, live_server, "caspian-admin")
    # DRF's own pages style a few elements inline: those pages alone allow it (not scripts).
    _visit(page, f"{live_server.url}/api/v1/products/", inline_styles=True)
    expect(page.locator(".response-info")).to_contain_text("WL100")
