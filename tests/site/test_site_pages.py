"""Every page of the built site, as Chromium shows it with no other host
reachable: it loads cleanly, its math is typeset, its images load and say
what they show, its code cells and their outputs are there, its headings form
an outline, and axe-core finds no serious accessibility problem."""

from __future__ import annotations

import json

import pytest
from site_support import (
    FAILING_IMPACTS,
    ROOT,
    built_pages,
    chapter_pages,
)

pytestmark = pytest.mark.slow
PAGES = built_pages()


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_with_no_console_error_and_no_failed_request(reports, page):
    report = reports(page)
    assert report.blocked_requests == [], "asked another host for these"
    assert report.failed_requests == []
    assert report.console_errors == []


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset_and_no_tex_is_left(reports, page):
    math = reports(page).facts["math"]
    assert math["typeset"] == math["elements"], "formulas MathJax did not typeset"
    assert math["errors"] == [], "formulas MathJax could not parse"
    assert math["rawTex"] == [], "TeX left as text"


def test_the_formulas_page_has_formulas(reports):
    """The page the issue names: offline, its formulas used to show as TeX."""
    math = reports("book/formulas").facts["math"]
    assert math["elements"] >= 10
    assert math["typeset"] == math["elements"]


@pytest.mark.parametrize("page", PAGES)
def test_every_image_loads_and_has_alt_text(reports, page):
    images = reports(page).facts["images"]
    not_loaded = [
        i["src"] for i in images if not i["complete"] or not i["naturalWidth"]
    ]
    assert not_loaded == []
    no_alt = [i["src"] or i["id"] for i in images if not (i["alt"] or i["decorative"])]
    assert no_alt == []


@pytest.mark.parametrize("page", PAGES)
def test_every_figure_has_a_caption(reports, page):
    """A figure (an image in the page's content; an animation's frames
    excepted, whose player has its own alt text) sits in a captioned
    <figure>. In a chapter, the drawing cell's metadata gives the caption,
    "mystnb": {"figure": {"caption": "..."}} (notebooks/README.md)."""
    facts = reports(page).facts
    assert all(f["caption"] for f in facts["figures"]), "an empty caption"
    uncaptioned = [
        i["alt"]
        for i in facts["images"]
        if i["inArticle"] and not i["id"].startswith("_anim_img") and not i["figure"]
    ]
    where = _cells_drawing(page, uncaptioned) if page.startswith("notebooks/") else ""
    assert uncaptioned == [], f"{len(uncaptioned)} figures without a caption{where}"


def _cells_drawing(page: str, alts: list[str]) -> str:
    """Where to add the missing captions: the cells (numbered from 1 among
    all cells, with their ids) whose alt text is one of ``alts``."""
    cells = json.loads((ROOT / f"{page}.ipynb").read_text())["cells"]
    found = [
        f"cell {n} (id {c.get('id', '?')})"
        for n, c in enumerate(cells, 1)
        if c["metadata"].get("mystnb", {}).get("image", {}).get("alt") in alts
    ]
    return f"; add one to {page}.ipynb's " + ", ".join(found) if found else ""


@pytest.mark.parametrize("page", PAGES)
def test_headings_form_an_outline(reports, page):
    headings = reports(page).facts["headings"]
    levels = [h["level"] for h in headings]
    assert levels[:1] == [1], "a page starts with its one h1"
    assert levels.count(1) == 1
    jumps = [
        f"h{a} -> h{b} ({h['text']})"
        for a, b, h in zip(levels, levels[1:], headings[1:], strict=False)
        if b > a + 1
    ]
    assert jumps == [], "a heading skips a level"


@pytest.mark.parametrize("page", PAGES)
def test_no_serious_accessibility_violation(reports, page):
    axe = reports(page).axe
    if axe is None:
        pytest.skip("axe-playwright-python is not installed: run `make setup`")
    serious = {
        v["id"]: [n["target"] for n in v["nodes"]][:5]
        for v in axe["violations"]
        if v["impact"] in FAILING_IMPACTS
    }
    assert serious == {}


def _code_cells(page: str) -> list[dict]:
    """The chapter's code cells that the page shows (all but remove-cell)."""
    cells = json.loads((ROOT / f"{page}.ipynb").read_text())["cells"]
    return [
        c
        for c in cells
        if c["cell_type"] == "code"
        and "".join(c["source"]).strip()
        and "remove-cell" not in c["metadata"].get("tags", [])
    ]


def _shows_output(cell: dict) -> bool:
    """Whether a cell has an output that the page should show: anything but
    glue records (which the prose shows) and explorers (remove-output)."""
    if "remove-output" in cell["metadata"].get("tags", []):
        return False
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            return True
        shown = [
            k
            for k in output.get("data", {})
            if not k.startswith("application/papermill.record/")
        ]
        if shown:
            return True
    return False


@pytest.mark.parametrize("page", chapter_pages())
def test_code_cells_and_their_outputs_are_on_the_page(reports, page):
    cells = _code_cells(page)
    shown = reports(page).facts["cells"]
    assert len(shown) == len(cells), "code cells on the page vs in the notebook"
    for number, (cell, html) in enumerate(zip(cells, shown, strict=True), 1):
        tags = cell["metadata"].get("tags", [])
        if "remove-input" not in tags:
            source = "".join(cell["source"]).strip()
            assert html["input"] is not None and html["inputVisible"], number
            assert html["input"].strip() == source, f"cell {number}'s code"
        if _shows_output(cell):
            out = html["output"]
            assert out and out["visible"] and (out["text"] or out["images"]), (
                f"cell {number} has no visible output"
            )


@pytest.mark.parametrize("page", PAGES)
def test_no_widget_box_and_no_loading_placeholder(reports, page):
    """The site has no kernel: explorers are removed and replaced by a static
    equivalent, so no page carries widget state, widget views or a
    "Loading widget..." placeholder."""
    widgets = reports(page).facts["widgets"]
    assert widgets == {"scripts": 0, "boxes": 0, "loadingText": False}
