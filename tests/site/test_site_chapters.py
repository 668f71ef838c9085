"""What a reader does on the site: open a chapter elsewhere (Colab, Binder,
JupyterHub) or download it, watch an explorer's static equivalent, search,
and, for a person to look at, screenshots of the home page and a chapter."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit
from urllib.request import urlopen

import pytest
import yaml
from site_support import (
    CONFIG,
    ROOT,
    SCREENSHOTS,
    chapter_pages,
    notebook,
    offline_context,
    open_page,
    settle,
)

pytestmark = pytest.mark.slow
CHAPTERS = chapter_pages()
REPO = CONFIG["repository"]["url"]
ORG, REPO_NAME = urlsplit(REPO).path.strip("/").split("/")
BRANCH = CONFIG["repository"]["branch"]
#: Colab opens the chapter's plain edition, at the same path on this branch.
EDITIONS = CONFIG["sphinx"]["config"]["colab_editions_branch"]
BUTTONS = CONFIG["launch_buttons"]


def _repo_path(page: str) -> str:
    """The chapter's notebook as a path in the repository."""
    book = CONFIG["repository"].get("path_to_book", "").strip("/")
    return f"{book}/{page}.ipynb" if book else f"{page}.ipynb"


def _buttons(reports, page: str, group: str) -> dict[str, str]:
    return {b["text"]: b["href"] for b in reports(page).facts["buttons"][group]}


@pytest.mark.parametrize("page", CHAPTERS)
def test_launch_buttons_open_this_chapter_from_the_repository(reports, page):
    path = _repo_path(page)
    assert (ROOT / path).exists()
    launch = _buttons(reports, page, "launch")
    assert set(launch) == {"Binder", "JupyterHub", "Colab"}

    colab = f"{BUTTONS['colab_url']}/github/{ORG}/{REPO_NAME}/blob/{EDITIONS}/{path}"
    assert launch["Colab"] == colab

    binder = f"{BUTTONS['binderhub_url']}/v2/gh/{ORG}/{REPO_NAME}/{BRANCH}"
    assert launch["Binder"] == f"{binder}?urlpath=lab/tree/{path}"

    # nbgitpuller on the instructor's hub: clone the repository, open the file.
    hub = urlsplit(launch["JupyterHub"])
    assert f"{hub.scheme}://{hub.netloc}" == BUTTONS["jupyterhub_url"]
    assert hub.path == "/hub/user-redirect/git-pull"
    query = {k: v[0] for k, v in parse_qs(hub.query, strict_parsing=True).items()}
    assert query == {
        "repo": REPO,
        "branch": BRANCH,
        "urlpath": f"lab/tree/{REPO_NAME}/{path}",
    }


def test_binder_builds_from_the_repositorys_environment_yml():
    """Binder (repo2docker) builds the environment.yml at the root, unless a
    binder/ folder overrides it; that file installs the course itself (a
    local requirement, so repo2docker copies the repository first) and what
    the live explorers need in JupyterLab."""
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    (pip,) = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert "-e ." in pip
    names = {re.split(r"[<>=!; ]", d, maxsplit=1)[0] for d in conda + pip}
    assert {"python", "ipywidgets", "jupyterlab", "matplotlib"} <= names
    assert BUTTONS["notebook_interface"] == "jupyterlab"


@pytest.mark.parametrize("page", CHAPTERS)
def test_download_gives_the_chapter_notebook(reports, page):
    download = _buttons(reports, page, "download")
    with urlopen(download[".ipynb"], timeout=30) as response:
        assert json.load(response) == notebook(page)


@pytest.mark.parametrize("page", CHAPTERS)
def test_repository_and_issue_buttons(reports, page):
    source = {b["kind"]: b["href"] for b in reports(page).facts["buttons"]["source"]}
    assert source["btn-source-repository-button"] == REPO
    assert source["btn-source-issues-button"].startswith(f"{REPO}/issues/new?")


@pytest.fixture(scope="module")
def tabs(offline):
    """Tabs a test interacts with, one per page, closed at the end."""
    opened = {}

    def get(page: str):
        if page not in opened:
            opened[page] = open_page(offline, page)
        return opened[page]

    yield get
    for tab in opened.values():
        tab.close()


def test_the_launch_and_download_menus_open(tabs):
    """A reader clicks the rocket, then the download button, and sees them."""
    tab = tabs(CHAPTERS[0])
    tab.click("button[aria-label='Launch interactive content']")
    menu = tab.locator(".dropdown-launch-buttons .dropdown-menu")
    menu.wait_for(state="visible")
    assert menu.inner_text().split() == ["Binder", "JupyterHub", "Colab"]
    tab.click("button[aria-label='Download this page']")
    menu = tab.locator(".dropdown-download-buttons .dropdown-menu")
    menu.wait_for(state="visible")
    assert menu.inner_text().split() == [".ipynb", ".pdf"]


def _explorers(page: str) -> list[int]:
    """Indexes (among the page's code cells) of the cells right after an
    explorer: the static equivalents that notebooks/README.md asks for."""
    code = [
        c
        for c in notebook(page)["cells"]
        if c["cell_type"] == "code" and "".join(c["source"]).strip()
    ]
    return [
        i + 1
        for i, cell in enumerate(code)
        if "remove-output" in cell["metadata"].get("tags", [])
        and "widgets." in "".join(cell["source"])
    ]


EXPLORER_CHAPTERS = [page for page in CHAPTERS if _explorers(page)]
ANIMATED = [
    page
    for page in EXPLORER_CHAPTERS
    if any("conv_animation" in "".join(c["source"]) for c in notebook(page)["cells"])
]


def test_some_chapters_have_explorers():
    assert EXPLORER_CHAPTERS, "no chapter has an explorer: is the tag convention kept?"
    assert ANIMATED, "no explorer has an animation as its static equivalent"


@pytest.mark.parametrize("page", EXPLORER_CHAPTERS)
def test_an_explorer_has_a_visible_static_equivalent(tabs, page):
    tab = tabs(page)
    cells = tab.locator("article div.cell")
    for index in _explorers(page):
        output = cells.nth(index).locator(".cell_output")
        output.scroll_into_view_if_needed()
        assert output.is_visible()
        assert output.bounding_box()["height"] > 100, f"cell {index}: too small"
        images = output.locator("img")
        assert images.count() >= 1
        for i in range(images.count()):
            assert images.nth(i).evaluate("i => i.complete && i.naturalWidth > 0")


@pytest.mark.parametrize("page", ANIMATED)
def test_an_animation_plays(tabs, page):
    tab = tabs(page)
    player = tab.locator("div.animation").first
    player.scroll_into_view_if_needed()
    slider = player.locator("input.anim-slider")
    frame = player.locator("img[id^=_anim_img]")
    first = frame.get_attribute("src")
    assert slider.input_value() == "0"
    # Each button shows the theme's icon (site.js), not a symbol from a font.
    icons = player.locator(".anim-buttons button > svg.svg-inline--fa")
    assert player.locator(".anim-buttons button").count() == icons.count() == 9
    player.get_by_role("button", name="Play", exact=True).click()
    tab.wait_for_function("el => el.value !== '0'", arg=slider.element_handle())
    player.get_by_role("button", name="Pause", exact=True).click()
    assert frame.get_attribute("src") != first, "the frame did not change"


def test_searching_padding_finds_the_chapter_on_stride_and_padding(tabs, offline):
    """From the home page, as a reader would: the search button, a word,
    Enter, and the results list the chapter."""
    (chapter,) = [p for p in CHAPTERS if "padding" in p]
    title = notebook(chapter)["cells"][0]["source"][0].lstrip("# ").strip()
    tab = tabs("book/welcome")
    tab.locator("button.search-button__button:visible").first.click()
    box = tab.locator("#pst-search-dialog input[name='q']")
    box.wait_for(state="visible")
    box.fill("padding")
    box.press("Enter")
    tab.wait_for_url("**/search.html?q=padding*")
    settle(tab)
    results = tab.locator("#search-results ul.search li a")
    results.first.wait_for()
    found = {
        (a["href"].split("#")[0].split("?")[0], a["text"].strip())
        for a in results.evaluate_all(
            "els => els.map(a => ({href: a.href, text: a.textContent}))"
        )
    }
    assert (offline.base + f"{chapter}.html", title) in found


def test_screenshots_for_a_person_to_look_at(offline):
    """Saved under _build/screenshots/ (gitignored): the home page, the top of
    a chapter and the static equivalent of its explorer."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    home = open_page(offline, "book/welcome")
    home.screenshot(path=SCREENSHOTS / "home.png")
    home.close()
    chapter = (ANIMATED or CHAPTERS)[0]
    tab = open_page(offline, chapter)
    tab.screenshot(path=SCREENSHOTS / "chapter.png")
    saved = ["home.png", "chapter.png"]
    if chapter in EXPLORER_CHAPTERS:
        output = tab.locator("article div.cell").nth(_explorers(chapter)[0])
        output.scroll_into_view_if_needed()
        output.screenshot(path=SCREENSHOTS / "chapter-explorer.png")
        saved.append("chapter-explorer.png")
    tab.close()
    for name in saved:
        assert (SCREENSHOTS / name).stat().st_size > 10_000, name


def test_mathjax_menu_options_load_only_from_the_site(browser, server):
    """A reader switches MathJax to its SVG renderer (right-click on a
    formula), and a reader who turned on its accessibility explorer with
    German speech opens a page: each loads more of MathJax, all of it from
    the site. (The explorer is set as the menu remembers it: turning it on
    at run time blanks the formulas until a reload, MathJax issue 3124.)"""
    offline = offline_context(browser, server)  # its own: settings persist
    tab = offline.context.new_page()
    problems, loaded = [], []
    tab.on("requestfailed", lambda r: problems.append(f"{r.url} ({r.failure})"))
    tab.on(
        "response",
        lambda r: problems.append(f"{r.url} ({r.status})") if r.status >= 400 else None,
    )
    tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    tab.on("requestfinished", lambda r: loaded.append(r.url))
    every_formula = """(selector) => [...document.querySelectorAll("article .math")]
        .every((math) => math.querySelector(selector))"""

    tab.goto(server + "book/formulas.html")
    settle(tab)
    tab.evaluate(
        "() => MathJax.startup.document.menu.menu.pool.lookup('renderer')"
        ".setValue('SVG')"
    )
    tab.wait_for_function(every_formula, arg="mjx-container[jax=SVG] svg")

    tab.evaluate(
        """() => localStorage.setItem("MathJax-Menu-Settings",
            JSON.stringify({explorer: true, locale: "de"}))"""
    )
    tab.reload()
    settle(tab)
    tab.wait_for_function(every_formula, arg="mjx-container[aria-label]")
    offline.context.close()

    assert offline.blocked == []
    assert problems == []
    fetched = {url.split("/_static/mathjax/")[-1] for url in loaded}
    assert {"output/svg.js", "a11y/explorer.js", "sre/mathmaps/de.json"} <= fetched
