"""Every chapter notebook follows the conventions of notebooks/README.md.

nbval (run by `make test` on notebooks/) re-executes each chapter and
compares its outputs, and the root conftest fails a chapter that runs past
its time budget; these tests check what a run cannot: that a chapter is set
up for Colab, stores its outputs, glues its numbers, uses cnnkit, has
exercises with hidden solutions, describes its figures and links onwards.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from cnnkit.book import RECORD_PREFIX, as_shown

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())
CHAPTERS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
RECORD_PLAIN = RECORD_PREFIX + "text/plain"


def _part(caption: str) -> list[str]:
    (part,) = [p for p in TOC["parts"] if p["caption"] == caption]
    return [c["file"] for c in part["chapters"]]


def _cells(path: Path, kind: str) -> list[dict]:
    cells = json.loads(path.read_text())["cells"]
    return [c for c in cells if c["cell_type"] == kind and "".join(c["source"])]


def _text(cells: list[dict]) -> str:
    return "\n".join("".join(c["source"]) for c in cells)


def _id(path: Path) -> str:
    return path.name


def test_the_parts_list_their_chapters_in_order():
    listed = _part("Part I: Seeing with kernels") + _part(
        "Part II: Learning the kernels"
    )
    chapters = [f for f in listed if f.startswith("notebooks/")]
    assert chapters == sorted(chapters)
    assert [f"notebooks/{p.stem}" for p in CHAPTERS] == chapters


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_first_code_cell_sets_the_chapter_up_in_colab(path):
    first = "".join(_cells(path, "code")[0]["source"])
    assert 'if "google.colab" in sys.modules:' in first
    assert f'"cnnkit @ git+{CONFIG["repository"]["url"]}"' in first


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_chapter_stores_outputs_imports_cnnkit_and_glues_numbers(path):
    code = _cells(path, "code")
    assert any(c.get("outputs") for c in code), "no stored outputs"
    source = _text(code)
    assert re.search(r"^(import cnnkit|from cnnkit[\w.]* import)", source, re.M)
    glued = set(re.findall(r"""\bglue\(\s*["'](\w+)["']""", source))
    used = set(re.findall(r"\{glue:\w+\}`([\w]+)", _text(_cells(path, "markdown"))))
    assert glued, "glues no number"
    assert used, "the prose shows no glued number"
    assert used <= glued, f"prose uses values no cell glues: {used - glued}"


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_chapter_has_exercises_with_hidden_solutions(path):
    prose = _text(_cells(path, "markdown"))
    exercises = re.findall(r"^:::\{admonition\} Exercise[^\n]*", prose, re.M)
    solutions = re.findall(
        r"^:::\{admonition\} Solution\n:class: dropdown$", prose, re.M
    )
    assert len(exercises) >= 2, exercises
    assert len(solutions) >= len(exercises)
    assert any("predict" in e.lower() for e in exercises), exercises


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_every_figure_has_alt_text_and_a_caption(path):
    """Alt text describes the picture for a reader who cannot see it; the
    caption tells every reader what the figure is for."""
    for cell in _cells(path, "code"):
        if not any("image/png" in o.get("data", {}) for o in cell["outputs"]):
            continue
        mystnb = cell["metadata"].get("mystnb", {})
        where = "".join(cell["source"])[:80]
        assert mystnb.get("image", {}).get("alt"), f"no alt text: {where}"
        assert mystnb.get("figure", {}).get("caption"), f"no caption: {where}"


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_explorers_leave_no_widget_on_the_static_site(path):
    notebook = json.loads(path.read_text())
    assert "widgets" not in notebook["metadata"], "widget state is stored"
    for cell in _cells(path, "code"):
        source = "".join(cell["source"])
        shows_widget = any(WIDGET_VIEW in o.get("data", {}) for o in cell["outputs"])
        if shows_widget or re.search(r"\bwidgets\.\w+_explorer\(", source):
            assert "remove-output" in cell["metadata"].get("tags", []), source[:80]
            assert source.startswith("# NBVAL_IGNORE_OUTPUT"), source[:80]


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_chapter_ends_with_a_summary_and_links_to_the_next(path):
    prose = _text(_cells(path, "markdown"))
    assert re.search(r"^## Summary", prose, re.M)
    assert re.search(r"^## Exercises", prose, re.M)
    later = CHAPTERS[CHAPTERS.index(path) + 1 :]
    if later:
        assert f"{{doc}}`{later[0].stem}`" in prose or (
            f"<{later[0].stem}>`" in prose
        ), f"no link to {later[0].stem}"


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_stored_outputs_reproduce(path):
    outputs = json.dumps([c["outputs"] for c in _cells(path, "code")])
    assert not re.search(r" at 0x[0-9a-f]{6,}", outputs), "a memory address"
    assert "oneDNN custom operations" not in outputs, "TensorFlow's start-up log"
    assert "\\u2588" not in outputs and "ETA:" not in outputs, "a progress bar"
    path_seen = re.search(r"(/usr/share/|/home/\w|/tmp/|/root/|/work/)\S*", outputs)
    assert not path_seen, f"a path of the machine that ran it: {path_seen[0]}"
    for cell in _cells(path, "code"):
        streams = [o["name"] for o in cell["outputs"] if o["output_type"] == "stream"]
        assert "stderr" not in streams, f"a warning is stored: {cell['source'][:2]}"


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_prose_does_not_describe_the_machine_that_ran_it(path):
    """Readers run the chapters elsewhere: the prose, captions and alt texts
    say nothing of the build machine's cores or of how long it took."""
    notebook = json.loads(path.read_text())
    prose = _text(_cells(path, "markdown")) + json.dumps(
        [c["metadata"].get("mystnb", {}) for c in notebook["cells"]]
    )
    found = re.search(
        r"\b(\d|two|one)-core\b|this machine|\btrain_seconds\b|this page may take",
        prose,
    )
    assert not found, f"the prose describes the build machine: {found[0]!r}"


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_prose_stands_without_the_lecture_notes(path):
    """Readers of the book never saw the notes the course grew from: a
    chapter teaches the right thing, and book/errata.md lists the notes'
    mistakes for instructors."""
    found = re.search(
        r"(?i)[^.]*\bthe (lecture )?notes\b[^.]*", _text(_cells(path, "markdown"))
    )
    assert not found, f"the prose refers to the notes: {found[0].strip()!r}"


def test_the_errata_page_links_only_to_chapters_that_exist():
    errata = (ROOT / "book" / "errata.md").read_text()
    linked = re.findall(r"<\.\./notebooks/([\w-]+)>", errata)
    assert linked, "the errata page lists no correction"
    assert set(linked) <= {p.stem for p in CHAPTERS}


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_no_cell_shows_the_repr_of_a_plotting_call(path):
    """A cell ending in fig.suptitle(...) or plt.plot(...) shows "Text(...)"
    under the figure on the site, and myst-nb captions it a second time."""
    for cell in _cells(path, "code"):
        for output in cell["outputs"]:
            text = "".join(output.get("data", {}).get("text/plain", ""))
            shown = output["output_type"] == "execute_result"
            assert not (shown and re.match(r"(Text\(|\[?<matplotlib)", text)), (
                f"a plotting call's value is shown: {cell['source'][-1][:60]}"
            )


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_no_cell_relies_on_a_semicolon_to_hide_its_value(path):
    """nbval shows a last expression's value even after a `;`, so the stored
    output (none) and the re-run (a figure's repr) would differ: assign it."""
    for cell in _cells(path, "code"):
        assert not "".join(cell["source"]).rstrip().endswith(";"), cell["source"][:2]


def _glued_numbers(path: Path) -> dict[str, str]:
    """Each glued value's stored text, by name, for values that are numbers."""
    glued = {}
    for cell in _cells(path, "code"):
        for output in cell["outputs"]:
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            text = "".join(output.get("data", {}).get(RECORD_PLAIN, ""))
            if name and re.fullmatch(r"[-+]?[\d.]+(e[-+]?\d+)?", text):
                glued[name] = text
    return glued


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_glued_numbers_are_stored_at_the_precision_the_prose_shows(path):
    """Digits the prose does not show (float32 noise, a training run's last
    decimals) differ between CPUs; a stored number holds none of them."""
    prose = _text(_cells(path, "markdown"))
    shown = re.findall(r"\{glue:text\}`(\w+)(?::([^`]*))?`", prose)
    glued = _glued_numbers(path)
    for name, fmt in shown:
        if name not in glued or "." not in glued[name] and "e" not in glued[name]:
            continue  # an integer is exact on every machine
        stored = float(glued[name])
        if fmt:
            assert as_shown(stored, fmt) == stored, (
                f"{name} is stored as {glued[name]} but the prose shows "
                f"{format(stored, fmt)}: glue it with fmt={fmt!r}"
            )
        else:
            assert stored == round(stored, 4), (
                f"{name} is shown unformatted as {glued[name]}: round it or "
                "give the prose a format"
            )


@pytest.mark.parametrize("path", CHAPTERS, ids=_id)
def test_no_cell_ends_by_showing_what_it_glued(path):
    """A cell whose last line is glue(...) shows the value under the code on
    the site; the record is all the prose needs (assign it: _ = glue(...))."""
    for cell in _cells(path, "code"):
        source = "".join(cell["source"])
        if source.startswith("%") or source.startswith("# Set-up"):
            continue
        body = ast.parse(source).body
        last = body[-1] if body else None
        assert not (
            isinstance(last, ast.Expr)
            and isinstance(last.value, ast.Call)
            and getattr(last.value.func, "id", None) == "glue"
        ), f"a cell ends in glue(...): {source[:80]}"


def test_budget_hook_knows_every_chapter():
    import importlib.util

    spec = importlib.util.spec_from_file_location("root_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    chapter_budget = module.chapter_budget
    for path in CHAPTERS:
        assert chapter_budget(path.name) in (60.0, 240.0)
    assert chapter_budget("README.ipynb") is None


NOTEBOOKS = [
    *CHAPTERS,
    *sorted((ROOT / "notebooks" / "assignments").glob("*/*.ipynb")),
    *sorted((ROOT / "solutions").glob("*/*.ipynb")),
]


@pytest.mark.parametrize(
    "path", NOTEBOOKS, ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_notebook_names_its_kernel_as_the_kernel_names_itself(path):
    """JupyterLab writes the running kernel's name into a notebook whose stored
    name differs, so merely opening it would mark it changed and autosave
    would rewrite the file."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    stored = json.loads(path.read_text())["metadata"]["kernelspec"]
    assert stored == {
        "display_name": spec.display_name,
        "language": spec.language,
        "name": "python3",
    }
