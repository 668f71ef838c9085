"""The built site as files: a clean build, internal links that land, figures
numbered by chapter, nothing loaded from another host, and the vendored
MathJax as pinned."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from site_support import (
    CONFIG,
    ROOT,
    built_pages,
    chapter_pages,
    notebook,
    toc_pages,
)

pytestmark = pytest.mark.slow
ANSI = re.compile(r"\x1b\[[0-9;]*m")
FIGURE_NUMBER = re.compile(r'<span class="caption-number">([^<]*)</span>')
VENDORED = ROOT / "book" / "_static"


def test_the_build_has_no_warning(site):
    log = ANSI.sub("", site.log)
    problems = [
        line for line in log.splitlines() if "WARNING" in line or "ERROR" in line
    ]
    assert problems == []
    assert site.returncode == 0


def test_every_page_of_the_toc_is_built(site):
    missing = [
        page for page in toc_pages() if not (site.html / f"{page}.html").exists()
    ]
    assert missing == []
    pages = {
        p.relative_to(site.html).with_suffix("").as_posix()
        for p in site.html.rglob("*.html")
        if p.relative_to(site.html).parts[0] not in ("_static", "_sources")
    }
    assert pages == set(built_pages()), "pages the browser tests do not visit"


class _Page(HTMLParser):
    """The ids a page defines, and the URLs it links to or loads."""

    RESOURCE = {"script": "src", "img": "src", "source": "src", "iframe": "src"}

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (href, the <a>'s class)
        self.resources: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("id", "name"):
            if a.get(key):
                self.ids.add(a[key])
        if tag == "a" and a.get("href"):
            self.links.append((a["href"], a.get("class") or ""))
        elif tag == "link" and a.get("href"):
            self.resources.append(a["href"])
        elif tag in self.RESOURCE and a.get(self.RESOURCE[tag]):
            self.resources.append(a[self.RESOURCE[tag]])


@pytest.fixture(scope="module")
def parsed(site) -> dict[Path, _Page]:
    pages = {}
    for path in sorted(site.html.rglob("*.html")):
        if path.relative_to(site.html).parts[0] in ("_static", "_sources"):
            continue
        parser = _Page()
        parser.feed(path.read_text(encoding="utf-8"))
        pages[path] = parser
    return pages


def _is_local(url: str) -> bool:
    return not urlsplit(url).scheme and not url.startswith("//")


def test_no_broken_internal_link(site, parsed):
    broken = []
    for path, page in parsed.items():
        base = path.relative_to(site.html).as_posix()
        for url in [href for href, _ in page.links] + page.resources:
            if not _is_local(url):
                continue
            target = urlsplit(urljoin(base, url))
            file = site.html / unquote(target.path) if target.path else path
            if file.is_dir():
                file = file / "index.html"
            if not file.exists():
                broken.append(f"{base}: {url}")
            elif target.fragment and file.suffix == ".html":
                ids = parsed[file].ids if file in parsed else set()
                if unquote(target.fragment) not in ids:
                    broken.append(f"{base}: {url} (no such anchor)")
    assert broken == []


def test_pages_load_nothing_from_another_host(parsed):
    """Scripts, stylesheets, images and fonts all come from the site."""
    elsewhere = {
        f"{path.name}: {url}"
        for path, page in parsed.items()
        for url in page.resources
        if not _is_local(url) and not url.startswith("data:")
    }
    assert elsewhere == set()
    for path in parsed:
        text = path.read_text(encoding="utf-8")
        for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs.cloudflare.com"):
            assert cdn not in text, f"{path.name} names {cdn}"


def _allowed_link_prefixes() -> tuple[str, ...]:
    buttons = CONFIG["launch_buttons"]
    return (
        CONFIG["repository"]["url"],  # repository, issue and edit buttons
        buttons["colab_url"],
        buttons["binderhub_url"],
        buttons["jupyterhub_url"],
    )


def test_links_to_other_hosts_are_the_buttons_or_prose_references(parsed):
    """Beside the launch, repository and issue buttons, a page links to
    another host only where its prose cites a reference (Sphinx marks those
    `reference external`); the hosts are listed for the closing note."""
    allowed = _allowed_link_prefixes()
    hosts: dict[str, int] = defaultdict(int)
    stray = []
    for path, page in parsed.items():
        for href, cls in page.links:
            if _is_local(href) or href.startswith("mailto:"):
                continue
            hosts[urlsplit(href).netloc] += 1
            if not (href.startswith(allowed) or "reference external" in cls):
                stray.append(f"{path.name}: {href}")
    assert stray == []
    assert set(hosts) >= {"colab.research.google.com", "mybinder.org"}


def _chapter_number(page: str) -> int:
    """The number a chapter's title gives it ("# 10. Training ..." -> 10)."""
    cells = notebook(page)["cells"]
    text = "\n".join(
        "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
    )
    return int(re.search(r"^# (\d+)\. ", text, re.M).group(1))


@pytest.mark.parametrize("page", chapter_pages())
def test_a_chapters_figures_are_numbered_by_its_chapter(site, page):
    """Chapter 10's figures read Fig. 10.1, Fig. 10.2, ... in page order, as
    in d2l: one number for each figure its cells caption (_config.yml, and
    book/_ext/chapter_figures.py, say how)."""
    chapter = _chapter_number(page)
    captioned = sum(
        bool(c["metadata"].get("mystnb", {}).get("figure", {}).get("caption"))
        for c in notebook(page)["cells"]
    )
    html = (site.html / f"{page}.html").read_text(encoding="utf-8")
    numbers = [n.strip() for n in FIGURE_NUMBER.findall(html)]
    assert captioned > 0
    assert numbers == [f"Fig. {chapter}.{n}" for n in range(1, len(numbers) + 1)]
    assert len(numbers) == captioned, (
        f"{len(numbers)} numbered figures for {captioned} captioned cells: a "
        "captioned cell shows more than its picture (each output of the cell "
        "becomes a figure, e.g. the Text a last line `fig.suptitle(...)` returns)"
    )


# --------------------------------------------------------------------------
# The vendored assets
# --------------------------------------------------------------------------


def _manifest() -> dict[str, str]:
    lines = (VENDORED / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def test_vendored_files_are_the_pinned_release():
    """book/_static/ holds the registry's files unchanged (README.md there
    says which package and version, and how to refresh them)."""
    manifest = _manifest()
    on_disk = {
        p.relative_to(VENDORED).as_posix()
        for p in VENDORED.rglob("*")
        if p.is_file() and p.parent != VENDORED
    }
    assert on_disk == set(manifest), "files not in SHA256SUMS, or missing"
    for name, digest in manifest.items():
        assert hashlib.sha256((VENDORED / name).read_bytes()).hexdigest() == digest, (
            name
        )


def test_vendored_mathjax_is_the_version_the_readme_names():
    readme = (VENDORED / "README.md").read_text()
    (version,) = set(re.findall(r"`mathjax@(\d+\.\d+\.\d+)`", readme))
    script = (VENDORED / "mathjax" / "tex-chtml.js").read_text()
    assert f'VERSION="{version}"' in script
    assert (
        (VENDORED / "mathjax" / "LICENSE")
        .read_text()
        .lstrip()
        .startswith("Apache License")
    )
    assert CONFIG["sphinx"]["config"]["mathjax_path"] == "mathjax/tex-chtml.js"
