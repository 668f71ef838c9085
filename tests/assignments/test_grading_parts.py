"""The parts of `grading/` that need no kernel: collecting, keeping, reporting,
hiding hidden tests (the end-to-end tests run the rest)."""

from __future__ import annotations

import doctest
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import grading.preprocessors
from grading.grade import (
    Row,
    _reason_of,
    failure_page,
    from_folder,
    graded_ids,
    read_rows,
    take_in,
    write_rows,
)
from grading.preprocessors import (
    NOTICE,
    OUTPUT_HIDDEN,
    SECRET_LINE,
    HideHiddenTests,
    strip_hidden,
)

A1 = "a1-convolution"


def test_the_modules_examples_run():
    assert doctest.testmod(grading.preprocessors).failed == 0


def test_a_folder_gives_one_notebook_per_student(tmp_path):
    (tmp_path / "ada.ipynb").write_text("{}")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "Copy of a1.ipynb").write_text("{}")
    carl = tmp_path / "carl" / "work"
    carl.mkdir(parents=True)
    for name, age in [("old.ipynb", 100), (f"{A1}.ipynb", 200), ("new.ipynb", 0)]:
        (carl / name).write_text("{}")
        os.utime(carl / name, (time.time() - age, time.time() - age))
    dora = tmp_path / "dora"
    dora.mkdir()
    for name, age in [("draft.ipynb", 100), ("final.ipynb", 0)]:
        (dora / name).write_text("{}")
        os.utime(dora / name, (time.time() - age, time.time() - age))
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "x.ipynb").write_text("{}")
    (tmp_path / "notes.txt").write_text("")
    found = from_folder(A1, tmp_path)
    assert sorted(found) == ["ada", "bob", "carl", "dora"]
    assert found["bob"] == (tmp_path / "bob" / "Copy of a1.ipynb", "")
    assert found["carl"] == (carl / f"{A1}.ipynb", "")  # the assignment's name wins
    assert found["dora"] == (
        dora / "final.ipynb",
        "2 notebooks handed in; graded final.ipynb",  # else the newest
    )


def test_taking_in_a_changed_submission_keeps_the_earlier_one(tmp_path):
    first = tmp_path / "first.ipynb"
    first.write_text('{"v": 1}')
    target, digest = take_in(tmp_path, A1, "ada", first)
    assert target == tmp_path / "submitted" / "ada" / A1 / f"{A1}.ipynb"
    assert target.read_text() == '{"v": 1}' and len(digest) == 64
    assert take_in(tmp_path, A1, "ada", first) == (target, digest)  # unchanged
    kept = tmp_path / "grades" / "replaced" / A1
    assert not kept.exists()
    second = tmp_path / "second.ipynb"
    second.write_text('{"v": 2}')
    take_in(tmp_path, A1, "ada", second)
    assert target.read_text() == '{"v": 2}'
    assert [p.read_text() for p in kept.iterdir()] == ['{"v": 1}']


def test_the_report_survives_a_round_trip(tmp_path):
    rows = {
        "bob": Row("bob", 3.0, 21.0, "failed", "a, reason", "", 1.5, "ab"),
        "ada": Row("ada", 21.0, 21.0, "ok", "", 'x: "quoted" | y', 20.0, "cd"),
    }
    path = tmp_path / "grades" / "a.csv"
    write_rows(path, rows)
    assert read_rows(path) == rows
    assert path.read_text().splitlines()[1].startswith("ada,21.0,21.0,ok")
    assert read_rows(tmp_path / "none.csv") == {}


#: How nbgrader 0.9 logs a graded cell whose ``points`` a student made "x".
CORRUPTED = """\
    jsonschema.exceptions.ValidationError: 'x' is not of type 'number'
    Failed validating 'type' in schema['properties']['points']:
    On instance['points']:
        'x'
[ERROR] Notebook failed to validate; the nbgrader metadata may be corrupted.
    jsonschema.exceptions.ValidationError: Notebook failed to validate; the \
nbgrader metadata may be corrupted.
[ERROR] Please see the the above traceback for details on the specific errors.
nbgrader.converters.base.NbGraderException: Please see the the above traceback
"""


@pytest.mark.parametrize(
    "log, reason",
    [
        (
            "... nbclient.exceptions.DeadKernelError: Kernel died\n",
            "the kernel died while running the notebook (it crashed Python)",
        ),
        (
            "[ERROR] oops\nValueError: bad cell\n",
            "nbgrader could not grade it: ValueError: bad cell",
        ),
        ("", "nbgrader could not grade it: unknown error"),
        (
            "    ValueError: no such cell\n[ERROR] There was an error processing\n"
            "nbgrader.converters.base.NbGraderException: Please see the above\n",
            "nbgrader could not grade it: ValueError: no such cell",
        ),
        (
            CORRUPTED,
            "nbgrader could not grade it: jsonschema.exceptions.ValidationError: "
            "Notebook failed to validate; the nbgrader metadata may be corrupted.",
        ),
    ],
)
def test_a_failure_gets_a_one_line_reason(log, reason):
    assert _reason_of(log) == reason


def test_a_submission_that_could_not_be_graded_gets_a_page(tmp_path):
    page = failure_page(tmp_path, A1, "ada", "timed out <60 s>", 21)
    text = page.read_text()
    assert page == tmp_path / "feedback" / "ada" / A1 / f"{A1}.html"
    assert "could not be graded: timed out &lt;60 s&gt;." in text
    assert "Score: 0 / 21" in text


def test_graded_ids():
    cells = [
        {"metadata": {"nbgrader": {"grade_id": "a"}}},
        {"metadata": {}},
        {"metadata": {"nbgrader": {"grade_id": "b"}}},
    ]
    assert graded_ids({"cells": cells}) == {"a", "b"}


def test_hidden_tests_and_the_tracebacks_that_quote_them_are_removed():
    source = (
        "# Hidden tests: the flip (2 points).\n"
        "### BEGIN HIDDEN TESTS\n"
        "secret = feature_map(x, k)\n"
        "### END HIDDEN TESTS"
    )
    assert strip_hidden(source) == (
        f"# Hidden tests: the flip (2 points).\n{NOTICE}",
        True,
    )
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="AssertionError",
            evalue="feature_map(x, k): expected 1.0, got 2.0",
            traceback=["----> 3 secret = feature_map(x, k)", "AssertionError: ..."],
        )
    ]
    visible = nbformat.v4.new_code_cell("assert f(1) == 2")
    visible.outputs = [
        nbformat.v4.new_output(
            "error", ename="AssertionError", evalue="", traceback=["----> 1 assert"]
        )
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell, visible])
    done, _ = HideHiddenTests().preprocess(notebook, {})
    hidden, shown = done.cells
    assert "secret" not in hidden.source
    assert hidden.outputs[0]["traceback"] == [
        "AssertionError: feature_map(x, k): expected 1.0, got 2.0"
    ]
    assert shown.outputs[0]["traceback"] == ["----> 1 assert"]  # visible: kept


def test_a_wrong_assignment_or_path_is_told_not_traced_back(capsys):
    from grading.grade import main

    assert main(["a9-nothing", "."]) == 2
    error = capsys.readouterr().err
    assert "there is no 'a9-nothing'" in error and "a1-convolution" in error
    assert "Traceback" not in error
    assert main([A1, "~/no-such-folder-of-submissions"]) == 2
    error = capsys.readouterr().err
    assert "does not exist" in error and "~" not in error  # expanded


def test_feedback_shows_nothing_printed_by_a_hidden_cell_nor_a_line_quoting_one():
    secret = "expect_equal(out_length(7, 3, 2, 1), 4)"
    hidden = nbformat.v4.new_code_cell(
        f"visible = 1\n### BEGIN HIDDEN TESTS\n{secret}\n### END HIDDEN TESTS",
        outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=f"saw {secret}\n"),
            nbformat.v4.new_output(
                "error", ename="ValueError", evalue=secret, traceback=[secret]
            ),
        ],
    )
    later = nbformat.v4.new_code_cell(
        "print(In)",
        outputs=[
            nbformat.v4.new_output(
                "stream", name="stdout", text=f"ok\n[{secret!r}, 'x']\nmore\n"
            )
        ],
    )
    notebook = nbformat.v4.new_notebook(cells=[hidden, later])
    done, _ = HideHiddenTests().preprocess(notebook, {})
    page = json.dumps(done)
    assert secret not in page and "out_length(7" not in page
    assert done.cells[0].outputs[0]["text"] == OUTPUT_HIDDEN
    assert done.cells[0].outputs[1]["traceback"] == [f"ValueError: {SECRET_LINE}"]
    assert done.cells[1].outputs[0]["text"] == f"ok\n{SECRET_LINE}\nmore\n"


def test_gradebooks_are_stamped_with_the_revision_alembic_reports(tmp_path):
    from nbgrader.dbutil import ALEMBIC_DIR

    from grading.course import alembic_head

    ini = tmp_path / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = {ALEMBIC_DIR}\n")
    alembic = Path(sys.executable).parent / "alembic"
    heads = subprocess.run(
        [alembic, "-c", ini, "heads"], capture_output=True, text=True, check=True
    )
    assert heads.stdout.split() == [alembic_head(), "(head)"]
