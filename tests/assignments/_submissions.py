"""Made-up submissions for the grading tests: written the way students write them.

A submission starts from the committed student version, as a student
receives it, and fills its answer cells: with the source's solutions
(``solved``), with a realistic mistake in one or more cells (``WRONG``), or
breaks it. ``to_colab`` rewrites a notebook the way Google Colab saves one.
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
import textwrap
from pathlib import Path

import pytest

from grading.course import HIDDEN_BEGIN, HIDDEN_END
from grading.sandbox import unavailable

ROOT = Path(__file__).resolve().parents[2]

#: Tests that grade run each kernel in the sandbox, which needs bubblewrap
#: (make's set-up installs it where it is root; CI does).
needs_sandbox = pytest.mark.skipif(
    unavailable() is not None,
    reason=f"the grading sandbox cannot run here: {unavailable()}",
)


def student_version(assignment: str) -> dict:
    """The committed student version, as a student downloads it."""
    path = ROOT / "notebooks" / "assignments" / assignment / f"{assignment}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))


def source_version(assignment: str) -> dict:
    """The instructor's source, with solutions and hidden tests."""
    path = ROOT / "solutions" / assignment / f"{assignment}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))


def _text(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def _set(cell: dict, text: str) -> None:
    lines = text.split("\n")
    cell["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]


def grade_id(cell: dict) -> str | None:
    """A cell's nbgrader ID, if it has one."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def cell_of(notebook: dict, name: str) -> dict:
    """The cell with this nbgrader ID."""
    (cell,) = [c for c in notebook["cells"] if grade_id(c) == name]
    return cell


def without_markers(text: str) -> str:
    """A solution cell's code as the student would write it: no markers."""
    return "\n".join(
        line
        for line in text.split("\n")
        if "BEGIN SOLUTION" not in line and "END SOLUTION" not in line
    )


def solved(assignment: str) -> dict:
    """The student version with every answer cell filled in from the source."""
    notebook = student_version(assignment)
    source = source_version(assignment)
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            _set(cell, without_markers(_text(cell_of(source, meta["grade_id"]))))
    return notebook


def with_answers(notebook: dict, answers: dict[str, str]) -> dict:
    """A copy with some answer cells' code replaced (dedented)."""
    notebook = copy.deepcopy(notebook)
    for name, code in answers.items():
        _set(cell_of(notebook, name), textwrap.dedent(code).strip("\n"))
    return notebook


def replace_in(notebook: dict, name: str, old: str, new: str) -> dict:
    """A copy with ``old`` replaced by ``new`` in one cell (which must hold it)."""
    notebook = copy.deepcopy(notebook)
    cell = cell_of(notebook, name)
    text = _text(cell)
    assert old in text, f"{name!r} has no {old!r}"
    _set(cell, text.replace(old, new))
    return notebook


def to_colab(notebook: dict) -> dict:
    """The notebook as Google Colab saves it.

    Colab writes nbformat 4.0 with no top-level cell ``id``: each cell's id
    goes into ``metadata.id`` instead; the notebook's metadata is Colab's
    own (``colab``, a short ``kernelspec``, ``language_info``); sources are
    lists of lines; code cells it ran carry ``outputId`` and execution
    counts. nbgrader's cell metadata is kept, as Colab keeps cell metadata.
    """
    out = {
        "nbformat": 4,
        "nbformat_minor": 0,
        "metadata": {
            "colab": {"provenance": [], "name": "submission.ipynb"},
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python"},
        },
        "cells": [],
    }
    for n, cell in enumerate(notebook["cells"]):
        meta = copy.deepcopy(cell.get("metadata", {}))
        meta = {"id": f"Xk{n:04d}colab", **meta}
        new = {
            "cell_type": cell["cell_type"],
            "source": cell["source"],
            "metadata": meta,
        }
        if cell["cell_type"] == "code":
            meta["outputId"] = f"{n:08x}-0000-0000-0000-000000000000"
            new["execution_count"] = n + 1
            new["outputs"] = [
                {
                    "output_type": "stream",
                    "name": "stdout",
                    "text": ["(ran in Colab)\n"],
                }
            ]
        out["cells"].append(new)
    return out


def write(notebook: dict, path: Path, *, indent: int = 1) -> Path:
    """Save a notebook as JupyterLab does (or, with ``indent=2``, as Colab)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(notebook, indent=indent, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def write_broken(path: Path, assignment: str) -> Path:
    """A notebook cut off in the middle of a save: not valid JSON."""
    text = json.dumps(solved(assignment), indent=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    return path


def make_course(tmp: Path, assignment: str) -> Path:
    """A course folder with just what grading needs, in ``tmp``."""
    course = tmp / "course"
    (course / "solutions").mkdir(parents=True)
    shutil.copy2(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
    return course


def hidden_lines(assignment: str) -> list[str]:
    """The lines of code only the source's hidden test regions have."""
    shown = {
        line.strip()
        for cell in solved(assignment)["cells"]
        for line in "".join(cell["source"]).split("\n")
    }
    lines = []
    for cell in source_version(assignment)["cells"]:
        inside = False
        for line in "".join(cell["source"]).split("\n"):
            if HIDDEN_BEGIN in line:
                inside = True
            elif HIDDEN_END in line:
                inside = False
            elif inside and len(line.strip()) >= 20 and line.strip() not in shown:
                lines.append(line.strip())
    return lines


def grading_temporary_files() -> set[Path]:
    """What grading makes in the machine's temporary folder while it runs."""
    tmp = Path(tempfile.gettempdir())
    patterns = ("grading-*", "kernel-*", "matplotlib-*", "sandbox-check-*", "tmp.*")
    return {path for pattern in patterns for path in tmp.glob(pattern)}
