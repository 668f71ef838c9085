"""The built site, served on 127.0.0.1, and Chromium to look at it.

The book is built once per test run into a temporary folder (a clean build
takes 15 to 60 seconds), served by a small threaded HTTP server and opened in
Debian's Chromium, driven by Playwright, with every request to another host
blocked: a page must render from the site alone. Each page is visited once
and what a reader would see is kept for the tests (site_support.visit).

Where Chromium cannot be installed (not root, no apt-get) the browser tests
are skipped and say so; on CI they fail instead, since CI must run them.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from site_support import (
    ROOT,
    SCREENSHOTS,
    Offline,
    accessibility_summary,
    built_pages,
    chromium,
    offline_context,
    visit,
)


@dataclass
class Site:
    html: Path
    log: str
    returncode: int


@pytest.fixture(scope="package")
def site(tmp_path_factory) -> Site:
    """The book, built as `make book` builds it, into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(ROOT), "--path-output", str(out)]
    command += ["-W", "-n", "--keep-going"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False
    )
    html = out / "_build" / "html"
    log = done.stdout + done.stderr
    if not (html / "index.html").exists():
        pytest.fail(f"the build wrote no site; its log ends:\n{log[-4000:]}")
    return Site(html, log, done.returncode)


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".ipynb": "application/x-ipynb+json",
    }

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="package")
def server(site) -> str:
    """The built site on 127.0.0.1 at a free port; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(site.html))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="package")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="package")
def offline(browser, server) -> Offline:
    """A browser context in which every request to another host is aborted
    and recorded, as on an intranet or with no connection at all."""
    result = offline_context(browser, server)
    yield result
    result.context.close()


def _pages_wanted(items) -> list[str]:
    """The pages this run's tests ask `reports` about, in the order they ask:
    a test's `page` parameter, or every page for a test that has none."""
    wanted: dict[str, None] = {}
    for item in items:
        if "reports" not in getattr(item, "fixturenames", ()):
            continue
        params = getattr(item, "callspec", None)
        page = params.params.get("page") if params else None
        wanted.update(dict.fromkeys([page] if page else built_pages()))
    return list(wanted)


@pytest.fixture(scope="package")
def reports(offline, request):
    """page -> what it showed (site_support.PageReport). Every page the run's
    tests ask about is visited once, in their order, the next one loading
    while this one is checked; axe's findings over them all are left in
    _build/screenshots/accessibility.json."""
    cache = {}
    visits = visit(offline, _pages_wanted(request.session.items))

    def get(page: str):
        while page not in cache:
            report = next(visits, None)
            if report is None:
                break
            cache[report.page] = report
        if page not in cache:  # not one the run's tests were expected to want
            (cache[page],) = visit(offline, [page])
        return cache[page]

    yield get
    visits.close()
    if cache:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        summary = json.dumps(accessibility_summary(cache), indent=2)
        (SCREENSHOTS / "accessibility.json").write_text(summary + "\n")
