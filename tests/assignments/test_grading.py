"""End to end: grade a small class of each assignment with `grading.grade`.

Each class has the solution, the untouched student version, three realistic
wrong submissions, a file broken in the middle of a save, and the solution
saved by Google Colab. Grading runs once per assignment, in a temporary
course folder (a copy of nbgrader_config.py and the assignment's source), so
no gradebook or submission is ever written into the repository.

A wrong submission is the solution with a few lines changed, the way students
get them wrong; the test names the test cells it must fail, and so its score.
The seconds each submission took are printed (``pytest -s``) and kept in
``grades/<id>.csv`` of the temporary course.
"""

from __future__ import annotations

import html
import json
import re
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from _submissions import (
    ROOT,
    cell_of,
    hidden_lines,
    make_course,
    needs_sandbox,
    replace_in,
    solved,
    student_version,
    to_colab,
    write,
    write_broken,
)

from grading.course import SELF_CHECK_ID
from grading.grade import Row, grade, read_rows

pytestmark = [pytest.mark.slow, needs_sandbox]


@dataclass
class Wrong:
    """A realistic mistake: (answer cell, old code, new code) edits."""

    name: str
    edits: list[tuple[str, str, str]]
    failed: set[str]
    score: float


WRONG = {
    "a1-convolution": [
        Wrong(
            "flipped-kernel",
            [
                (
                    "feature-map",
                    "np.sum(window * kernel)",
                    "np.sum(window * kernel[::-1, ::-1])",
                )
            ],
            {"feature-map-visible", "feature-map-orientation"},
            17,
        ),
        Wrong(
            "integer-output",
            [
                (
                    "feature-map",
                    "image = np.asarray(image, dtype=float)",
                    "image = np.asarray(image)",
                ),
                (
                    "feature-map",
                    "out = np.empty((rows, cols))",
                    "out = np.empty((rows, cols), image.dtype)",
                ),
            ],
            {"feature-map-inputs", "edge-strength-hidden"},
            18,
        ),
        Wrong(
            "same-padding-on-the-wrong-side",
            [
                (
                    "same-pads",
                    "return total // 2, total - total // 2",
                    "return total - total // 2, total // 2",
                )
            ],
            {"same-pads-hidden", "feature-map-stride-padding"},
            17,
        ),
        # a part that only calls the library it asks for earns nothing
        Wrong(
            "only-calls-cnnkit",
            [
                (
                    "feature-map",
                    "    image = np.asarray(image, dtype=float)\n",
                    "    return cnnkit.conv2d(image, kernel, bias, stride=stride, "
                    "padding=padding)\n",
                )
            ],
            {
                "feature-map-visible",
                "feature-map-orientation",
                "feature-map-bias",
                "feature-map-stride-padding",
                "feature-map-inputs",
                "feature-map-arguments",
                "edge-strength-visible",
                "edge-strength-hidden",
            },
            9,
        ),
    ],
    "a2-pooling": [
        Wrong(
            "averages-over-padding",
            [("pool-map", "constant_values=np.nan", "constant_values=0.0")],
            {"pool-map-same-padding"},
            16,
        ),
        Wrong(
            "global-pool-on-the-wrong-axes",
            [("pool-whole", "axis=(0, 1))", "axis=(1, 2))")],
            {"pool-whole-visible", "pool-whole-hidden"},
            16,
        ),
        Wrong(
            "pool-stride-defaults-to-1",
            [
                (
                    "predict",
                    's = layer.get("strides") or k',
                    's = layer.get("strides") or 1',
                )
            ],
            {"predict-visible", "predict-pooling"},
            14,
        ),
    ],
    "a3-backprop": [
        Wrong(
            "flipped-kernel-in-dx",
            [
                (
                    "grad-input",
                    "+= dout[i, j] * kernel",
                    "+= dout[i, j] * kernel[::-1, ::-1]",
                )
            ],
            {"grad-input-visible", "grad-input-hidden"},
            18,
        ),
        Wrong(
            "mean-for-the-bias-gradient",
            [("grad-bias", "np.sum(dout)", "np.mean(dout)")],
            {"grad-bias-visible", "grad-bias-hidden"},
            20,
        ),
        Wrong(
            "numerical-gradient-changes-x",
            [
                (
                    "numerical-grad",
                    "x = np.array(x, dtype=float)",
                    "x = np.asarray(x, dtype=float)",
                ),
                ("numerical-grad", "        x[i] = old\n", ""),
            ],
            # it costs part 4's points only: the gradient check's tests give
            # numerical_grad copies
            {"numerical-grad-visible", "numerical-grad-hidden"},
            18,
        ),
    ],
    "a4-keras-cnn": [
        Wrong(
            "channels-first",
            [("prepare", "[..., np.newaxis]", "[:, np.newaxis]")],
            {"prepare-visible", "prepare-hidden", "budget-visible", "accuracy-visible"},
            7,
        ),
        Wrong(
            "dense-layers-only",
            [
                (
                    "build-model",
                    'layers.Conv2D(16, 3, activation="relu"),\n'
                    "            layers.MaxPooling2D(),\n"
                    '            layers.Conv2D(32, 3, activation="relu"),\n'
                    "            layers.MaxPooling2D(),\n"
                    "            layers.Flatten(),",
                    "layers.Flatten(),\n"
                    '            layers.Dense(32, activation="relu"),',
                )
            ],
            {"build-model-visible", "accuracy-visible"},
            8,
        ),
        Wrong(
            "forgot-to-compile",
            [
                (
                    "build-model",
                    "    model.compile(\n"
                    '        optimizer="adam",\n'
                    '        loss="sparse_categorical_crossentropy",\n'
                    '        metrics=["accuracy"],\n'
                    "    )\n",
                    "",
                )
            ],
            {"build-model-visible", "budget-visible", "accuracy-visible"},
            7,
        ),
    ],
    "a5-transfer": [
        Wrong(
            "base-not-frozen",
            [("build-transfer-model", "    base.trainable = False\n", "")],
            {"build-visible"},
            6,
        ),
        Wrong(
            "unbalanced-pick",
            [
                (
                    "pick-per-class",
                    "picks = [\n"
                    "        rng.choice(np.flatnonzero(y == label), per_class, "
                    "replace=False)\n"
                    "        for label in np.unique(y)\n"
                    "    ]\n"
                    "    return np.sort(np.concatenate(picks))",
                    "n = per_class * len(np.unique(y))\n"
                    "    return np.sort(rng.choice(len(y), n, replace=False))",
                )
            ],
            {"pick-visible", "pick-hidden"},
            6,
        ),
        Wrong(
            "a-fresh-base",
            [
                (
                    "build-transfer-model",
                    "            base,\n",
                    "            cnnkit.pretrained.build_base(),\n",
                )
            ],
            {"build-visible", "build-hidden", "accuracy-visible"},
            3,
        ),
    ],
}

ASSIGNMENTS = sorted(WRONG)


def wrong_notebook(assignment: str, wrong: Wrong) -> dict:
    notebook = solved(assignment)
    for cell, old, new in wrong.edits:
        notebook = replace_in(notebook, cell, old, new)
    return notebook


def make_class(folder: Path, assignment: str) -> dict[str, str]:
    """Write the class's submissions; return student -> what it is."""
    kinds = {
        "s1-solution": "solution",
        "s2-untouched": "untouched",
        "s8-broken": "broken",
        "s9-colab": "colab",
    }
    write(solved(assignment), folder / "s1-solution.ipynb")
    write(student_version(assignment), folder / "s2-untouched.ipynb")
    for n, wrong in enumerate(WRONG[assignment], 3):
        student = f"s{n}-{wrong.name}"
        kinds[student] = wrong.name
        # JupyterLab keeps a student's notebook in a folder of their own.
        write(
            wrong_notebook(assignment, wrong), folder / student / f"{assignment}.ipynb"
        )
    write_broken(folder / "s8-broken.ipynb", assignment)
    write(to_colab(solved(assignment)), folder / "s9-colab.ipynb", indent=2)
    return kinds


def check_feedback(course: Path, assignment: str, rows: dict[str, Row]) -> None:
    """Every student has feedback; it never shows hidden tests' code."""
    secret = hidden_lines(assignment)
    assert secret
    for student, row in rows.items():
        page = course / "feedback" / student / assignment / f"{assignment}.html"
        text = page.read_text(encoding="utf-8")
        if row.status == "failed":
            assert "could not be graded" in text and row.reason.split(":")[0] in text
            continue
        plain = html.unescape(re.sub(r"<[^>]+>", "", text))
        lines = {line.strip() for line in plain.splitlines()}
        leaked = [line for line in secret if line in lines]
        assert not leaked, f"{student}'s feedback shows hidden tests: {leaked[:3]}"
        assert "(hidden tests: not shown)" in plain
        for failure in filter(None, row.failed_tests.split(" | ")):
            message = failure.split(": ", 1)[1][:60]
            assert message in plain, f"{student}'s feedback lacks {message!r}"


def check_self_check_stands_aside(course: Path, assignment: str, student: str):
    """The notebook's self-check cell sees that the grader runs it (nbgrader's
    variable reaches the sandboxed kernel) and says so, rather than failing
    to find the notebook and showing an error in the student's feedback."""
    path = course / "autograded" / student / assignment / f"{assignment}.ipynb"
    cell = cell_of(json.loads(path.read_text(encoding="utf-8")), SELF_CHECK_ID)
    assert [o["output_type"] for o in cell["outputs"]] == ["stream"]
    assert "self-check skipped: the grader" in "".join(cell["outputs"][0]["text"])


def print_timings(assignment: str, rows: dict[str, Row], elapsed: float) -> None:
    graded = [r.seconds for r in rows.values() if r.status != "failed"]
    print(
        f"\n{assignment}: {len(rows)} submissions graded in {elapsed:.0f} s; "
        f"{sum(graded) / len(graded):.1f} s per gradable submission "
        f"(min {min(graded):.1f}, max {max(graded):.1f})"
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_class_is_graded_as_expected(tmp_path, assignment):
    course = make_course(tmp_path, assignment)
    submissions = tmp_path / "submissions"
    kinds = make_class(submissions, assignment)
    lines: list[str] = []
    start = time.perf_counter()
    # Two at a time, as `make grade` grades on this course's 2-core machines.
    rows = grade(course, assignment, submissions, jobs=2, out=lines.append)
    elapsed = time.perf_counter() - start
    print("\n".join(lines))
    print_timings(assignment, rows, elapsed)
    total = rows["s1-solution"].max_score

    by_kind = {kinds[s]: row for s, row in rows.items()}
    assert set(rows) == set(kinds)
    solution = by_kind["solution"]
    assert (solution.score, solution.status, solution.failed_tests) == (total, "ok", "")
    untouched = by_kind["untouched"]
    assert (untouched.score, untouched.status) == (0, "unanswered")
    assert "NotImplementedError" in untouched.failed_tests
    for wrong in WRONG[assignment]:
        row = by_kind[wrong.name]
        failed = {f.split(": ")[0] for f in row.failed_tests.split(" | ") if f}
        assert (failed, row.score, row.status) == (wrong.failed, wrong.score, "ok"), (
            wrong.name
        )
    broken = by_kind["broken"]
    assert broken.status == "failed" and broken.score == 0
    # the reason names the student's file, not the grader's copy of it
    assert broken.reason.startswith("s8-broken.ipynb is not a valid notebook file")
    colab = by_kind["colab"]
    assert (colab.score, colab.status, colab.failed_tests) == (total, "ok", "")

    # nbgrader's own export agrees, and every student has feedback
    exported = (course / "grades" / "grades.csv").read_text().splitlines()
    assert len(exported) == 1 + len(rows)
    for student, row in rows.items():
        line = next(x for x in exported if f",{student}," in x)
        assert line.endswith(f",{row.score},{total}"), line
    check_feedback(course, assignment, rows)
    check_self_check_stands_aside(course, assignment, "s1-solution")
    # Students are taken in order; with two at a time, the broken one (s8)
    # has failed by the time the last is taken unless the other worker
    # took it first.
    progress = [x for x in lines if x.startswith("[")]
    assert progress[0] == f"[1/{len(rows)}] s1-solution (failures so far: 0)"
    assert re.fullmatch(
        rf"\[{len(rows)}/{len(rows)}\] s9-colab \(failures so far: [01]\)",
        progress[-1],
    )
    assert [x.split()[1] for x in progress] == sorted(rows)
    assert not (ROOT / "gradebook.db").exists()

    if assignment == "a1-convolution":
        rerun_from_an_lms_zip(tmp_path, course, assignment, submissions, rows)


def rerun_from_an_lms_zip(tmp_path, course, assignment, submissions, first):
    """Run again on a Canvas zip in which one student has handed in again."""
    again_file = write(solved(assignment), tmp_path / "again.ipynb")
    archive = tmp_path / "canvas.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for n, path in enumerate(sorted(submissions.rglob("*.ipynb")), 1):
            student = path.stem if path.parent == submissions else path.parent.name
            late = "_late" if student == "s2-untouched" else ""
            z.write(
                again_file if late else path,
                f"{student}{late}_{1000 + n}_{2000 + n}_{assignment}.ipynb",
            )
    lines: list[str] = []
    again = grade(course, assignment, archive, out=lines.append)
    print("\n".join(lines))
    assert set(again) == set(first)
    assert again["s2-untouched"].score == first["s1-solution"].score
    assert again["s2-untouched"].late == "late"  # the LMS's mark reaches the CSV
    for student, row in first.items():
        if student != "s2-untouched":
            assert again[student] == row, student  # kept, failures too
    assert sum("grade kept" in x for x in lines) == len(first) - 1
    replaced = course / "grades" / "replaced" / assignment
    assert len(list(replaced.glob("s2-untouched-*.ipynb"))) == 1  # nothing lost
    assert read_rows(course / "grades" / f"{assignment}.csv") == again
