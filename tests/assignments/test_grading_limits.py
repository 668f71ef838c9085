"""Grading survives what students' notebooks do to it (assignment 1's class).

Time limits really apply: a cell that never ends is interrupted at the cell
limit and the notebook goes on; a notebook whose cells each stay under the
cell limit but together run past the notebook limit is stopped there. A
kernel that dies, a copied, a deleted and an edited graded cell are each
recorded with their reason, and the run always goes on to the next student.
"""

from __future__ import annotations

import copy
import time

import pytest
from _submissions import (
    cell_of,
    grade_id,
    grading_temporary_files,
    make_course,
    needs_sandbox,
    replace_in,
    solved,
    with_answers,
    write,
)

from grading.grade import grade

pytestmark = [pytest.mark.slow, needs_sandbox]

A1 = "a1-convolution"
# Short limits, so that the test itself stays short: each of the slow
# notebook's four pauses stays under the cell limit, together they pass the
# notebook limit.
CELL, NOTEBOOK, PAUSE = 12, 25, 10


def _answer(notebook: dict, name: str) -> str:
    return "".join(cell_of(notebook, name)["source"])


def make_class(folder):
    sol = solved(A1)
    # a copied answer cell (both copies run; nbgrader grades the last)
    nb = copy.deepcopy(sol)
    i = next(k for k, c in enumerate(nb["cells"]) if grade_id(c) == "feature-map")
    nb["cells"].insert(i + 1, copy.deepcopy(nb["cells"][i]))
    nb["cells"][i + 1]["id"] = "feature-map-copy"
    write(nb, folder / "s1-copied-cell.ipynb")
    # a deleted answer cell and the test cell after it (nbgrader 0.9.6 alone
    # would crash putting the test back: the cell before it is gone too)
    nb = copy.deepcopy(sol)
    gone = ("feature-map", "feature-map-visible")
    nb["cells"] = [c for c in nb["cells"] if grade_id(c) not in gone]
    write(nb, folder / "s2-deleted-cells.ipynb")
    # a flipped kernel, and the visible test that caught it edited away
    nb = replace_in(
        sol,
        "feature-map",
        "np.sum(window * kernel)",
        "np.sum(window * kernel[::-1, ::-1])",
    )
    cell_of(nb, "feature-map-visible")["source"] = ["# the test is wrong\n", "pass"]
    write(nb, folder / "s3-edited-test.ipynb")
    # a kernel that dies
    code = _answer(sol, "out-length") + "\n\nimport os\n\nos._exit(1)"
    write(with_answers(sol, {"out-length": code}), folder / "s4-kernel-dies.ipynb")
    # a loop that never ends, in one cell
    loop = """
    rightward = np.zeros((3, 3))
    while np.sum(rightward) == 0:  # tune it until it responds
        rightward[1, 1] += 0.0
    """
    write(with_answers(sol, {"rightward": loop}), folder / "s5-endless-loop.ipynb")
    # four cells, each under the cell limit, together past the notebook limit
    nb = sol
    for name in ("out-length", "same-pads", "feature-map", "edge-strength"):
        code = (
            _answer(nb, name)
            + f"\n\nimport time\n\ntime.sleep({PAUSE})  # a slow download"
        )
        nb = with_answers(nb, {name: code})
    write(nb, folder / "s6-slow-notebook.ipynb")
    write(sol, folder / "s7-solution.ipynb")
    # a warning in every call of feature_map: nothing to lose points for
    old = '"""\n    image = np.asarray'
    warn = '    import warnings\n\n    warnings.warn("slow loops")\n'
    new = f'"""\n{warn}    image = np.asarray'
    write(replace_in(sol, "feature-map", old, new), folder / "s8-warns.ipynb")


def test_limits_and_broken_notebooks(tmp_path):
    course = make_course(tmp_path, A1)
    make_class(tmp_path / "class")
    lines: list[str] = []
    temporary = grading_temporary_files()
    start = time.perf_counter()
    rows = grade(
        course,
        A1,
        tmp_path / "class",
        cell_timeout=CELL,
        notebook_timeout=NOTEBOOK,
        out=lines.append,
    )
    # nothing left behind, though a grading process was killed with its kernel
    assert grading_temporary_files() - temporary == set()
    print("\n".join(lines), f"\n{time.perf_counter() - start:.0f} s")
    total = rows["s7-solution"].max_score
    for student in ("s7-solution", "s8-warns"):
        assert (rows[student].score, rows[student].status) == (total, "ok"), student

    copied = rows["s1-copied-cell"]
    assert (copied.score, copied.status) == (total, "repaired")
    assert (
        copied.reason == 'answer cell "feature-map" appears 2 times (copied or pasted?)'
    )

    # the test cell is back and ran; without feature_map, 9 points for it and
    # 3 for edge_strength, which uses it, are lost
    deleted = rows["s2-deleted-cells"]
    assert (deleted.score, deleted.status) == (total - 12, "repaired")
    assert deleted.reason == (
        'answer cell "feature-map" is missing (deleted, or its metadata lost); '
        'tests cell "feature-map-visible" is missing (deleted, or its metadata lost)'
    )
    assert "feature-map-visible: NameError: name 'feature_map' is not defined" in (
        deleted.failed_tests
    )

    edited = rows["s3-edited-test"]  # nbgrader ran the original test again
    assert (edited.score, edited.status) == (total - 4, "repaired")
    assert 'tests cell "feature-map-visible" was edited' in edited.reason
    assert "feature-map-visible: AssertionError" in edited.failed_tests

    dead = rows["s4-kernel-dies"]
    assert (dead.score, dead.status) == (0, "failed")
    assert (
        dead.reason == "the kernel died while running the notebook (it crashed Python)"
    )

    # The endless cell was interrupted at the cell limit: its tests fail (its
    # array was still all zeros, which passes the visible test), the notebook
    # went on, and the rest of it earned its points.
    loop = rows["s5-endless-loop"]
    assert (loop.score, loop.status) == (total - 2, "ok")
    assert loop.reason == f'cell "rightward" stopped after {CELL} s'
    assert loop.failed_tests.startswith("rightward-hidden: ")

    slow = rows["s6-slow-notebook"]
    assert (slow.score, slow.status) == (0, "failed")
    assert slow.reason == f"timed out: the notebook ran longer than {NOTEBOOK} s"
    # stopped at the limit: running to the end would take 4 pauses and more
    assert NOTEBOOK <= slow.seconds < 4 * PAUSE

    # and every one of them has a feedback page and a row in the gradebook
    for student in rows:
        assert (course / "feedback" / student / A1 / f"{A1}.html").is_file()
    exported = (course / "grades" / "grades.csv").read_text()
    assert exported.count(f"{A1},") == len(rows)
