"""Every portal page a role can reach, visited in a real Chromium at desktop and phone widths.

The crawler starts at the dashboard and follows the same-origin GET links of every page it
visits (navigation, lists, detail pages...), so a page added to the portal is covered as soon as a
link leads to it. Pages are grouped by their URL pattern (``django.urls.resolve(path).route``):
one invoice stands for all invoices, at most ``per_route`` of each. The Django admin, the API,
static files and downloads (PDF, CSV, calendar files...) are not portal pages and are skipped.

On each page, at each width, it measures what a person would meet:

- horizontal overflow: the page is wider than the window (``scrollWidth > innerWidth``), with the
  element sticking out furthest that is not inside a scrolling box;
- axe-core (``node_modules/axe-core``, pinned in package-lock.json and installed by ``make test``):
  every violation, with its impact, rule and elements;
- a screenshot, into ``$TCFO_SCREENSHOTS`` (``artifacts/screenshots/`` by default), one folder a
  role, kept by CI as an artefact.

axe-core is injected as an init script of the browser context (``add_init_script``, run in every
page before its own scripts): the page's Content-Security-Policy refuses inline scripts, and
``add_script_tag`` inserts one, which the policy blocks. Scripts injected through DevTools are not
subject to the policy, so the check runs on the page exactly as served (no ``bypass_csp``), and a
CSP violation of the page itself is still caught.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from django.urls import Resolver404, resolve

REPO = Path(__file__).resolve().parents[2]
AXE_PATH = REPO / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
# Not portal pages: the admin and the API have pages of their own, the rest are files.
SKIPPED_PREFIXES = ("/admin/", "/api/", "/static/", "/media/")
DOWNLOAD = re.compile(r"\.(pdf|csv|ics|svg|png|json|xml|txt|zip)$|/(pdf|csv|ics|download)/?$")
DOWNLOAD_QUERY = re.compile(r"(^|&)(format|export|download)=", re.IGNORECASE)
SERIOUS = ("serious", "critical")


def screenshot_root() -> Path:
    return Path(os.environ.get("TCFO_SCREENSHOTS") or REPO / "artifacts" / "screenshots")


def axe_available() -> str | None:
    """Why axe-core cannot run here, or None."""
    if not AXE_PATH.is_file():
        return f"axe-core not installed ({AXE_PATH}): run `npm ci` (or `make test`)"
    return None


@dataclass
class Violation:
    rule: str
    impact: str
    help: str
    targets: list[str]

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:3]) + (" ..." if len(self.targets) > 3 else "")
        return f"{self.rule} ({self.impact}): {self.help} [{shown}]"


@dataclass
class Visit:
    """One page at one width."""

    url: str
    width: str
    status: int
    error: str = ""  # why the page could not be loaded (a download, a crash)
    overflow: str | None = None  # what sticks out, when the page is wider than the window
    violations: list[Violation] = field(default_factory=list)

    @property
    def serious(self) -> list[Violation]:
        return [v for v in self.violations if v.impact in SERIOUS]


@dataclass
class Page:
    url: str  # path and query
    route: str
    visits: dict[str, Visit] = field(default_factory=dict)


@dataclass
class Crawl:
    role: str
    pages: list[Page] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # seconds spent on each step
    csp_violations: list[str] = field(default_factory=list)

    def visits(self, width: str) -> list[tuple[Page, Visit]]:
        return [(page, page.visits[width]) for page in self.pages if width in page.visits]


@dataclass(frozen=True)
class Script:
    """A page no link leads to: the answer to a posted form (a confirmation page, a form shown
    again with its errors). ``act(page)`` fills and submits the form of the page at ``start``;
    the page answering it is measured like a crawled one, at each width (the form is submitted
    again for each; nothing is confirmed, so nothing changes)."""

    name: str  # stands for the route in the findings: "POST <name>"
    start: str
    act: Callable[[object], None]
    status: int = 200  # what the answer should be (a form with errors: 400)
    shows: str = ""  # text the answer should hold (the confirmation's title, an error)


def route_of(path: str) -> str | None:
    """The URL pattern of a portal path, or None when the path is not a portal page."""
    if path.startswith(SKIPPED_PREFIXES) or DOWNLOAD.search(path):
        return None
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.route or path


# The widest element sticking out of the window that is not inside a box that scrolls or clips
# it (a wide table inside .table-scroll is fine): what makes the page scroll sideways.
_OVERFLOW = """
() => {
  const width = window.innerWidth;
  const doc = document.documentElement;
  if (doc.scrollWidth <= width) return null;
  // Inside a box that clips or scrolls it: the box's overflow applies to what it contains, and to
  // an absolutely positioned element only when the box (or one inside it) is its containing block.
  const clipped = (el) => {
    for (let box = el; ;) {
      const position = getComputedStyle(box).position;
      if (position === "fixed") return false;
      let up = box.parentElement;
      if (position === "absolute") {
        const isStatic = (node) => getComputedStyle(node).position === "static";
        while (up && up !== doc && isStatic(up)) up = up.parentElement;
      }
      if (!up || up === doc || up === document.body) return false;
      if (getComputedStyle(up).overflowX !== "visible") return true;
      box = up;
    }
  };
  const describe = (el) => {
    let text = el.tagName.toLowerCase();
    if (el.id) text += "#" + el.id;
    if (typeof el.className === "string" && el.className.trim()) {
      text += "." + el.className.trim().split(/\\s+/).join(".");
    }
    const parent = el.parentElement;
    if (parent && parent !== document.body) {
      text = describe(parent).split(" > ").pop() + " > " + text;
    }
    return text;
  };
  let worst = null;
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1 || clipped(el)) continue;
    const deeper = worst && box.right >= worst.right - 1 && worst.el.contains(el);
    if (!worst || box.right > worst.right + 1 || deeper) {
      worst = {el, right: box.right};
    }
  }
  const what = worst ? describe(worst.el) + ` reaches ${Math.round(worst.right)} px` : "?";
  return `page is ${doc.scrollWidth} px wide in a ${width} px window: ${what}`;
}
"""

_LINKS = """
() => Array.from(document.querySelectorAll("a[href]"))
  .filter((a) => !a.hasAttribute("download"))
  .map((a) => a.href)
"""

_AXE_RUN = """
async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    rule: v.id, impact: v.impact || "", help: v.help,
    targets: v.nodes.map((n) => n.target.join(" ")),
  }));
}
"""


class Crawler:
    """Visits every page of one role in one browser context (logged in by its cookies)."""

    def __init__(
        self, context: object, base_url: str, role: str, *, per_route: int = 2, limit: int = 150
    ) -> None:
        self.context = context
        self.base_url = base_url.rstrip("/")
        self.origin = urlsplit(self.base_url).netloc
        self.role = role
        self.per_route = per_route
        self.limit = limit
        self.axe_source = AXE_PATH.read_text() if AXE_PATH.is_file() else None
        if self.axe_source:  # in every page of the context, before its own scripts
            context.add_init_script(script=self.axe_source)
        self.shots = screenshot_root() / role
        shutil.rmtree(self.shots, ignore_errors=True)  # a previous run's pages
        self.shots.mkdir(parents=True)

    def _local(self, href: str) -> str | None:
        """The path and query of a same-origin link, without its fragment."""
        href, _ = urldefrag(href)
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https") or parts.netloc != self.origin:
            return None
        if DOWNLOAD_QUERY.search(parts.query):
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def run(self, starts: tuple[str, ...] = ("/",)) -> Crawl:
        """Visit ``starts`` (the dashboard; pages no link leads to yet) and every page their
        links lead to."""
        began = time.monotonic()
        crawl = Crawl(role=self.role)
        self.timings = crawl.timings
        page = self.context.new_page()
        page.set_default_timeout(20_000)
        queue: deque[str] = deque(starts)
        seen: set[str] = set(starts)
        per_route: dict[str, int] = {}
        while queue and len(crawl.pages) < self.limit:
            url = queue.popleft()
            route = route_of(urlsplit(url).path)
            if route is None or per_route.get(route, 0) >= self.per_route:
                continue
            per_route[route] = per_route.get(route, 0) + 1
            visited = Page(url=url, route=route)
            crawl.pages.append(visited)
            for width in WIDTHS:
                visit = self._visit(page, url, width, len(crawl.pages))
                visited.visits[width] = visit
                if visit.status != 200:
                    break
            if "Download is starting" in visited.visits["desktop"].error:
                crawl.pages.pop()  # a file, not a page
                per_route[route] -= 1
                continue
            if visited.visits["desktop"].status != 200:
                continue
            for href in page.evaluate(_LINKS):
                local = self._local(href)
                if local and local not in seen:
                    seen.add(local)
                    queue.append(local)
        page.close()
        crawl.seconds = time.monotonic() - began
        return crawl

    def run_scripts(self, crawl: Crawl, scripts: list[Script]) -> Crawl:
        """Add to ``crawl`` the answers of ``scripts``' forms, measured at each width."""
        from playwright.sync_api import Error

        began = time.monotonic()
        self.timings = crawl.timings
        page = self.context.new_page()
        page.set_default_timeout(20_000)
        for script in scripts:
            visited = Page(url=f"POST {script.start} ({script.name})", route=f"POST {script.name}")
            crawl.pages.append(visited)
            for width in WIDTHS:
                page.set_viewport_size(WIDTHS[width])
                visit = Visit(url=visited.url, width=width, status=0)
                try:
                    page.goto(self.base_url + script.start, wait_until="load")
                    with page.expect_navigation(wait_until="load") as navigation:
                        script.act(page)
                    response = navigation.value
                    visit.status = response.status if response else 0
                    if visit.status == script.status:
                        visit.status = 200  # as expected: the findings' "works"
                    else:
                        visit.error = f"expected {script.status}"
                    if script.shows and script.shows not in page.inner_text("body"):
                        heading = page.locator("h1").first.inner_text()
                        visit.status = 0
                        visit.error = f"{script.shows!r} is not on the page ({heading})"
                except Error as error:
                    visit.error = str(error).splitlines()[0]
                visited.visits[width] = visit
                if visit.status != 200:
                    break
                self._measure(page, visit, width, f"post-{script.name}", len(crawl.pages))
        page.close()
        crawl.seconds += time.monotonic() - began
        return crawl

    def _visit(self, page: object, url: str, width: str, number: int) -> Visit:
        from playwright.sync_api import Error

        page.set_viewport_size(WIDTHS[width])
        clock = time.monotonic()
        try:
            response = page.goto(self.base_url + url, wait_until="load")
        except Error as error:  # a download ("Download is starting"), a crash
            return Visit(url=url, width=width, status=0, error=str(error).splitlines()[0])
        finally:
            self.timings["load"] = self.timings.get("load", 0.0) + time.monotonic() - clock
        status = response.status if response else 0
        visit = Visit(url=url, width=width, status=status)
        if status != 200 or "text/html" not in (response.headers.get("content-type") or ""):
            return visit
        name = re.sub(r"[^A-Za-z0-9]+", "-", url).strip("-") or "dashboard"
        return self._measure(page, visit, width, name, number)

    def _measure(self, page: object, visit: Visit, width: str, name: str, number: int) -> Visit:
        """Overflow (on a phone), axe-core and a screenshot of the page shown."""
        clock = time.monotonic()

        def lap(step: str) -> None:
            nonlocal clock
            now = time.monotonic()
            self.timings[step] = self.timings.get(step, 0.0) + now - clock
            clock = now

        if width != "desktop":
            visit.overflow = page.evaluate(_OVERFLOW)
            lap("overflow")
        if self.axe_source:
            visit.violations = [Violation(**v) for v in page.evaluate(_AXE_RUN)]
            lap("axe run")
        page.screenshot(path=str(self.shots / f"{number:03d}-{name}-{width}.png"), full_page=True)
        lap("screenshot")
        return visit
