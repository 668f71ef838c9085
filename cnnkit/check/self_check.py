"""The self-check: a student's notebook checked and run as the grader would.

``check()`` in the notebook's last cell, or ``python -m cnnkit.check FILE``
in a terminal, reads the notebook as saved (in Colab: as it is now), warns
about everything that would break grading, runs it from the top in a fresh
kernel and reports which visible tests pass and the points they are worth.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cnnkit.check.notebook import (
    _nbgrader,
    cell_label,
    find_manifest,
    read_notebook,
    structure_problems,
    unfinished,
)

__all__ = [
    "GRADER_VARIABLE",
    "SELF_CHECK_VARIABLE",
    "CellResult",
    "CheckReport",
    "check",
    "error_line",
    "main",
    "run_check",
]

#: The environment variables that mark a run by the grader or by the
#: self-check itself (no self-check runs inside either).
GRADER_VARIABLE = "NBGRADER_EXECUTION"
SELF_CHECK_VARIABLE = "CNNKIT_SELF_CHECK"


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
    limits: dict = field(default_factory=dict)  # seconds: "cell", "notebook"
    lost: bool = False  # no grading metadata: pasted into a new notebook?

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
        if self.limits:
            lines.append(
                f"Grading limits: {self.limits['cell']:g} s for any one cell, "
                f"{self.limits['notebook']:g} s for the whole notebook."
            )
        if self.lost:
            lines += ["✗ " + LOST, "Fix this first."]
            return "\n".join(lines)
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


#: What the self-check says about a notebook with no grading metadata at all.
LOST = (
    "this notebook has lost the assignment's grading information: its cells "
    "were probably pasted into a new notebook (a Colab copy, or a notebook "
    "rebuilt after a crash). The grader will look for your answers by the "
    "functions they define and grade them in the released notebook, but an "
    "answer it cannot find earns nothing. To be safe: open the released "
    "notebook again (the link or file your instructor gave), paste each answer "
    "into its answer cell there (the cells that say YOUR CODE HERE), save, and "
    "run this check in that notebook."
)


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
        graded = any(_nbgrader(c).get("grade_id") for c in notebook.get("cells", []))
        if not graded:
            report.lost = True
            return report
        report.problems.append(
            "this notebook has no list of its graded cells: is its last cell "
            "(the self-check) still there, as released?"
        )
        manifest = []
    else:
        manifest = record["cells"]
        report.limits = dict(record.get("limits", {}))
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
            where = cell_label(executed.cells, index)
            report.run_errors.append(f"{where}: {message}")
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
    clean = not (report.problems or report.unfinished or report.lost)
    return 0 if report.ok or (args.no_run and clean) else 1
