"""Checking an assignment: the tests' helpers and the student's self-check.

The assignments' test cells use three helpers so that a failing test says in
one line what was expected and what came back (:func:`expect_equal`,
:func:`expect_close`, :func:`expect_true`), and :func:`off_limits`, which
makes sure a student's function does its own work: while it is active,
calling the library that already does the job (``cnnkit.conv2d``,
``scipy.signal``, TensorFlow...) raises, however the function reached it.

Students run the self-check in the last cell of an assignment, in JupyterLab
or in Google Colab::

    import cnnkit
    cnnkit.check()

or from a terminal::

    python -m cnnkit.check a1-convolution.ipynb

It reads the notebook as saved (in Colab: as it is now), warns about
everything that would break grading (a graded cell deleted, duplicated or
turned into another cell type, a read-only cell edited, an answer left
unfinished), runs the notebook from the top in a fresh kernel, as the grader
does, and reports which visible tests pass and the points they are worth.
The hidden tests only the grader has.

The list of graded cells it compares against is written into the
self-check cell's metadata by ``make release`` (``grading/release.py``).
Only NumPy is imported at start-up; running a notebook needs ``nbclient``,
which JupyterLab and Colab both have.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CheckReport",
    "OffLimitsError",
    "cell_source",
    "check",
    "compute_checksum",
    "expect_close",
    "expect_equal",
    "expect_true",
    "manifest_of",
    "off_limits",
    "read_notebook",
    "run_check",
    "structure_problems",
]

#: The metadata key (in the self-check cell) that holds the graded cells'
#: list, and the environment variables that mark a run by the grader or by
#: the self-check itself (no self-check runs inside either).
MANIFEST_KEY = "cnnkit"
GRADER_VARIABLE = "NBGRADER_EXECUTION"
SELF_CHECK_VARIABLE = "CNNKIT_SELF_CHECK"
#: What ``nbgrader generate_assignment`` leaves in an answer cell.
STUB = "raise NotImplementedError()"

# ---------------------------------------------------------------------------
# One-line expectations
# ---------------------------------------------------------------------------


def _short(value: Any, limit: int = 160) -> str:
    """``value`` on one line, cut to ``limit`` characters."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.ndarray):
        text = np.array2string(
            value, precision=4, separator=", ", threshold=30, max_line_width=10**6
        )
        text = f"array {text} of shape {value.shape}"
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def expect_true(condition: bool, message: str) -> None:
    """Fail with ``message`` unless ``condition`` holds.

    Parameters
    ----------
    condition : bool
        What the test requires.
    message : str
        One line saying what was expected and what came back.

    Raises
    ------
    AssertionError
        With ``message`` when ``condition`` is false.

    Examples
    --------
    >>> expect_true(2 + 2 == 4, "2 + 2: expected 4")
    >>> expect_true(False, "out_length(5, 3): expected 3, got 2")
    Traceback (most recent call last):
    AssertionError: out_length(5, 3): expected 3, got 2
    """
    if not condition:
        raise AssertionError(message)


def expect_equal(got: Any, expected: Any, what: str) -> None:
    """Fail unless ``got`` equals ``expected`` exactly (arrays: shape and values).

    Parameters
    ----------
    got : object
        What the student's code returned.
    expected : object
        The right answer: a number, string, tuple or array.
    what : str
        The call or quantity being checked, e.g. ``"out_length(5, 3)"``.

    Raises
    ------
    AssertionError
        ``"<what>: expected <expected>, got <got>"`` on one line.

    Examples
    --------
    >>> expect_equal((3, 3), (3, 3), "shape")
    >>> expect_equal(2, 3, "out_length(5, 3)")
    Traceback (most recent call last):
    AssertionError: out_length(5, 3): expected 3, got 2
    """
    if isinstance(expected, np.ndarray):
        _expect_array(got, expected, what, exact=True)
        return
    same = type(got) is type(expected) or (
        isinstance(got, (int, np.integer)) and isinstance(expected, (int, np.integer))
    )
    if isinstance(got, (bool, np.bool_)) != isinstance(expected, (bool, np.bool_)):
        same = False
    if not same and isinstance(expected, (tuple, list, str)):
        raise AssertionError(
            f"{what}: expected {_short(expected)} ({type(expected).__name__}), "
            f"got {_short(got)} ({type(got).__name__})"
        )
    equal = got == expected
    if isinstance(equal, np.ndarray) or not equal:
        raise AssertionError(f"{what}: expected {_short(expected)}, got {_short(got)}")


def expect_close(
    got: Any,
    expected: Any,
    what: str,
    *,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> None:
    """Fail unless ``got`` is an array of ``expected``'s shape and close to it.

    Parameters
    ----------
    got : array_like or float
        What the student's code returned.
    expected : array_like or float
        The right answer.
    what : str
        The call being checked.
    rtol, atol : float
        Tolerances, as in :func:`numpy.allclose`.

    Raises
    ------
    AssertionError
        Naming the wrong type, the wrong shape, or the first entry that
        differs, on one line.

    Examples
    --------
    >>> expect_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]), "f(x)")
    >>> expect_close(np.zeros((2, 2)), np.eye(2), "f(x)")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    AssertionError: f(x): expected 1.0 at index (0, 0), got 0.0 (expected array ...
    """
    if np.ndim(expected) == 0 and np.ndim(got) == 0:
        try:
            g = float(got)
        except (TypeError, ValueError):
            raise AssertionError(
                f"{what}: expected a number close to {_short(expected)}, "
                f"got {_short(got)}"
            ) from None
        if not np.isclose(g, float(expected), rtol=rtol, atol=atol):
            raise AssertionError(
                f"{what}: expected {_short(expected)}, got {_short(got)}"
            )
        return
    _expect_array(got, np.asarray(expected), what, exact=False, rtol=rtol, atol=atol)


def _expect_array(got, expected, what, *, exact, rtol=0.0, atol=0.0) -> None:
    if not isinstance(got, np.ndarray):
        raise AssertionError(
            f"{what}: expected a NumPy array of shape {expected.shape}, "
            f"got {type(got).__name__} {_short(got)}"
        )
    if got.shape != expected.shape:
        raise AssertionError(
            f"{what}: expected shape {expected.shape}, got shape {got.shape}"
        )
    if exact:
        wrong = got != expected
    else:
        try:
            wrong = ~np.isclose(got, expected, rtol=rtol, atol=atol)
        except TypeError:
            raise AssertionError(
                f"{what}: expected numbers, got an array of dtype {got.dtype}"
            ) from None
    if np.any(wrong):
        where = tuple(int(i) for i in np.argwhere(wrong)[0])
        raise AssertionError(
            f"{what}: expected {_short(expected[where])} at index {where}, "
            f"got {_short(got[where])} (expected {_short(expected)}, "
            f"got {_short(got)})"
        )


# ---------------------------------------------------------------------------
# Off limits: the student's function must do its own work
# ---------------------------------------------------------------------------


class OffLimitsError(AssertionError):
    """Raised when code under test calls a library it was asked to replace."""


def _package_prefixes(name: str) -> tuple[str, ...]:
    """The folder or file a module lives in, found without importing anything."""
    parts = name.split(".")
    try:
        spec = importlib.util.find_spec(parts[0])  # top level: imports nothing
    except (ImportError, ValueError):
        return ()
    if spec is None:
        return ()
    if len(parts) == 1 and not spec.submodule_search_locations:
        return (os.path.realpath(spec.origin),) if spec.origin else ()
    folders = list(spec.submodule_search_locations or [])
    for part in parts[1:]:
        inner = [os.path.join(f, part) for f in folders]
        packages = [p for p in inner if os.path.isdir(p)]
        if packages:
            folders = packages
            continue
        files = [p + ".py" for p in inner if os.path.isfile(p + ".py")]
        return (os.path.realpath(files[0]),) if part == parts[-1] and files else ()
    return tuple(os.path.join(os.path.realpath(f), "") for f in folders)


def _resolve(name: str) -> Any:
    """The object a dotted name points to, if its module is already imported."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is None:
            continue
        obj: Any = module
        try:
            for part in parts[cut:]:
                obj = (
                    vars(obj)[part]
                    if isinstance(obj, type) and part in vars(obj)
                    else getattr(obj, part)
                )
        except (AttributeError, KeyError):
            return None
        return obj
    return None


def _codes_of(obj: Any) -> tuple[set, set]:
    """Python code objects and C functions that calling ``obj`` runs first."""
    codes: set = set()
    builtins: set = set()
    if isinstance(obj, property):
        for f in (obj.fget, obj.fset):
            if f is not None:
                c, b = _codes_of(f)
                codes |= c
                builtins |= b
        return codes, builtins
    while hasattr(obj, "__wrapped__"):  # decorated functions: every layer counts
        code = getattr(obj, "__code__", None)
        if code is not None:
            codes.add(code)
        obj = obj.__wrapped__
    func = getattr(obj, "__func__", obj)  # bound methods
    code = getattr(func, "__code__", None)
    if code is not None:
        codes.add(code)
    elif callable(obj):
        builtins.add(obj)
    return codes, builtins


_THIS_FILE = os.path.realpath(__file__)


#: What ``off_limits()`` forbids when given no names: every library that
#: computes convolutions, pooling or gradients for you. NumPy stays allowed.
LIBRARIES = ("cnnkit", "scipy", "skimage", "cv2", "tensorflow", "keras", "torch", "jax")


@contextlib.contextmanager
def off_limits(*names: str, doing: str = "this function") -> Iterator[None]:
    """Make the named libraries and functions raise while the block runs.

    A test wraps its call of the student's function in this block, so a
    function that only calls the library version of what it was asked to
    write fails the test, however it got hold of it (``import`` inside the
    function, a name imported earlier, a method). Python's profiler hook
    watches every call: a call into a forbidden package's files or to a
    forbidden function raises :class:`OffLimitsError`, and a student's
    ``try``/``except`` cannot hide it, because the error is raised again when
    the block ends.

    Parameters
    ----------
    *names : str
        Packages or modules (``"scipy.signal"``, ``"tensorflow"``,
        ``"cnnkit"``: every function in their files) or functions, methods
        and properties (``"keras.Model.count_params"``). A function whose
        module is not imported yet cannot have been reached and is skipped.
        This module itself is never off limits. Without names:
        :data:`LIBRARIES`, every library but NumPy.
    doing : str
        What the code under test is, for the message.

    Raises
    ------
    OffLimitsError
        Naming the first forbidden function called.

    Examples
    --------
    >>> import cnnkit
    >>> with off_limits("cnnkit.conv2d", doing="my_conv"):  # doctest: +ELLIPSIS
    ...     cnnkit.conv2d(np.ones((3, 3)), np.ones((2, 2)))
    Traceback (most recent call last):
    cnnkit.check.OffLimitsError: my_conv called cnnkit.convolution.conv2d, which ...
    >>> with off_limits():
    ...     float(np.ones((2, 2)).sum())  # NumPy is fine
    4.0
    """
    names = names or LIBRARIES
    prefixes: list[str] = []
    codes: set = set()
    builtins: set = set()
    module_names: list[str] = []
    for name in names:
        if not isinstance(name, str) or not name:
            raise TypeError(f"names must be non-empty strings, got {name!r}")
        found = _package_prefixes(name)
        if found:
            prefixes.extend(found)
            module_names.append(name)
            continue
        obj = _resolve(name)
        if obj is not None:
            c, b = _codes_of(obj)
            codes |= c
            builtins |= b
    prefix_tuple = tuple(prefixes)
    module_tuple = tuple(module_names)
    caught: list[str] = []

    def violation(label: str) -> OffLimitsError:
        caught.append(label)
        return OffLimitsError(
            f"{doing} called {label}, which is off limits here: "
            "write the computation yourself"
        )

    def hook(frame, event, arg):
        if event == "call":
            code = frame.f_code
            filename = code.co_filename
            if code in codes or (
                prefix_tuple
                and filename.startswith(prefix_tuple)
                and os.path.realpath(filename) != _THIS_FILE
            ):
                module = frame.f_globals.get("__name__", "?")
                qualname = getattr(code, "co_qualname", code.co_name)
                if qualname == "<module>":
                    raise violation(f"{module} (by importing it)")
                raise violation(f"{module}.{qualname}")
        elif event == "c_call":
            module = getattr(arg, "__module__", None) or ""
            if arg in builtins or (
                module_tuple
                and (module in module_tuple or module.startswith(module_tuple))
            ):
                raise violation(f"{module}.{getattr(arg, '__name__', arg)}")

    # Paths of files as Python saw them (symlinks resolved) are compared.
    prefix_tuple = tuple({*prefix_tuple, *(os.path.abspath(p) for p in prefix_tuple)})
    module_tuple = tuple(m + "." for m in module_tuple) + module_tuple
    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        yield
    finally:
        sys.setprofile(previous)
    if caught:  # the student's code caught the error and carried on
        raise OffLimitsError(
            f"{doing} called {caught[0]}, which is off limits here: "
            "write the computation yourself"
        )


# ---------------------------------------------------------------------------
# A notebook's graded cells
# ---------------------------------------------------------------------------


def cell_source(cell: dict) -> str:
    """A notebook cell's source as one string (files store it either way)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


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


# ---------------------------------------------------------------------------
# The self-check
# ---------------------------------------------------------------------------


@dataclass
class CellResult:
    """One test cell's outcome in the self-check's run."""

    grade_id: str
    points: float
    hidden: bool
    passed: bool | None  # None: not run (hidden, or the run stopped)
    message: str = ""


@dataclass
class CheckReport:
    """What the self-check found; ``print`` it (or let Jupyter show it)."""

    name: str
    assignment: str | None
    problems: list[str] = field(default_factory=list)
    unfinished: list[str] = field(default_factory=list)
    run_errors: list[str] = field(default_factory=list)
    tests: list[CellResult] = field(default_factory=list)
    ran: bool = False
    seconds: float = 0.0

    @property
    def visible_points(self) -> float:
        """Points of the test cells a student can see."""
        return sum(t.points for t in self.tests if not t.hidden)

    @property
    def passed_points(self) -> float:
        """Points of the visible test cells that passed in the run."""
        return sum(t.points for t in self.tests if not t.hidden and t.passed)

    @property
    def hidden_points(self) -> float:
        """Points only the grader's hidden tests award."""
        return sum(t.points for t in self.tests if t.hidden)

    @property
    def ok(self) -> bool:
        """No problem found, nothing unfinished, every visible test passed."""
        return (
            not self.problems
            and not self.unfinished
            and not self.run_errors
            and self.ran
            and all(t.passed for t in self.tests if not t.hidden)
        )

    def __str__(self) -> str:
        title = f"Self-check of {self.name}"
        lines = [title, "=" * len(title)]
        if self.problems:
            lines.append("Would change or break grading:")
            lines += [f"  ✗ {p}" for p in self.problems]
        else:
            lines.append("✓ every graded cell is there once, read-only cells unchanged")
        if self.unfinished:
            lines.append(
                "✗ unfinished (still raise NotImplementedError): "
                + ", ".join(self.unfinished)
            )
        if self.ran:
            if self.run_errors:
                lines.append(
                    f"✗ in a fresh kernel, from the top ({self.seconds:.0f} s), "
                    "these cells raised an error:"
                )
                lines += [f"  ✗ {e}" for e in self.run_errors]
            else:
                seconds = f"{self.seconds:.0f} s"
                lines.append(f"✓ runs from top to bottom in a fresh kernel ({seconds})")
            passed = float(self.passed_points)
            lines.append(
                f"Visible tests: {int(passed) if passed.is_integer() else passed} of "
                f"{_pts(self.visible_points)} pass"
            )
            for t in self.tests:
                if t.hidden:
                    continue
                mark = "✓" if t.passed else "✗"
                tail = f": {t.message}" if t.message else ""
                lines.append(f"  {mark} {t.grade_id} ({_pts(t.points)}){tail}")
        else:
            lines.append("(not run: visible tests not checked)")
        if self.hidden_points:
            lines.append(
                f"Hidden tests worth {_pts(self.hidden_points, 'more ')} run when "
                "the notebook is graded."
            )
        if self.ok:
            lines.append("Ready to hand in.")
        elif self.ran or self.problems or self.unfinished:
            lines.append("Fix the items marked ✗, then save.")
        else:
            lines.append(
                "Nothing wrong so far; run the check in full before handing in."
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)


def _pts(points: float, more: str = "") -> str:
    n = int(points) if float(points).is_integer() else points
    return f"{n} {more}point" + ("" if n == 1 else "s")


def error_line(output: dict) -> str:
    """An error output on one line: ``"AssertionError: f(1): expected 2, got 3"``."""
    line = " ".join(f"{output.get('ename', '')}: {output.get('evalue', '')}".split())
    return line.rstrip(":")


def _execute(notebook: dict, folder: Path, timeout: float | None) -> tuple[dict, float]:
    """Run a copy of the notebook in a fresh kernel; return it with outputs."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.reads(json.dumps(notebook), as_version=4)  # Colab's too
    nb.metadata.pop("widgets", None)
    from nbclient.exceptions import DeadKernelError

    client = NotebookClient(
        nb,
        timeout=timeout,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
        # A cell past the limit is stopped and fails, as when grading.
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeoutError",
            "evalue": f"the cell ran longer than {timeout} s, the grader's limit",
            "traceback": [],
        },
    )
    env = dict(os.environ, **{SELF_CHECK_VARIABLE: "1"})
    start = time.perf_counter()
    try:
        # The kernel's own start-up warnings are not the student's business.
        client.execute(env=env, stderr=subprocess.DEVNULL)
    except DeadKernelError:
        ran = [c for c in nb.cells if c.get("execution_count")] or nb.cells
        cell = ran[-1]
        cell.setdefault("outputs", []).append(
            {
                "output_type": "error",
                "ename": "DeadKernelError",
                "evalue": "the kernel died here (the grader gives 0 for that)",
                "traceback": [],
            }
        )
    return nb, time.perf_counter() - start


def _timed_out(errors: list[dict]) -> bool:
    """Whether a cell's errors are those of the time limit's interrupt."""
    return any(
        e.get("ename") in ("CellTimeoutError", "KeyboardInterrupt") for e in errors
    )


def run_check(
    notebook: dict,
    name: str = "notebook",
    *,
    run: bool = True,
    folder: str | os.PathLike | None = None,
    timeout: float | None = None,
) -> CheckReport:
    """Check a notebook (already read) and, unless ``run=False``, run it.

    Parameters
    ----------
    notebook : dict
        The notebook as JSON.
    name : str
        Its name, for the report.
    run : bool
        Run it from the top in a fresh kernel and collect the visible tests.
    folder : str or path-like, optional
        The working folder of the run (default: the current one).
    timeout : float, optional
        Seconds any one cell may take (default: the grader's limit for the
        assignment, if the release recorded it; otherwise none).

    Returns
    -------
    CheckReport
    """
    record = find_manifest(notebook)
    report = CheckReport(name=name, assignment=record and record.get("assignment"))
    if record is None:
        report.problems.append(
            "this notebook has no list of its graded cells: is it an assignment "
            "from notebooks/assignments, and is its last cell (the self-check) "
            "still there?"
        )
        manifest = []
    else:
        manifest = record["cells"]
        report.problems += structure_problems(notebook, manifest)
    report.unfinished = unfinished(notebook)
    report.tests = [
        CellResult(e["grade_id"], e["points"], e["kind"] == "hidden tests", None)
        for e in manifest
        if e["kind"] in ("tests", "hidden tests")
    ]
    if not run:
        return report
    if timeout is None and record is not None:
        timeout = record.get("limits", {}).get("cell")
    executed, report.seconds = _execute(notebook, Path(folder or "."), timeout)
    report.ran = True
    limit = record.get("limits", {}).get("notebook") if record else None
    if limit and report.seconds > limit:
        report.problems.append(
            f"the notebook ran for {report.seconds:.0f} s; the grader stops a "
            f"notebook after {limit:g} s and gives it 0"
        )
    outcome: dict[str, str | None] = {}
    for index, cell in enumerate(executed.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        message = error_line(errors[0]) if errors else None
        if timeout is not None and _timed_out(errors):
            message = (
                f"CellTimeoutError: stopped after {timeout:g} s, the grader's limit "
                "for a cell"
            )
        meta = _nbgrader(cell)
        grade_id = meta.get("grade_id")
        if meta.get("grade") and not meta.get("solution"):
            outcome[grade_id] = message
        elif message:
            where = f'"{grade_id}"' if grade_id else f"number {index + 1}"
            report.run_errors.append(f"cell {where}: {message}")
    for test in report.tests:
        if test.hidden or test.grade_id not in outcome:
            continue
        message = outcome[test.grade_id]
        test.passed = message is None
        test.message = message or ""
    return report


def _colab_notebook() -> dict | None:
    """The notebook open in Google Colab, as it is now, or None elsewhere."""
    if "google.colab" not in sys.modules:
        return None
    from google.colab import _message  # type: ignore[import-not-found]

    reply = _message.blocking_request("get_ipynb", timeout_sec=60)
    return reply.get("ipynb") if isinstance(reply, dict) else None


def _jupyter_path() -> Path | None:
    """The path of the notebook this kernel runs, as JupyterLab or VS Code say."""
    main = sys.modules.get("__main__")
    candidates = [
        os.environ.get("JPY_SESSION_NAME"),
        getattr(main, "__session__", None),
        getattr(main, "__vsc_ipynb_file__", None),
    ]
    for candidate in candidates:
        if candidate and str(candidate).endswith(".ipynb"):
            path = Path(candidate)
            if not path.is_absolute():
                path = Path.cwd() / path.name if not path.exists() else path
            if path.exists():
                return path
    return None


def check(
    path: str | os.PathLike | None = None,
    *,
    run: bool = True,
    timeout: float | None = None,
) -> CheckReport | None:
    """Check the assignment notebook you are working on, as the grader would.

    In the notebook's last cell, ``cnnkit.check()`` finds the notebook
    itself (in Colab, its current state; in JupyterLab, the saved file, so
    save first). It warns about deleted, duplicated or retyped graded cells,
    edited read-only cells and unfinished answers, then runs a copy of the
    notebook from the top in a fresh kernel and reports the visible tests and
    their points. Your own kernel and file are left alone.

    Parameters
    ----------
    path : str or path-like, optional
        The notebook file, when it cannot be found by itself.
    run : bool
        Also run the notebook (the slow part: as long as running it yourself).
    timeout : float, optional
        Seconds any one cell may take; by default the grader's limit.

    Returns
    -------
    CheckReport or None
        The report (Jupyter shows it); None when called while the grader or
        the self-check itself runs the notebook.

    Raises
    ------
    ValueError
        When the notebook cannot be found or read; the message says what to
        pass instead.
    """
    for variable, who in ((GRADER_VARIABLE, "the grader"), (SELF_CHECK_VARIABLE, "")):
        if os.environ.get(variable):
            if who:
                print(f"(self-check skipped: {who} is running this notebook)")
            return None
    folder = None
    if path is not None:
        path = Path(path)
        notebook, name, folder = read_notebook(path), path.name, path.parent
    else:
        notebook = _colab_notebook()
        name = "this notebook (as open in Colab)"
        if notebook is None:
            found = _jupyter_path()
            if found is None:
                raise ValueError(
                    "path: cannot tell which notebook this kernel runs; pass it, "
                    'e.g. cnnkit.check("a1-convolution.ipynb")'
                )
            notebook, folder = read_notebook(found), found.parent
            saved = time.strftime("%H:%M:%S", time.localtime(found.stat().st_mtime))
            name = f"{found.name} (as saved at {saved}: save first)"
    if run:
        print("Running a copy of the notebook from the top in a fresh kernel...")
        sys.stdout.flush()
    return run_check(notebook, name, run=run, folder=folder, timeout=timeout)


def main(argv: list[str] | None = None, out: Callable[[str], Any] = print) -> int:
    """``python -m cnnkit.check FILE.ipynb``: exit status 0 when ready to hand in."""
    parser = argparse.ArgumentParser(
        prog="python -m cnnkit.check",
        description="Check an assignment notebook before handing it in.",
    )
    parser.add_argument("notebook", help="the .ipynb file to check")
    parser.add_argument(
        "--no-run", action="store_true", help="check the cells only, do not run"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds per cell (default: grader's)",
    )
    args = parser.parse_args(argv)
    try:
        notebook = read_notebook(args.notebook)
    except (OSError, ValueError) as err:
        out(f"✗ {err}")
        return 2
    path = Path(args.notebook)
    report = run_check(
        notebook,
        path.name,
        run=not args.no_run,
        folder=path.parent,
        timeout=args.timeout,
    )
    out(str(report))
    clean = not report.problems and not report.unfinished
    return 0 if report.ok or (args.no_run and clean) else 1


if __name__ == "__main__":
    sys.exit(main())
