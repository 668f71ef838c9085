"""The student versions are exactly what `make release` makes from solutions/,
and none of them gives away a solution or a hidden test."""

from __future__ import annotations

import re

import pytest
from _submissions import ROOT, grade_id, source_version, student_version

from cnnkit.check import find_manifest, manifest_of
from grading.course import HIDDEN_BEGIN, HIDDEN_END, assignment_ids, hidden_cells
from grading.release import leaks, release

ASSIGNMENTS = [
    "a1-convolution",
    "a2-pooling",
    "a3-backprop",
    "a4-keras-cnn",
    "a5-transfer",
]


def test_the_five_assignments_are_there_in_course_order():
    assert assignment_ids(ROOT) == ASSIGNMENTS
    released = ROOT / "notebooks" / "assignments"
    assert sorted(p.name for p in released.iterdir()) == ASSIGNMENTS
    for assignment in ASSIGNMENTS:
        files = sorted(p.name for p in (released / assignment).iterdir())
        assert files == [f"{assignment}.ipynb"], files


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    """Every student version, made again from solutions/ into a new folder."""
    out = tmp_path_factory.mktemp("release")
    paths = release(ROOT, output=out)
    return {p.parent.name: p for p in paths}


@pytest.mark.parametrize("assignment", assignment_ids(ROOT))
def test_committed_student_version_is_exactly_what_release_makes(
    regenerated, assignment
):
    committed = ROOT / "notebooks" / "assignments" / assignment / f"{assignment}.ipynb"
    assert regenerated[assignment].read_bytes() == committed.read_bytes(), (
        f"{committed.relative_to(ROOT)} differs from what `make release` makes: "
        "run `make release` and commit the result"
    )
    assert not (ROOT / "gradebook.db").exists()


def _regions(text: str, begin: str, end: str) -> list[str]:
    lines, inside = [], False
    for line in text.split("\n"):
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside and line.strip() and not line.strip().startswith("#"):
            lines.append(line.strip())
    return lines


def _outside(text: str) -> list[str]:
    lines, depth = [], 0
    for line in text.split("\n"):
        if "BEGIN SOLUTION" in line or HIDDEN_BEGIN in line:
            depth += 1
        elif "END SOLUTION" in line or HIDDEN_END in line:
            depth -= 1
        elif depth == 0:
            lines.append(line.strip())
    return lines


@pytest.mark.parametrize("assignment", assignment_ids(ROOT))
def test_no_student_version_holds_a_solution_or_a_hidden_test(assignment):
    student = student_version(assignment)
    assert leaks(student) == []
    text = "\n".join("".join(c["source"]) for c in student["cells"])
    plain = {line.strip() for line in text.split("\n")}
    cells = source_version(assignment)["cells"]
    source = "\n".join("".join(c["source"]) for c in cells)
    secret = _regions(source, "BEGIN SOLUTION", "END SOLUTION")
    secret += _regions(source, HIDDEN_BEGIN, HIDDEN_END)
    # Lines the source also has outside its regions (a visible test's call,
    # say) are public; so are short ones a stub may share ("return out").
    public = set(_outside(source))
    shown = [x for x in secret if x in plain and x not in public and len(x) > 20]
    assert not shown, shown[:5]
    for cell in student["cells"]:
        if cell.get("outputs"):
            raise AssertionError(f"{grade_id(cell)} stores outputs")


@pytest.mark.parametrize("assignment", assignment_ids(ROOT))
def test_the_record_in_the_self_check_cell_matches_the_notebook(assignment):
    student = student_version(assignment)
    record = find_manifest(student)
    hidden = hidden_cells(source_version(assignment))
    assert record["assignment"] == assignment
    assert record["cells"] == manifest_of(student, hidden)


_POINTS = re.compile(r"\((\d+) points?[;)]")


@pytest.mark.parametrize("assignment", assignment_ids(ROOT))
def test_every_assignment_follows_the_course_layout(assignment):
    source = source_version(assignment)
    cells = [c for c in source["cells"] if grade_id(c)]
    names = [grade_id(c) for c in cells]
    assert len(names) == len(set(names)), "grade_ids must be unique"
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", n) for n in names), names
    assert names[:3] == ["intro", "setup-colab", "setup-imports"]
    assert names[-1] == "self-check"
    assert "check()" in "".join(cells[-1]["source"])
    limits = source["metadata"]["cnnkit"]["limits"]
    assert 0 < limits["cell"] <= limits["notebook"]

    hidden = hidden_cells(source)
    points = visible = 0.0
    for cell in cells:
        meta = cell["metadata"]["nbgrader"]
        text = "".join(cell["source"])
        if meta.get("solution"):
            assert "BEGIN SOLUTION" in text, grade_id(cell)
        if meta.get("grade"):
            first = text.split("\n")[0]
            kind = "Hidden tests:" if grade_id(cell) in hidden else "Visible tests:"
            assert first.startswith(f"# {kind}"), (grade_id(cell), first)
            said = _POINTS.search(text.split("###")[0].replace("\n# ", " "))
            assert said and float(said.group(1)) == meta["points"], grade_id(cell)
            points += meta["points"]
            visible += 0 if grade_id(cell) in hidden else meta["points"]
    intro = "".join(cells[0]["source"])
    stated = r"\*\*Points:\*\* (\d+) in all, (\d+) of them in visible tests"
    said = re.search(stated, intro)
    assert said, "the introduction states the points"
    assert (float(said.group(1)), float(said.group(2))) == (points, visible)


def test_a_test_cell_may_not_mix_visible_and_hidden_tests():
    cell = {
        "cell_type": "code",
        "source": "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(0) == 0\n"
        "### END HIDDEN TESTS",
        "metadata": {"nbgrader": {"grade_id": "mixed", "grade": True}},
    }
    with pytest.raises(ValueError, match=r'cell "mixed": a hidden test cell may hold'):
        hidden_cells({"cells": [cell]})


def test_release_names_the_assignments_when_given_a_wrong_one():
    with pytest.raises(ValueError, match=r"there is no 'a9-nothing'.*a1-convolution"):
        release(ROOT, ["a9-nothing"])


def _points(assignment: str) -> tuple[float, float]:
    source = source_version(assignment)
    hidden = hidden_cells(source)
    graded = [
        (grade_id(c), c["metadata"]["nbgrader"]["points"])
        for c in source["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("grade")
    ]
    total = sum(p for _, p in graded)
    return total, total - sum(p for name, p in graded if name in hidden)


def _table(page: str) -> dict[str, list[str]]:
    """Rows of a page's tables that start with assignment names."""
    rows = {}
    for line in (ROOT / "book" / page).read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        for name in (
            re.findall(r"`(a\d-[a-z0-9-]+)`", cells[0]) if line.startswith("|") else []
        ):
            rows[name] = cells
    return rows


def test_the_students_guide_states_each_assignments_points():
    rows = _table("assignments.md")
    assert sorted(rows) == assignment_ids(ROOT)
    for assignment, cells in rows.items():
        total, visible = _points(assignment)
        assert cells[-1] == f"{total:g} ({visible:g})", assignment


def test_the_instructors_guide_states_each_assignments_time_limits():
    rows = _table("instructors.md")
    assert sorted(rows) == assignment_ids(ROOT)
    for assignment, cells in rows.items():
        limits = source_version(assignment)["metadata"]["cnnkit"]["limits"]
        stated = [float(c.split()[0]) * 60 for c in cells[1:3]]
        assert stated == [limits["cell"], limits["notebook"]], assignment


def test_nbgraders_cell_runner_gets_the_configured_limits():
    """nbgrader runs cells with its own Execute preprocessor (30 s by default):
    the course's file and the per-assignment override must reach it."""
    from nbgrader.preprocessors import Execute

    from grading.course import load_config

    assert Execute().timeout == 30  # what nbgrader would use unconfigured
    configured = Execute(config=load_config(ROOT))
    assert (configured.timeout, configured.interrupt_on_timeout) == (120, True)
    override = load_config(ROOT, {"Execute": {"timeout": 300}})
    assert Execute(config=override).timeout == 300
