"""Fair statuses: rescued pasted notebooks, unanswered ones, failures kept, late
marks carried (the end-to-end test grades a small a1 class through
``grading.grade``; the others need no kernel)."""

from __future__ import annotations

import copy
import dataclasses
import doctest
import random
import time
import zipfile

import pytest
from _submissions import (
    cell_of,
    make_course,
    needs_sandbox,
    replace_in,
    solved,
    student_version,
    write,
)

import grading.rescue
from cnnkit.check import cell_source, manifest_of, unfinished
from grading.grade import grade, read_rows
from grading.rescue import rescue, restore_metadata

A1 = "a1-convolution"
CODE = {"outputs": [], "execution_count": None}


def pasted(notebook: dict, *, shuffle: int | None = None) -> dict:
    """A notebook's cells pasted into a fresh Colab notebook: no metadata, no ids."""
    cells = [
        {
            "cell_type": c["cell_type"],
            "metadata": {},
            "source": cell_source(c),
            **(
                {"outputs": [], "execution_count": None}
                if c["cell_type"] == "code"
                else {}
            ),
        }
        for c in notebook["cells"]
    ]
    if shuffle is not None:
        random.Random(shuffle).shuffle(cells)
    return {
        "nbformat": 4,
        "nbformat_minor": 0,
        "metadata": {"colab": {"provenance": []}},
        "cells": cells,
    }


def answers(notebook: dict) -> dict[str, str]:
    return {
        c["metadata"]["nbgrader"]["grade_id"]: cell_source(c).strip()
        for c in notebook["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }


def test_a_pasted_notebook_is_rebuilt_with_every_answer_in_its_cell():
    released, done = student_version(A1), solved(A1)
    found = rescue(pasted(done), released)
    assert found.notebook is not None and not found.missing
    assert found.fixed == found.fixed_total
    assert answers(found.notebook) == answers(done)

    # the released cells, in the released order, metadata and all
    def graded(notebook):
        return [c["metadata"] for c in notebook["cells"] if "nbgrader" in c["metadata"]]

    assert graded(found.notebook) == graded(released)


def test_a_notebook_pasted_out_of_order_still_finds_the_answers_that_define_functions():
    done = solved(A1)
    found = rescue(pasted(done, shuffle=3), student_version(A1))
    named = {"out-length", "same-pads", "feature-map", "edge-strength"}
    assert named <= set(found.answers)
    got, want = answers(found.notebook), answers(done)
    assert all(got[name] == want[name] for name in named)


def test_an_answer_without_a_function_is_found_between_its_neighbours():
    done = solved(A1)
    found = rescue(pasted(done), student_version(A1))
    assert "rightward" in found.answers
    assert answers(found.notebook)["rightward"] == answers(done)["rightward"]


def test_helper_cells_of_the_students_are_kept_before_the_answer_that_uses_them():
    done = copy.deepcopy(pasted(solved(A1)))
    index = next(
        i for i, c in enumerate(done["cells"]) if "def same_pads" in cell_source(c)
    )
    done["cells"].insert(
        index, {"cell_type": "code", "metadata": {}, "source": "HELP = 1"}
    )
    found = rescue(done, student_version(A1))
    sources = [cell_source(c) for c in found.notebook["cells"]]
    assert found.extra == 1
    assert sources.index("HELP = 1") < next(
        i for i, s in enumerate(sources) if "def same_pads" in s
    )


def test_a_notebook_with_nothing_of_the_assignment_is_not_rescued():
    other = {"cells": [{"cell_type": "code", "metadata": {}, "source": "print(1)"}]}
    assert rescue(other, student_version(A1)).notebook is None


def test_the_modules_examples_run():
    flags = doctest.NORMALIZE_WHITESPACE  # as pytest runs the other examples
    assert doctest.testmod(grading.rescue, optionflags=flags).failed == 0


#: Cells of a1 whose metadata the next test edits.
NAMES = ["intro", "same-pads", "same-pads-hidden"]


def test_edited_grading_metadata_is_put_back_and_nothing_else_is_touched():
    released = student_version(A1)
    done = solved(A1)
    assert not restore_metadata(done, released)  # an honest notebook
    before = copy.deepcopy(done)
    meta = {name: cell_of(done, name)["metadata"]["nbgrader"] for name in NAMES}
    meta["intro"]["checksum"] = "recomputed by nbgrader anyway"
    meta["same-pads"]["locked"] = True  # an answer cell made read-only
    meta["same-pads-hidden"]["points"] = 100
    del meta["same-pads-hidden"]["schema_version"]
    copied = {"grade_id": "pool-map", "grade": False, "solution": True}  # from a2
    done["cells"].insert(3, {"cell_type": "code", "metadata": {"nbgrader": copied}})
    restored = restore_metadata(done, released)
    assert restored.put_back == ["same-pads", "same-pads-hidden"]
    assert restored.removed == ["pool-map"]
    for name in NAMES[1:]:
        assert cell_of(done, name) == cell_of(before, name)
    assert done["cells"][3]["metadata"] == {}
    assert meta["intro"]["checksum"].startswith("recomputed")


def test_the_untouched_version_is_unanswered_and_a_solved_one_is_not():
    released = student_version(A1)
    answers = {c["grade_id"] for c in manifest_of(released) if c["kind"] == "answer"}
    assert answers <= set(unfinished(released))  # what grading calls unanswered
    assert not set(unfinished(solved(A1)))


@pytest.mark.slow
@needs_sandbox
def test_statuses_through_make_grade(tmp_path):
    """Rescued with full marks; rescued with one answer wrong loses exactly
    that answer's points; edited grading metadata is repaired; untouched is
    unanswered; nothing matching fails and is not run again; a late file is
    marked late; a file the grader rewrote is not taken for a new one."""
    course = make_course(tmp_path, A1)
    done = solved(A1)
    wrong = replace_in(
        done, "same-pads", "return total // 2, total - total // 2", "return 0, total"
    )
    folder = tmp_path / "class"
    write(done, folder / "ok-solution.ipynb")
    write(pasted(done), folder / "pasted-solution.ipynb")
    write(wrong, folder / "same-pads-wrong.ipynb")
    write(pasted(wrong), folder / "pasted-same-pads-wrong.ipynb")
    write(student_version(A1), folder / "untouched.ipynb")
    essay = {"cell_type": "code", "metadata": {}, "source": "print('my essay')"}
    write(pasted({"cells": [essay]}), folder / "wrong-file.ipynb")
    edited = copy.deepcopy(done)
    cell_of(edited, "same-pads")["metadata"]["nbgrader"]["points"] = "x"
    copied = {"grade_id": "pool-map", "grade": True, "points": 2, "locked": True}
    helper = {"id": "from-a2", "metadata": {"nbgrader": copied}, "source": "y = 1"}
    edited["cells"].insert(3, {"cell_type": "code", **helper, **CODE})
    write(edited, folder / "metadata-edited.ipynb")
    malformed = copy.deepcopy(done)
    cell_of(malformed, "same-pads")["outputs"] = ["a string"]
    write(malformed, folder / "outputs-malformed.ipynb")

    rows = grade(course, A1, folder, out=print)
    total = rows["ok-solution"].max_score
    assert (rows["ok-solution"].score, rows["ok-solution"].status) == (total, "ok")
    solution = rows["pasted-solution"]
    assert (solution.score, solution.status) == (total, "rescued"), solution
    assert "answers out-length, same-pads, feature-map" in solution.reason
    mistake, pasted_mistake = rows["same-pads-wrong"], rows["pasted-same-pads-wrong"]
    assert mistake.score < total and mistake.status == "ok"
    assert (pasted_mistake.score, pasted_mistake.status) == (mistake.score, "rescued")
    assert pasted_mistake.failed_tests == mistake.failed_tests
    untouched = rows["untouched"]
    assert (untouched.score, untouched.status) == (0, "unanswered")
    lost = rows["wrong-file"]
    assert (lost.score, lost.status) == (0, "failed")
    assert lost.reason.startswith("nothing in it matches the assignment's cells")
    edited = rows["metadata-edited"]
    assert (edited.score, edited.status) == (total, "repaired"), edited
    assert '"same-pads" had been edited' in edited.reason
    assert 'assignment ("pool-map") was removed' in edited.reason
    cleared = rows["outputs-malformed"]
    assert (cleared.score, cleared.status) == (total, "ok"), cleared

    # the hidden tests put back in every test cell are expected: not in the log
    log = (course / "grades" / f"{A1}.log").read_text(encoding="utf-8")
    assert "Attribute 'checksum'" not in log

    # again, from the folder, then as an LMS zip in which one file is late:
    # every submission is unchanged, so none is run again, failures included
    for again in (folder, tmp_path / "canvas.zip"):
        if again.suffix == ".zip":
            with zipfile.ZipFile(again, "w") as z:
                for n, path in enumerate(sorted(folder.glob("*.ipynb"))):
                    late = "_late" if path.stem == "untouched" else ""
                    z.write(path, f"{path.stem}{late}_{10 + n}_{20 + n}_{A1}.ipynb")
        lines: list[str] = []
        start = time.perf_counter()
        kept = grade(course, A1, again, out=lines.append)
        print("\n".join(lines))
        assert sum("grade kept" in line for line in lines) == len(rows)
        assert time.perf_counter() - start < 120  # nbgrader starts; nothing runs
        for student, row in rows.items():
            late = "late" if again.suffix == ".zip" and student == "untouched" else ""
            assert kept[student] == dataclasses.replace(row, late=late), student
    assert read_rows(course / "grades" / f"{A1}.csv")["untouched"].late == "late"
    # the files rebuilt by the grader were never kept as replaced submissions
    assert not (course / "grades" / "replaced").exists()
