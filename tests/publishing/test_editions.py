"""The chapters' plain editions (publishing/editions.py).

Each conversion is tested on small inputs, against the tool the website uses
where there is one (myst-nb's glue formatting, Sphinx's ids,
sphinxcontrib-bibtex's citations). Every chapter's edition keeps the
chapter's code cells and outputs and holds no MyST; rendered as plain
CommonMark (as GitHub and Colab render Markdown) and opened in Chromium, it
shows every glued number and folds every solution; and the editions run
under nbval as the chapters do (two of the quickest here, all of them in
`make bench`).
"""

from __future__ import annotations

import base64
import html
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pybtex.database
import pytest
from markdown_it import MarkdownIt
from myst_nb.core.variables import format_plain_text

from publishing import ROOT, book_config, site_url
from publishing import editions as E

if str(ROOT / "tests" / "site") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests" / "site"))
from site_support import (  # noqa: E402 (tests/site is not a package)
    SCREENSHOTS,
    chromium,
    offline_context,
)

CHAPTERS = E.chapters()
#: The quickest chapters to execute (about 8 and 18 s alone on two cores).
QUICK = ["01-images-as-arrays", "06-pooling"]
#: What MyST writes and plain Markdown renderers show as it is.
MYST = ["{glue", "{term}", "{cite", "{doc}", "```{", ":::{", ":class:"]
GLUE_ROLE = re.compile(r"\{glue:text\}`([^`:]+)(?::([^`]*))?`")
DROPDOWN = re.compile(r"^:::\{admonition\}.*\n:class: dropdown$", re.M)


def _id(path: Path) -> str:
    return path.stem


@pytest.fixture(scope="module")
def editions() -> dict[Path, nbformat.NotebookNode]:
    """Every chapter's edition, made once for the tests that read them."""
    return {path: E.edition(path) for path in CHAPTERS}


def _prose(notebook) -> str:
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")


# ------------------------------------------------------------------ glued values


def _uses() -> list[tuple[str, str]]:
    """Every (stored text/plain, format) that a chapter's prose shows."""
    uses = []
    for path in CHAPTERS:
        notebook = nbformat.read(path, as_version=4)
        values = E.glued_values(notebook)
        for key, fmt in GLUE_ROLE.findall(_prose(notebook)):
            uses.append((values[key], fmt))
    return uses


def test_glued_values_are_formatted_as_myst_nb_formats_them():
    """Every value every chapter shows, and a few edge cases, formatted as
    myst-nb's own {glue:text} role formats them (absent format: "s")."""
    uses = _uses()
    assert len(uses) > 400
    edge_cases = [("'T-shirt/top'", "s"), ("(8, 8, 64)", "s"), ("3", ".2f")]
    edge_cases += [("0.5", ".0%"), ("12288", ","), ("-4.1e-07", ".1e"), ("7", "+.1f")]
    for plain, fmt in uses + edge_cases:
        assert E.format_glue(plain, fmt or "s") == format_plain_text(plain, fmt or "s")


def test_glued_values_are_read_from_the_stored_outputs():
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("glue(...)")
    record = {"name": "n_out", "mime_prefix": "application/papermill.record/"}
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": "12288"},
            metadata={"scrapbook": record},
        ),
        nbformat.v4.new_output("stream", text="12288\n"),
    ]
    notebook.cells = [cell]
    assert E.glued_values(notebook) == {"n_out": "12288"}


def test_glue_text_writes_the_value_and_names_a_missing_key():
    values = {"share": "0.764", "rows": "2", "one": "1"}
    text = "{glue:text}`share:.1%` of {glue:text}`rows` rows"
    assert E.glue_text(text, values, "02-x.ipynb") == "76.4% of 2 rows"
    with pytest.raises(ValueError, match=r"02-x\.ipynb.*'cols'"):
        E.glue_text("{glue:text}`cols`", values, "02-x.ipynb")
    # A value that would start a numbered list is escaped.
    assert E.glue_text("so\n{glue:text}`one`. Then", values, "x") == "so\n1\\. Then"
    md = MarkdownIt("commonmark")
    assert "<ol" not in md.render(E.glue_text("a\n{glue:text}`one`. b", values, "x"))


# ----------------------------------------------------------------- admonitions


def _render(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_an_admonition_becomes_a_bold_title_in_a_block_quote():
    source = "\n".join(
        [
            "Before.",
            "",
            ":::{admonition} A common mistake",
            ":class: warning",
            "The sum is",
            "",
            "$$",
            "y = \\sum_m x_m",
            "$$",
            "",
            "| a | b |",
            "| --- | --- |",
            "| 1 | 2 |",
            ":::",
            "After.",
        ]
    )
    text = E.admonitions(source, "x")
    lines = text.split("\n")
    start = lines.index("> **A common mistake**")
    quoted = lines[start : lines.index("", start + 2)]
    assert all(line.startswith(">") for line in quoted)
    assert "> $$ y = \\sum_m x_m $$" in lines  # one line: Jupyter extracts math first
    page = _render(text)
    quote = page[page.index("<blockquote>") : page.index("</blockquote>")]
    assert "<strong>A common mistake</strong>" in quote
    assert "<table>" in quote and "$$ y = \\sum_m x_m $$" in quote
    assert page.endswith("</blockquote>\n<p>After.</p>\n")  # the quote ended


def test_a_solution_folds_into_closed_details_whose_body_is_markdown():
    source = ":::{admonition} Solution\n:class: dropdown\nIt is **four**.\n:::"
    text = E.admonitions(source, "x")
    assert text.split("\n") == [
        "<details>",
        "<summary>Solution</summary>",
        "",
        "It is **four**.",
        "",
        "</details>",
    ]
    page = _render(text)
    assert "<p>It is <strong>four</strong>.</p>" in page and " open" not in page


@pytest.mark.parametrize(
    ("source", "named"),
    [
        (":::{admonition} T\n:class: danger\nx\n:::", "danger"),
        (":::{admonition} T\n:name: here\nx\n:::", ":name:"),
        (":::{admonition} T\nnever closed", "never closed"),
        (":::{admonition}\nx\n:::", "without a title"),
    ],
)
def test_an_admonition_the_converter_does_not_know_is_an_error(source, named):
    with pytest.raises(ValueError, match=re.escape(named)):
        E.admonitions(source, "05-x.ipynb")


@pytest.mark.parametrize(
    "source",
    ["see {math}`x^2`", ":::{note}\nx\n:::", "```{figure} a.png\n```", "(a-label)="],
)
def test_myst_left_over_is_an_error_naming_it(source):
    with pytest.raises(ValueError, match=re.escape(source.split("\n")[0])):
        E.check_plain(E.admonitions(source, "x"), "07-x.ipynb")


# ----------------------------------------------------------- links to the site


def test_terms_link_to_the_glossary_as_sphinx_writes_its_anchors():
    from sphinx.util.nodes import _make_id  # the ids Sphinx gives glossary terms

    text = (ROOT / "book" / "glossary.md").read_text().split("```{glossary}")[1]
    terms = [line for line in text.split("```")[0].split("\n") if line[:1].isalpha()]
    assert len(terms) > 40
    assert E.glossary() == {t.lower(): _make_id(f"term-{t}") for t in terms}
    url = f"{site_url()}book/glossary.html"
    assert E.terms("a {term}`Kernel`", "x") == f"a [Kernel]({url}#term-Kernel)"
    text = E.terms("{term}`feature maps <Feature map>`", "x")
    assert text == f"[feature maps]({url}#term-Feature-map)"
    with pytest.raises(ValueError, match="Kerne1"):
        E.terms("{term}`Kerne1`", "x")


def _site_citation(kind: str, entry) -> str:
    """A citation as the website's own formatter writes it (its text)."""
    import pybtex_docutils
    from sphinxcontrib.bibtex.style.referencing import format_references
    from sphinxcontrib.bibtex.style.referencing.author_year import (
        AuthorYearReferenceStyle,
    )
    from sphinxcontrib.bibtex.style.template import SphinxReferenceInfo

    class Builder:  # what Sphinx's make_refnode asks of an HTML builder
        name = "html"

        def get_relative_uri(self, fromdocname, todocname):
            return "references.html"

    info = SphinxReferenceInfo(Builder(), "x", "references", "id1", None, "", "")
    text = format_references(AuthorYearReferenceStyle(), kind, [(entry, None, info)])
    nodes = text.render(pybtex_docutils.Backend())
    return "".join(node.astext() for node in nodes).replace("\xa0", " ")


def _plain(markdown: str) -> str:
    """The text a reader sees of a line of Markdown."""
    return html.unescape(re.sub(r"<[^>]+>", "", MarkdownIt().renderInline(markdown)))


def test_citations_read_as_the_website_writes_them():
    bib = """
    @book{one, author = {Doe, Jane}, title = {A}, year = 2001}
    @book{two, author = {Doe, Jane and Roe, Rick}, title = {B}, year = 2002}
    @book{three, author = {van Doe, Jane and Roe, R. and Poe, E.}, title = {C},
          year = 2003}
    """
    entries = pybtex.database.parse_string(bib, "bibtex").entries
    cited = re.findall(r"\{cite:([pt])\}`(\w+)`", "".join(map(_prose, _notebooks())))
    cases = [(kind, entries[key]) for key in entries for kind in "pt"]
    cases += [(kind, E.bibliography()[key]) for kind, key in cited]
    for kind, entry in cases:
        assert _plain(E.citation(kind, entry)) == _site_citation(kind, entry)
    assert _plain(E.citation("p", entries["three"])) == "[van Doe et al., 2003]"
    link = f"]({site_url()}book/references.html)"
    assert E.citations("{cite:t}`lecun1998gradient`", "x").endswith(link + "\\]")
    with pytest.raises(ValueError, match="nobody2020"):
        E.citations("{cite:p}`nobody2020`", "x")


def _notebooks():
    return [nbformat.read(path, as_version=4) for path in CHAPTERS]


def _first_heading(path: Path) -> str:
    text = path.read_text()
    if path.suffix == ".ipynb":
        text = json.loads(text)["cells"][0]["source"][0]
    return re.search(r"^# (.+)$", text, re.M)[1].strip()


def test_doc_links_point_to_the_page_titled_as_the_page_is():
    chapter = ROOT / "notebooks" / "02-convolution-by-hand.ipynb"
    target = ROOT / "notebooks" / "04-stride-padding-output-size.ipynb"
    title = _first_heading(target)
    text = E.doc_links("see {doc}`04-stride-padding-output-size`", chapter)
    url = f"{site_url()}notebooks/04-stride-padding-output-size.html"
    assert text == f"see [{title}]({url})"
    assert _first_heading(ROOT / "book" / "formulas.md") in E.doc_links(
        "{doc}`../book/formulas`", chapter
    )
    text = E.doc_links("{doc}`the assignments <../book/assignments>`", chapter)
    assert text == f"[the assignments]({site_url()}book/assignments.html)"
    with pytest.raises(ValueError, match="no-such-page"):
        E.doc_links("{doc}`no-such-page`", chapter)


# ---------------------------------------------------------------------- figures


def test_figures_are_numbered_by_the_chapter_as_the_site_numbers_them():
    fmt = book_config()["sphinx"]["config"]["numfig_format"]["figure"]
    assert E.figure_label("10. Overfitting and its cures", 3) == fmt % "10.3"
    with pytest.raises(ValueError, match="Glossary"):
        E.figure_label("Glossary", 1)


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_each_figure_is_followed_by_its_numbered_caption(editions, path):
    chapter = nbformat.read(path, as_version=4)
    number = int(path.name.split("-")[0])
    fmt = book_config()["sphinx"]["config"]["numfig_format"]["figure"]
    cells = editions[path].cells
    figures = [
        i for i, c in enumerate(cells) if "figure" in c.metadata.get("mystnb", {})
    ]
    assert len(figures) == sum("mystnb" in c.metadata for c in chapter.cells) > 0
    for n, i in enumerate(figures, 1):
        caption = cells[i].metadata["mystnb"]["figure"]["caption"]
        assert cells[i + 1].cell_type == "markdown"
        assert cells[i + 1].source == f"**{fmt % f'{number}.{n}'}** {caption}"


# -------------------------------------------------------------- every chapter


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_an_edition_keeps_the_code_and_holds_no_myst(editions, path):
    chapter = nbformat.read(path, as_version=4)
    result = editions[path]
    nbformat.validate(result)
    code = [c for c in result.cells if c.cell_type == "code"]
    assert len(code) == sum(c.cell_type == "code" for c in chapter.cells)
    before = [c for c in chapter.cells if c.cell_type == "code"]
    for old, new in zip(before, code, strict=True):
        assert (new.id, new.source, new.outputs) == (old.id, old.source, old.outputs)
        metadata = dict(new.metadata)
        hidden = metadata.pop("jupyter", {}).get("source_hidden", False)
        assert hidden == ("remove-input" in old.metadata.get("tags", []))
        assert metadata == old.metadata
    ids = [c.id for c in result.cells]
    assert len(ids) == len(set(ids))
    for cell in result.cells:
        if cell.cell_type == "markdown":
            found = [m for m in MYST if m in cell.source]
            assert not found, f"{found} in {cell.source[:200]}"
    first = result.cells[0].source.split("\n")
    assert first[0] == chapter.cells[0].source.split("\n")[0]  # the title
    assert f"]({site_url()}notebooks/{path.stem}.html)" in first[2]


def test_write_editions_writes_every_chapter_the_same_way_each_time(tmp_path, editions):
    written = E.write_editions(tmp_path)
    assert written == [tmp_path / p.relative_to(ROOT) for p in CHAPTERS]
    assert [p.stem for p in written] == [p.stem for p in CHAPTERS]
    for path, out in zip(CHAPTERS, written, strict=True):
        text = out.read_text()
        assert text == nbformat.writes(editions[path]) + "\n"  # made twice, same
        assert text == json.dumps(json.loads(text), indent=1, ensure_ascii=False) + "\n"


def test_the_command_reports_each_edition_and_fails_plainly(
    tmp_path, capsys, monkeypatch
):
    assert E.main([str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert len(lines) == len(CHAPTERS) + 1
    solutions = sum(len(DROPDOWN.findall(_prose(nb))) for nb in _notebooks())
    assert f"{len(CHAPTERS)} editions in {tmp_path}" in lines[-1]
    assert f"solutions {solutions}," in lines[-1]

    monkeypatch.setattr(E, "glued_values", lambda notebook: {})
    assert E.main([str(tmp_path)]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"editions: {CHAPTERS[0].name}: no glued value named")


# ------------------------------------------------------ in a plain renderer


def _html_page(notebook) -> str:
    """A notebook as a plain CommonMark renderer shows it (markdown-it-py's
    commonmark preset, tables and raw HTML on, as GitHub and Colab render
    Markdown): code as <pre>, images as <img>, text outputs as <pre>."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    parts = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            parts.append(f'<div class="cell">{md.render(cell.source)}</div>')
            continue
        parts.append(f'<div class="cell"><pre>{html.escape(cell.source)}</pre>')
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                png = "".join(data["image/png"]).replace("\n", "")
                base64.b64decode(png, validate=True)
                parts.append(f'<img alt="" src="data:image/png;base64,{png}">')
            elif "text/plain" in data or "text" in output:
                text = data.get("text/plain", output.get("text", ""))
                parts.append(f"<pre>{html.escape(''.join(text))}</pre>")
        parts.append("</div>")
    style = (
        "body{max-width:52rem;margin:1rem auto;font:16px/1.5 sans-serif}"
        "pre{background:#f6f8fa;padding:.5rem;overflow:auto}img{max-width:100%}"
        "blockquote{border-left:4px solid #d0d7de;margin:0;padding:0 1rem}"
        "details{border:1px solid #d0d7de;padding:.25rem .5rem;margin:1rem 0}"
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(notebook.cells[0].source.split(chr(10))[0])}</title>"
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )


def _expected_glue(path: Path) -> list[str]:
    """The text of every glued value the chapter shows, in order, from its
    source and stored outputs, formatted by myst-nb itself."""
    notebook = json.loads(path.read_text())
    values = {}
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get("scrapbook")
            if record:
                plain = output["data"][record["mime_prefix"] + "text/plain"]
                values[record["name"]] = "".join(plain)
    prose = "\n".join(
        "".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"
    )
    return [format_plain_text(values[k], f or "s") for k, f in GLUE_ROLE.findall(prose)]


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def pages(browser, tmp_path_factory):
    """Open an edition, rendered as plain CommonMark, in a browser context
    that may load nothing from the network."""
    folder = tmp_path_factory.mktemp("editions-html")
    offline = offline_context(browser, folder.as_uri() + "/")

    def open_edition(path: Path, notebook):
        page = folder / f"{path.stem}.html"
        page.write_text(_html_page(notebook))
        tab = offline.context.new_page()
        tab.goto(page.as_uri())
        tab.wait_for_load_state("load")
        return tab

    yield open_edition, offline
    offline.context.close()


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_an_edition_reads_right_in_a_plain_markdown_renderer(editions, pages, path):
    open_edition, offline = pages
    tab = open_edition(path, editions[path])
    text = tab.evaluate("document.body.textContent")
    shown = [m for m in [*MYST, ":::", "{glue:", "{term}"] if m in text]
    assert not shown, f"MyST on the page: {shown}"

    # Every glued number, in the order the prose shows them.
    at = 0
    for value in _expected_glue(path):
        found = text.find(value, at)
        assert found >= 0, f"{value!r} not shown after {text[max(at - 80, 0) : at]!r}"
        at = found + len(value)

    # Every solution folded: closed, hidden until its summary is clicked.
    solutions = len(DROPDOWN.findall(_prose(nbformat.read(path, as_version=4))))
    details = tab.locator("details")
    assert details.count() == solutions > 0
    assert tab.evaluate("[...document.querySelectorAll('details[open]')].length") == 0
    for i in range(solutions):
        box = details.nth(i)
        assert box.locator("summary").inner_text() == "Solution"
        body = box.locator(":scope > :not(summary)").first
        assert not body.is_visible()
        box.locator("summary").click()
        assert body.is_visible() and body.inner_text().strip()

    widths = tab.evaluate("[...document.images].map((img) => img.naturalWidth)")
    assert widths and all(w > 0 for w in widths), widths
    assert not offline.blocked, offline.blocked

    if path.stem.startswith("02-"):
        _screenshot(tab)
    tab.close()


def _screenshot(tab) -> None:
    """The top of the page and the first exercise with its solution open, for
    a person to look at: _build/screenshots/edition.png."""
    tab.evaluate(
        """() => {
            const cells = [...document.querySelectorAll('.cell')];
            const exercises = cells.findIndex((cell) => [...cell.querySelectorAll('h2')]
                .some((h) => h.textContent === 'Exercises'));
            cells.forEach((cell, i) => {
                if (i >= 3 && i !== exercises) cell.style.display = 'none';
            });
            const boxes = [...cells[exercises].querySelectorAll('details')];
            boxes.forEach((box, i) => { box.open = i === 0; });
            const parts = [...cells[exercises].children];
            parts.slice(parts.indexOf(boxes[0]) + 1).forEach((part) => {
                part.style.display = 'none';
            });
        }"""
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / "edition.png"), full_page=True)


# ----------------------------------------------------------------- execution


def _run_nbval(tmp_path: Path, chapters: list[Path]) -> tuple[float, str]:
    """Write the chapters' editions into a folder laid out as the repository
    (notebooks/ at its top) and run them there with nbval, in a fresh pytest."""
    written = [E.write_edition(path, tmp_path) for path in chapters]
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # none of ours applies
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    command += ["--nbval", *[str(p.relative_to(tmp_path)) for p in written]]
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=1800
    )
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert re.search(r"\b\d+ passed", done.stdout), done.stdout[-2000:]
    return seconds, done.stdout


def test_the_quickest_editions_run_under_nbval(tmp_path):
    chapters = [p for p in CHAPTERS if p.stem in QUICK]
    assert [p.stem for p in chapters] == QUICK
    seconds, log = _run_nbval(tmp_path, chapters)
    print(f"{', '.join(QUICK)} ran under nbval in {seconds:.0f} s")


@pytest.mark.bench
def test_every_edition_runs_under_nbval(tmp_path):
    seconds, log = _run_nbval(tmp_path, CHAPTERS)
    print(f"{len(CHAPTERS)} editions ran under nbval in {seconds:.0f} s")
