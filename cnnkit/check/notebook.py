"""A notebook's graded cells: what nbgrader tracks in them, the list of them a
release records, and what in a student's notebook would break its grading.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
from pathlib import Path

__all__ = [
    "MANIFEST_KEY",
    "STUB",
    "cell_label",
    "cell_source",
    "compute_checksum",
    "defined_names",
    "find_manifest",
    "manifest_of",
    "read_notebook",
    "structure_problems",
    "unfinished",
]

#: The metadata key (in the self-check cell) that holds the graded cells' list.
MANIFEST_KEY = "cnnkit"
#: What ``nbgrader generate_assignment`` leaves in an answer cell.
STUB = "raise NotImplementedError()"


def cell_source(cell: dict) -> str:
    """A notebook cell's source as one string (files store it either way)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def defined_names(source: str) -> set[str]:
    r"""The functions and classes a cell's code defines at its top level.

    Examples
    --------
    >>> sorted(defined_names("import numpy as np\ndef f(x): ...\nclass A: ..."))
    ['A', 'f']
    >>> defined_names("def broken(:\n    pass")  # found even when it does not parse
    {'broken'}
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(re.findall(r"^(?:async\s+)?(?:def|class)\s+(\w+)", source, re.M))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {node.name for node in tree.body if isinstance(node, kinds)}


def cell_label(cells: list[dict], index: int) -> str:
    r"""How a student finds ``cells[index]`` in JupyterLab or Colab: what it
    defines, or the heading it sits under (neither shows cell numbers).

    Examples
    --------
    >>> cells = [{"cell_type": "markdown", "source": "## Part 2: padding\nText"},
    ...          {"cell_type": "code", "source": "x = 1"},
    ...          {"cell_type": "code", "source": "def pad(n):\n    return n"}]
    >>> cell_label(cells, 2)
    'the cell that defines pad'
    >>> cell_label(cells, 1)
    'the 1st code cell under "Part 2: padding"'
    """
    names = sorted(defined_names(cell_source(cells[index])))
    if names:
        return "the cell that defines " + ", ".join(names)
    count = 0
    for cell in reversed(cells[: index + 1]):
        if cell.get("cell_type") == "code":
            count += 1
            continue
        headings = re.findall(r"^#+\s*(.+?)\s*#*$", cell_source(cell), re.M)
        if headings:
            nth = {1: "1st", 2: "2nd", 3: "3rd"}.get(count, f"{count}th")
            return f'the {nth} code cell under "{headings[-1]}"'
    return f"code cell {count} from the top"


def _nbgrader(cell: dict) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def compute_checksum(cell: dict) -> str:
    """nbgrader's checksum of a cell: what a read-only cell's content must hash to.

    The same recipe as ``nbgrader.utils.compute_checksum`` (source, cell
    type, the grade, solution and locked flags, the cell's ID and its points),
    so that Colab users, who have no nbgrader, can check their notebook too.

    Parameters
    ----------
    cell : dict
        A notebook cell with nbgrader metadata.

    Returns
    -------
    str
        The MD5 hex digest.

    Examples
    --------
    >>> cell = {"cell_type": "code", "source": "x = 1",
    ...         "metadata": {"nbgrader": {"grade_id": "setup", "locked": True}}}
    >>> compute_checksum(cell)
    '7f624f6016878a9711efd6edb4d47aa9'
    """
    meta = _nbgrader(cell)
    m = hashlib.md5()
    m.update(cell_source(cell).encode("utf-8"))
    m.update(cell.get("cell_type", "").encode("utf-8"))
    for flag in ("grade", "solution", "locked"):
        m.update(str(bool(meta.get(flag, False))).encode("utf-8"))
    m.update(str(meta.get("grade_id", "")).encode("utf-8"))
    if meta.get("grade", False):
        m.update(str(float(meta.get("points", 0))).encode("utf-8"))
    return m.hexdigest()


def manifest_of(student_notebook: dict, hidden: set[str] | frozenset = frozenset()):
    """The list of graded cells a student's version must keep, in order.

    Parameters
    ----------
    student_notebook : dict
        The student version, as ``nbgrader generate_assignment`` wrote it.
    hidden : set of str
        The ``grade_id``s of test cells whose tests are hidden.

    Returns
    -------
    list of dict
        One entry per cell nbgrader tracks: ``grade_id``, ``cell_type``,
        ``kind`` (``"answer"``, ``"tests"``, ``"hidden tests"`` or
        ``"read-only"``), ``points`` and, for cells students must not edit,
        the ``checksum`` of their content.

    Examples
    --------
    >>> nb = {"cells": [{"cell_type": "code", "source": "def f(): ...",
    ...        "metadata": {"nbgrader": {"grade_id": "f", "solution": True,
    ...                                  "grade": False, "locked": False}}}]}
    >>> manifest_of(nb)
    [{'grade_id': 'f', 'cell_type': 'code', 'kind': 'answer', 'points': 0.0}]
    """
    cells = []
    for cell in student_notebook["cells"]:
        meta = _nbgrader(cell)
        if "grade_id" not in meta:
            continue
        if meta.get("solution"):
            kind = "answer"
        elif meta.get("grade"):
            kind = "hidden tests" if meta["grade_id"] in hidden else "tests"
        else:
            kind = "read-only"
        entry = {
            "grade_id": meta["grade_id"],
            "cell_type": cell["cell_type"],
            "kind": kind,
            "points": float(meta.get("points", 0)) if meta.get("grade") else 0.0,
        }
        if meta.get("locked"):
            entry["checksum"] = compute_checksum(cell)
        cells.append(entry)
    return cells


def find_manifest(notebook: dict) -> dict | None:
    """The assignment's record (id, graded cells, limits) stored by the release."""
    for cell in notebook.get("cells", []):
        record = cell.get("metadata", {}).get(MANIFEST_KEY)
        if isinstance(record, dict) and "cells" in record:
            return record
    return None


def structure_problems(notebook: dict, manifest: list[dict]) -> list[str]:
    """What in a notebook's graded cells would break or change its grading.

    Parameters
    ----------
    notebook : dict
        The notebook as handed in.
    manifest : list of dict
        Its graded cells as released (:func:`manifest_of`).

    Returns
    -------
    list of str
        One sentence per problem: a graded cell deleted, duplicated, turned
        into another cell type, or a read-only cell edited. Empty when none.

    Examples
    --------
    >>> cell = {"cell_type": "code", "source": "x = 1",
    ...         "metadata": {"nbgrader": {"grade_id": "setup", "locked": True}}}
    >>> manifest = manifest_of({"cells": [cell]})
    >>> structure_problems({"cells": [cell]}, manifest)
    []
    >>> edited = dict(cell, source="x = 2")
    >>> for problem in structure_problems({"cells": [edited, edited]}, manifest):
    ...     print(problem)
    read-only cell "setup" appears 2 times (copied or pasted?)
    read-only cell "setup" was edited (the grader puts back the original)
    """
    found: dict[str, list[dict]] = {}
    for cell in notebook.get("cells", []):
        grade_id = _nbgrader(cell).get("grade_id")
        if grade_id is not None:
            found.setdefault(grade_id, []).append(cell)
    problems = []
    for entry in manifest:
        name, kind = entry["grade_id"], entry["kind"]
        label = f'{kind} cell "{name}"'
        copies = found.get(name, [])
        if not copies:
            problems.append(f"{label} is missing (deleted, or its metadata lost)")
            continue
        if len(copies) > 1:
            problems.append(f"{label} appears {len(copies)} times (copied or pasted?)")
        cell = copies[-1]
        if cell.get("cell_type") != entry["cell_type"]:
            problems.append(
                f"{label} is now a {cell.get('cell_type')} cell, "
                f"it must stay a {entry['cell_type']} cell"
            )
        elif "checksum" in entry and compute_checksum(cell) != entry["checksum"]:
            problems.append(f"{label} was edited (the grader puts back the original)")
    return problems


def unfinished(notebook: dict) -> list[str]:
    """The answer cells that still hold the ``raise NotImplementedError()`` stub."""
    return [
        _nbgrader(cell)["grade_id"]
        for cell in notebook.get("cells", [])
        if _nbgrader(cell).get("solution") and STUB in cell_source(cell)
    ]


def read_notebook(path: str | os.PathLike) -> dict:
    """Read an ``.ipynb`` file as plain JSON, saying clearly if it is not one.

    Parameters
    ----------
    path : str or path-like
        The notebook file.

    Returns
    -------
    dict
        The notebook.

    Raises
    ------
    ValueError
        When the file is not valid JSON or has no list of cells.
    """
    path = Path(path)
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path.name} is not a valid notebook file: {err}") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise ValueError(f"{path.name} is not a notebook: it has no list of cells")
    return notebook
