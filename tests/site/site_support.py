"""What the site tests share: the pages, the browser's settings, and one
visit to a page that records what a reader would see.

(The fixtures that build, serve and open the site are in conftest.py.)
"""

from __future__ import annotations

import json
import os
import shutil
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())

#: Where the tests leave screenshots for a person to look at (gitignored).
SCREENSHOTS = ROOT / "_build" / "screenshots"

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}


def _no_browser(reason: str):
    """Skip where Chromium cannot be had; fail on CI, which must run these."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests)")
    pytest.skip(reason)


@contextmanager
def chromium() -> Iterator:
    """Debian's Chromium, headless, driven by Playwright; the test is skipped
    (failed on CI) where either is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _no_browser("Playwright is not installed: run `make setup`")
    if not CHROMIUM.exists():
        _no_browser(
            f"no Chromium at {CHROMIUM}: the set-up installs Debian's chromium "
            "package only where you are root with apt-get "
            "(elsewhere: sudo apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


#: axe-core's impacts, worst first; a page fails on the first two.
IMPACTS = ("critical", "serious", "moderate", "minor")
FAILING_IMPACTS = ("critical", "serious")
#: The rules run on every page: WCAG 2.0, 2.1 and 2.2 at levels A and AA,
#: and axe's best practices (landmarks, heading order, ...).
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": [
            "wcag2a",
            "wcag2aa",
            "wcag21a",
            "wcag21aa",
            "wcag22aa",
            "best-practice",
        ],
    },
    "resultTypes": ["violations"],
}

#: How a request to another host fails (aborted by offline_context).
BLOCKED = "net::ERR_BLOCKED_BY_CLIENT"

#: How long a page may take to typeset its math and load its fonts.
SETTLE_MS = 30_000

# What a reader sees, read from the page once MathJax has typeset it.
FACTS_JS = Path(__file__).with_name("page_facts.js").read_text()


def toc_pages() -> list[str]:
    """Every page the table of contents lists, as Sphinx document names."""
    pages = [TOC["root"]]
    for part in TOC["parts"]:
        pages += [chapter["file"] for chapter in part["chapters"]]
    return pages


def chapter_pages() -> list[str]:
    """The toc's notebook chapters whose notebook exists."""
    return [
        page
        for page in toc_pages()
        if page.startswith("notebooks/") and (ROOT / f"{page}.ipynb").exists()
    ]


def built_pages() -> list[str]:
    """The pages a reader can open: the toc's (those that have a source) and
    Sphinx's own (the front door, search and the index)."""
    sources = [
        page
        for page in toc_pages()
        if any((ROOT / f"{page}{ext}").exists() for ext in (".md", ".ipynb"))
    ]
    return ["index", *sources, "search", "genindex"]


def notebook(page: str) -> dict:
    return json.loads((ROOT / f"{page}.ipynb").read_text())


@dataclass
class Offline:
    """A browser context that reaches the site and nothing else; every
    request to another host is aborted and recorded in ``blocked``."""

    context: object
    base: str
    blocked: list[str] = field(default_factory=list)


def offline_context(browser, base: str) -> Offline:
    """A new browser context that aborts (and records) every request to a
    host other than the site's."""
    context = browser.new_context(viewport=VIEWPORT)
    # Generous: on a busy 2-core machine a long chapter takes seconds to typeset.
    context.set_default_timeout(60_000)
    result = Offline(context=context, base=base)
    origin = urlsplit(base).netloc

    def elsewhere(url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != origin

    def block(route):
        result.blocked.append(route.request.url)
        route.abort("blockedbyclient")  # the tab sees it fail with BLOCKED

    context.route(elsewhere, block)
    return result


@dataclass
class PageReport:
    page: str
    url: str
    console_errors: list[str]
    failed_requests: list[str]
    blocked_requests: list[str]
    facts: dict
    axe: dict | None


def _axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        return None
    return Axe()


def settle(tab) -> None:
    """Wait until the page has loaded, MathJax has typeset, the fonts are in
    and every image has arrived (or failed), then until the network is quiet
    (so that a late request's failure is seen)."""
    tab.wait_for_load_state("load")
    settled = tab.evaluate(
        """async (ms) => {
            const mj = window.MathJax;
            const ready = (async () => {
                if (mj && mj.startup && mj.startup.promise) await mj.startup.promise;
                await document.fonts.ready;
                await Promise.all([...document.images].map((img) =>
                    img.complete ? null : new Promise((done) => {
                        img.addEventListener("load", done);
                        img.addEventListener("error", done);
                    })));
                return true;
            })();
            const late = new Promise((done) => setTimeout(() => done(false), ms));
            return Promise.race([ready, late]);
        }""",
        SETTLE_MS,
    )
    assert settled, f"MathJax, the fonts or the images did not settle in {SETTLE_MS} ms"
    tab.wait_for_load_state("networkidle")


def open_page(offline: Offline, page: str):
    """A new tab on a page, settled (for tests that go on to use it)."""
    tab = offline.context.new_page()
    tab.goto(offline.base + f"{page}.html")
    settle(tab)
    return tab


@dataclass
class _Visit:
    """A tab on its way to a page, and what it has recorded so far."""

    page: str
    tab: object
    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


def _start(offline: Offline, page: str) -> _Visit:
    """Open a tab on a page and return at once: the browser goes on loading
    it while Python looks at the page before it."""
    visit = _Visit(page, offline.context.new_page())

    def on_console(message):
        if message.type == "error":
            where = message.location.get("url", "")
            visit.console.append(f"{message.text} ({where})")

    def on_failed(request):
        if request.failure == BLOCKED:
            visit.blocked.append(request.url)
        else:
            visit.failed.append(f"{request.url} ({request.failure})")

    def on_response(response):
        if response.status >= 400:
            visit.failed.append(f"{response.url} (HTTP {response.status})")

    visit.tab.on("console", on_console)
    visit.tab.on("pageerror", lambda error: visit.console.append(f"uncaught: {error}"))
    visit.tab.on("requestfailed", on_failed)
    visit.tab.on("response", on_response)
    visit.tab.goto(offline.base + f"{page}.html", wait_until="commit")
    return visit


def _finish(visit: _Visit, axe) -> PageReport:
    """Let the page settle, read what it shows, run axe-core; close the tab."""
    tab = visit.tab
    settle(tab)
    facts = tab.evaluate(FACTS_JS)
    # What the reader's browser did, before axe adds requests of its own (it
    # fetches stylesheets again, and resolves their @imports wrongly).
    report = PageReport(
        page=visit.page,
        url=tab.url,
        console_errors=list(visit.console),
        failed_requests=list(visit.failed),
        blocked_requests=list(visit.blocked),
        facts=facts,
        axe=axe.run(tab, options=AXE_OPTIONS).response if axe else None,
    )
    tab.close()
    return report


def visit(offline: Offline, pages: list[str]) -> Iterator[PageReport]:
    """Open each page as a reader would, let it settle, and report what it
    shows (and what axe-core finds), in order. The next page loads in its
    own tab while this one is read and checked: the two keep both cores busy."""
    axe = _axe()
    ahead: deque[_Visit] = deque()
    queue = iter(pages)
    try:
        for page in queue:
            ahead.append(_start(offline, page))
            if len(ahead) > 1:
                yield _finish(ahead.popleft(), axe)
        while ahead:
            yield _finish(ahead.popleft(), axe)
    finally:
        for left in ahead:
            left.tab.close()


def accessibility_summary(reports: dict[str, PageReport]) -> dict:
    """axe's findings over the pages visited: each rule, its impact and the
    number of elements it flagged on each page."""
    rules: dict[str, dict] = {}
    for report in reports.values():
        for violation in (report.axe or {}).get("violations", []):
            rule = rules.setdefault(
                violation["id"],
                {"impact": violation["impact"], "help": violation["help"], "pages": {}},
            )
            rule["pages"][report.page] = len(violation["nodes"])
    ordered = sorted(rules.items(), key=lambda kv: IMPACTS.index(kv[1]["impact"]))
    return {"pages": sorted(reports), "rules": dict(ordered)}
