"""Every page of every role, at desktop width and on a 390 px phone: nothing sticks out sideways,
and axe-core finds no serious or critical accessibility violation (tests/browser/pages.py).

The world is the tenant-isolation world (tests/worlds.py ``tenant_world``): it holds one of every
resource a page shows (quotes, orders, services with usage, contracts, invoices with payments,
credit and debit notes, tickets, outages, maintenance, API keys, webhooks), so following links
from each role's dashboard reaches every kind of page. It is built once for the module and
committed (the live server reads it from its own connection), crawled once per role, and flushed
at the end; the tests below read the crawl's findings.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test import Client, override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from playwright.sync_api import expect

from organisations import two_factor
from organisations.choices import Role
from tcfo_portal.celery import app as celery_app

from ..conftest import CHROMIUM_PATH, IN_CI, TEST_TOTP_SECRET
from ..factories import UserFactory
from ..worlds import SHARED_SETTINGS, tenant_world
from .conftest import CHROMIUM_ARGS, watch_csp
from .pages import DESKTOP, PHONE, Crawl, Crawler, Script, axe_available, screenshot_root

pytestmark = [pytest.mark.browser]

ROLES = [
    "customer_admin",
    "customer_member",
    "operator_network",
    "operator_finance",
    "platform_admin",
    "anonymous",
]
# Each role reaches at least these many kinds of page (a crawl that stops at the dashboard is
# a broken crawl, not a clean portal).
AT_LEAST = {
    "customer_admin": 15,
    "customer_member": 10,
    "operator_network": 15,
    "operator_finance": 15,
    "anonymous": 2,
}
# Where each crawl starts: the dashboard (the login page for someone not logged in), and pages
# that no link leads to yet.
STARTS = {"anonymous": ("/accounts/login/",)}


def _users(net: SimpleNamespace) -> dict[str, object]:
    return {
        "customer_admin": net.a_user,
        "customer_member": UserFactory(
            organisation=net.a_user.organisation, role=Role.CUSTOMER_MEMBER
        ),
        "operator_network": net.noc,
        "operator_finance": net.finance,
        "platform_admin": UserFactory(organisation=None, role=Role.PLATFORM_ADMIN),
    }


def _scripts(net: SimpleNamespace) -> dict[str, list[Script]]:
    """The pages only a posted form leads to, for each role: a confirmation page (nothing is
    confirmed) and a form shown again with its errors."""

    def submit(form_name: str | re.Pattern | None, button: str, **fields: str):
        def act(page: object) -> None:
            form = page.get_by_role("form", name=form_name) if form_name else page
            for label, value in fields.items():
                form.get_by_label(label.replace("_", " "), exact=True).fill(value)
            form.get_by_role("button", name=button, exact=True).click()

        return act

    payment = f"/invoices/{net.a_invoice.pk}/payments/new/"
    paying, day = re.compile(r"^Record a payment"), "2026-11-02"
    return {
        "customer_admin": [
            Script(
                "order-cancel-confirmation",
                f"/orders/{net.a_order.pk}/",
                submit("Cancel", "Cancel", Reason="No longer needed"),
                shows=f"Cancel order {net.a_order.pk}?",
            ),
        ],
        "operator_network": [
            Script(
                "service-suspend-confirmation",
                f"/services/{net.transit.circuit_id}/",
                submit(None, "Suspend"),
                shows="Suspend",
            ),
        ],
        "operator_finance": [
            Script(
                "payment-form-errors",
                payment,
                submit(paying, "Record the payment", Amount="abc", Received_on=day),
                status=400,
                shows="Enter a number",
            ),
        ],
    }


def _session_cookie(user: object, domain: str) -> dict:
    """A logged-in session for ``user``, verified by an authenticator for staff, as a cookie."""
    client = Client()
    client.force_login(user)
    if two_factor.is_staff_role(user):
        device = two_factor.authenticator_of(user) or two_factor.enrol_with_secret(
            user=user, secret=TEST_TOTP_SECRET
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    return {"name": cookie.key, "value": cookie.value, "domain": domain, "path": "/"}


@pytest.fixture(scope="module")
def world(
    django_db_setup: None,
    django_db_blocker: object,
    live_server: object,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[SimpleNamespace]:
    """The tenant world, committed, with a logged-in session cookie for each role; the database
    stays open to the tests and the live server until the module ends, then it is flushed."""
    media = tmp_path_factory.mktemp("every-page-media")
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        with (
            django_db_blocker.unblock(),
            override_settings(MEDIA_ROOT=media, **SHARED_SETTINGS),
            pytest.MonkeyPatch.context() as patch,
        ):
            try:
                net = tenant_world()
                domain = live_server.url.split("//")[1].split(":")[0]
                net.cookies = {role: _session_cookie(u, domain) for role, u in _users(net).items()}
                net.cookies["anonymous"] = None
                net.starts = {
                    **STARTS,
                    "customer_admin": ("/", f"/orders/quotes/{net.a_quote.pk}/"),
                }
                net.scripts = _scripts(net)
                net.base_url = live_server.url
                # Playwright's sync API runs an event loop in this thread; the ORM work is done.
                patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
                yield net
            finally:
                connections.close_all()
                call_command("flush", interactive=False, verbosity=0)
    finally:
        celery_app.conf.task_always_eager = eager


@pytest.fixture
def transactional_db(world: SimpleNamespace) -> None:
    """pytest-django gives every test using the live server a database emptied after it; here
    the tests share the module's world instead (``world`` flushes it at the end)."""


@pytest.fixture(scope="module")
def crawls(world: SimpleNamespace, live_server: object) -> dict[str, Crawl]:
    """Every role's pages, crawled once for the module's tests."""
    if problem := axe_available():
        if IN_CI:
            pytest.fail(problem)  # nothing is skipped in CI
        pytest.skip(problem)
    # The live server's settings (its host allowed), as for a test using it.
    live_server._live_server_modified_settings.enable()
    try:
        return _crawl_all(world.base_url, world.cookies, world.starts, world.scripts)
    finally:
        live_server._live_server_modified_settings.disable()


def _crawl_all(
    base_url: str,
    cookies: dict[str, dict | None],
    starts: dict[str, tuple[str, ...]],
    scripts: dict[str, list[Script]],
) -> dict[str, Crawl]:
    from playwright.sync_api import sync_playwright

    crawls = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, headless=True, args=CHROMIUM_ARGS
        )
        try:
            # TCFO_EVERY_PAGE_ROLES="a,b": only these roles' pages (while fixing one of them)
            only = [r for r in os.environ.get("TCFO_EVERY_PAGE_ROLES", "").split(",") if r]
            for role, cookie in cookies.items():
                if only and role not in only:
                    continue
                context = browser.new_context(viewport=DESKTOP)
                if cookie:
                    context.add_cookies([cookie])
                violations = watch_csp(context)
                crawler = Crawler(context, base_url, role)
                crawl = crawler.run(starts.get(role, ("/",)))
                crawler.run_scripts(crawl, scripts.get(role, []))
                crawl.csp_violations = list(violations)
                context.close()
                crawls[role] = crawl
        finally:
            browser.close()
    _print_summary(crawls)
    return crawls


def _print_summary(crawls: dict[str, Crawl]) -> None:
    lines = ["", "Pages visited (each at 1280 and 390 px):"]
    for role, crawl in crawls.items():
        routes = sorted({page.route or "/" for page in crawl.pages})
        lines.append(
            f"  {role}: {len(crawl.pages)} pages, {len(routes)} routes, {crawl.seconds:.0f} s"
            + " ("
            + ", ".join(f"{k} {v:.0f} s" for k, v in crawl.timings.items())
            + ")"
        )
        lines += [f"      {route}" for route in routes]
        minor: dict[str, int] = {}
        for page in crawl.pages:
            for visit in page.visits.values():
                for violation in visit.violations:
                    if violation not in visit.serious:
                        key = f"{violation.rule} ({violation.impact})"
                        minor[key] = minor.get(key, 0) + 1
        if minor:  # reported, not failed: moderate and minor findings
            lines.append(
                "    axe, moderate or minor: " + ", ".join(f"{k} x{n}" for k, n in minor.items())
            )
    if os.environ.get("TCFO_EVERY_PAGE_LIST"):
        Path(os.environ["TCFO_EVERY_PAGE_LIST"]).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_its_pages_and_every_link_works(crawls, role):
    crawl = crawls[role]
    assert len({page.route for page in crawl.pages}) >= AT_LEAST.get(role, 3), [
        page.url for page in crawl.pages
    ]
    broken = [
        f"{visit.url} ({visit.width}): {visit.status} {visit.error}"
        for page in crawl.pages
        for visit in page.visits.values()
        if visit.status != 200
    ]
    assert broken == [], "Links leading to no page:\n" + "\n".join(broken)
    csp = crawl.csp_violations
    assert csp == [], "Content-Security-Policy violations:\n" + "\n".join(csp)


@pytest.mark.parametrize("role", ROLES)
def test_no_page_is_wider_than_a_390px_phone(crawls, role):
    wide = [
        f"{page.url} [{page.route}]: {visit.overflow}"
        for page, visit in crawls[role].visits("phone")
        if visit.overflow
    ]
    assert wide == [], "Pages that scroll sideways at 390 px:\n" + "\n".join(wide)


@pytest.mark.parametrize("width", ["desktop", "phone"])
@pytest.mark.parametrize("role", ROLES)
def test_axe_finds_no_serious_violation_on_any_page(crawls, role, width):
    found = [
        f"{page.url} [{page.route}]: {violation}"
        for page, visit in crawls[role].visits(width)
        for violation in visit.serious
    ]
    assert found == [], f"axe-core violations at {width} width:\n" + "\n".join(found)


# --- Today's pages, item by item (issue 15: what got in the way at 390 px) ----------------------


@pytest.fixture
def open_page(world: SimpleNamespace, browser: object) -> Iterator[object]:
    """``open_page(role, path, width=PHONE, javascript=True)``: a page of a new context of
    ``role``, at ``path``; every context is checked for CSP violations at the end."""
    opened = []

    def open_page(role: str, path: str, *, width: dict = PHONE, javascript: bool = True):
        context = browser.new_context(viewport=width, java_script_enabled=javascript)
        context.add_cookies([world.cookies[role]])
        opened.append((context, watch_csp(context)))
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(world.base_url + path)
        return page

    yield open_page
    violations = [text for context, found in opened for text in found]
    for context, _ in opened:
        context.close()
    assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)


def _box(locator: object) -> dict:
    box = locator.bounding_box()
    assert box, f"{locator} is not shown"
    return box


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _page_width(page: object) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_on_a_phone_a_menu_button_shows_and_hides_the_navigation(open_page):
    page = open_page("customer_admin", "/")
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    # The header is one line: the brand and the button, the page's title right below.
    assert _box(page.locator("header.site-header"))["height"] < 80
    assert _page_width(page) <= PHONE["width"]

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert _page_width(page) <= PHONE["width"]
    screenshot_root().mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot_root() / "menu-open-phone.png"))
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    expect(menu).to_be_focused()

    menu.click()
    nav.get_by_role("link", name="Invoices").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Invoices")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()


def test_without_javascript_the_navigation_shows_and_no_menu_button(open_page):
    page = open_page("customer_admin", "/", javascript=False)
    expect(page.get_by_role("button", name="Menu")).to_have_count(0)  # hidden: not in the tree
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Invoices")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert _page_width(page) <= PHONE["width"]


def test_on_a_desktop_the_navigation_shows_without_a_menu_button(open_page):
    page = open_page("operator_finance", "/", width=DESKTOP)
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Billing")).to_be_visible()


def test_the_usage_month_picker_fits_a_phone(open_page, world):
    usage = f"/services/{world.transit.circuit_id}/usage/?period=2026-10"
    page = open_page("customer_admin", usage)
    picker = page.get_by_role("form", name="Month shown")
    for control in (
        picker.get_by_role("link", name="Previous month"),
        picker.get_by_label("Month", exact=True),
        picker.get_by_role("button", name="Show"),
        picker.get_by_role("link", name="Next month"),
    ):
        box = _box(control)
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], control
    assert _page_width(page) <= PHONE["width"]


@pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_download_pdf_overlaps_no_text_of_the_invoice(open_page, world, width):
    page = open_page("customer_admin", f"/invoices/{world.a_invoice.pk}/", width=width)
    download = _box(page.get_by_role("link", name="Download PDF"))
    for text in (page.get_by_role("heading", level=1), page.locator("p.lead").first):
        assert not _overlap(download, _box(text)), text
    assert _page_width(page) <= width["width"]


@pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize(
    ("path", "form", "field"),
    [
        ("/billing/settlement/?period=2026-10", "Choose the period", "Period"),
        ("/billing/revenue/?year=2026", "Choose the year", "Year"),
    ],
)
def test_the_period_forms_are_styled_and_clear_of_their_lead(open_page, path, form, field, width):
    page = open_page("operator_finance", path, width=width)
    picker = page.get_by_role("form", name=form)
    lead = _box(page.locator("p.lead"))
    assert not _overlap(_box(picker), lead)
    assert _box(picker)["y"] + _box(picker)["height"] <= lead["y"]
    # The portal's own field and button, not the browser's defaults.
    entry = picker.get_by_label(field)
    assert entry.evaluate("el => getComputedStyle(el).borderRadius") == "8px"
    assert _box(entry)["height"] >= 36
    assert _page_width(page) <= width["width"]


@pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_order_facts_are_one_aligned_list(open_page, world, width):
    page = open_page("customer_admin", f"/orders/{world.a_order.pk}/", width=width)
    terms = page.get_by_role("region", name=str(world.a))
    expect(terms.locator("dl")).to_have_count(1)
    lefts = {round(_box(term)["x"]) for term in terms.locator("dt").all()}
    values = {round(_box(value)["x"]) for value in terms.locator("dd").all()}
    assert len(lefts) == 1 and len(values) == 1, (lefts, values)
    assert _page_width(page) <= width["width"]


def test_a_wide_table_scrolls_in_its_box_which_takes_the_keyboard_focus(open_page, world):
    page = open_page("operator_finance", f"/invoices/{world.a_invoice.pk}/")
    box = page.locator(".table-wrap, .table-scroll").first
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")  # the lines are wider than 390
    expect(box).to_have_attribute("tabindex", "0")
    expect(box).to_have_attribute("role", "region")
    box.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=box.element_handle())
    assert _page_width(page) <= PHONE["width"]
    # At desktop width the same table fits: no stop for the keyboard.
    page.set_viewport_size(DESKTOP)
    expect(box).not_to_have_attribute("role", "region")


def test_on_a_phone_the_usage_chart_keeps_a_readable_width_and_scrolls_in_its_box(open_page, world):
    page = open_page(
        "customer_admin", f"/services/{world.transit.circuit_id}/usage/?period=2026-10"
    )
    chart = page.get_by_role("img", name=re.compile("Usage|usage|traffic|Traffic"))
    assert _box(chart)["width"] >= 600  # not squeezed to the phone: its labels stay legible
    assert _page_width(page) <= PHONE["width"]  # the box scrolls, not the page
    box = page.locator(".chart-scroll")
    expect(box).to_have_attribute("tabindex", "0")
    expect(box).to_have_attribute("role", "region")
    expect(box).to_have_attribute("aria-label", re.compile(r"\(chart\)$"))
    box.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.scrollLeft > 0", arg=box.element_handle())
    screenshot_root().mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(screenshot_root() / "usage-chart-phone.png"))
    # On a desktop the chart fits its box: no stop for the keyboard.
    page.set_viewport_size(DESKTOP)
    expect(box).not_to_have_attribute("role", "region")
