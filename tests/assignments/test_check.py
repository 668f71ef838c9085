"""The student's self-check and the tests' helpers (the cnnkit.check package)."""

from __future__ import annotations

import copy
import json
import os
import sys

import nbformat
import numpy as np
import pytest
from _submissions import cell_of, solved, student_version, to_colab, write
from nbgrader.utils import compute_checksum as nbgrader_checksum

import cnnkit
from cnnkit import check as check_module
from cnnkit.check import (
    OffLimitsError,
    compute_checksum,
    expect_close,
    expect_equal,
    expect_true,
    find_manifest,
    manifest_of,
    off_limits,
    read_notebook,
    run_check,
    structure_problems,
    unfinished,
)

A1 = "a1-convolution"


# -- one-line expectations ----------------------------------------------------


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: expect_equal(2, 3, "out_length(5, 3)"),
            "out_length(5, 3): expected 3, got 2",
        ),
        (
            lambda: expect_equal((1, 2), [1, 2], "pads"),
            "pads: expected [1, 2] (list), got (1, 2) (tuple)",
        ),
        (
            lambda: expect_close(np.zeros(3), np.zeros((3, 1)), "f(x)"),
            "f(x): expected shape (3, 1), got shape (3,)",
        ),
        (
            lambda: expect_close(None, np.zeros(2), "f(x)"),
            "f(x): expected a NumPy array of shape (2,), got NoneType None",
        ),
        (
            lambda: expect_close("a", 1.0, "acc"),
            "acc: expected a number close to 1.0, got 'a'",
        ),
        (
            lambda: expect_true(False, "what: expected x, got y"),
            "what: expected x, got y",
        ),
    ],
)
def test_a_failing_expectation_says_what_was_expected_and_what_came_back(call, message):
    with pytest.raises(AssertionError) as err:
        call()
    assert str(err.value) == message


def test_array_mismatch_names_the_first_wrong_entry_on_one_line():
    got = np.arange(600.0).reshape(20, 30)
    want = got.copy()
    want[3, 4] = -1
    with pytest.raises(AssertionError) as err:
        expect_close(got, want, "big")
    text = str(err.value)
    assert "\n" not in text and len(text) < 500
    assert text.startswith("big: expected -1.0 at index (3, 4), got 94.0")


def test_expectations_that_hold_pass():
    expect_equal(np.array([1, 2]), np.array([1, 2]), "a")
    expect_equal(np.int64(3), 3, "an int")
    expect_close(np.array([1.0, 2.0]), [1.0, 2.0 + 1e-9], "b")
    expect_close(0.5, 0.5 + 1e-12, "c")


# -- off limits ----------------------------------------------------------------

_X = np.arange(16.0).reshape(4, 4)
_K = np.array([[1.0, 0.0], [0.0, -1.0]])


def _calls_library_by_attribute(x, k):
    return cnnkit.conv2d(x, k)


_saved = cnnkit.conv2d  # a name imported before the test starts


def _calls_saved_reference(x, k):
    return _saved(x, k)


def _imports_inside(x, k):
    import scipy.signal

    return scipy.signal.correlate2d(x, k, mode="valid")


def _hides_the_error(x, k):
    try:
        return cnnkit.conv2d(x, k)
    except Exception:
        return np.zeros((3, 3))


def _own_work(x, k):
    h, w = x.shape[0] - 1, x.shape[1] - 1
    return np.array(
        [[np.sum(x[i : i + 2, j : j + 2] * k) for j in range(w)] for i in range(h)]
    )


@pytest.mark.parametrize(
    "function",
    [
        _calls_library_by_attribute,
        _calls_saved_reference,
        _imports_inside,
        _hides_the_error,
    ],
)
def test_off_limits_catches_every_way_of_calling_the_library(function):
    with pytest.raises(OffLimitsError, match="off limits"):
        with off_limits(doing=function.__name__):
            function(_X, _K)


def test_off_limits_lets_numpy_work_and_restores_the_profiler():
    before = sys.getprofile()
    with off_limits(doing="own work"):
        got = _own_work(_X, _K)
    np.testing.assert_allclose(got, cnnkit.conv2d(_X, _K))
    assert sys.getprofile() is before


def test_off_limits_does_not_import_what_it_forbids():
    code = (
        "import sys; from cnnkit.check import off_limits\n"
        "with off_limits('tensorflow', 'keras', 'torch', 'scipy.signal', "
        "'keras.Model.count_params'):\n    pass\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'scipy.signal') "
        "if m in sys.modules))"
    )
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_off_limits_forbids_single_functions_methods_and_properties():
    class Layer:
        def count_params(self):
            return 3

        @property
        def weights(self):
            return [1]

    module = type(sys)("fake_keras")
    module.Layer = Layer
    sys.modules["fake_keras"] = module
    try:
        layer = Layer()
        for use in (lambda: layer.count_params(), lambda: layer.weights):
            with pytest.raises(OffLimitsError):
                with off_limits(
                    "fake_keras.Layer.count_params", "fake_keras.Layer.weights"
                ):
                    use()
        with off_limits("fake_keras.Layer.count_params"):
            assert layer.weights == [1]  # the rest of the class stays usable
    finally:
        del sys.modules["fake_keras"]


def test_off_limits_rejects_a_name_that_is_not_a_string():
    with pytest.raises(TypeError, match="names must be non-empty strings, got 3"):
        with off_limits(3):
            pass


# -- structure of a notebook -----------------------------------------------------


def _cells(notebook, name):
    return [
        c
        for c in notebook["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == name
    ]


@pytest.mark.parametrize(
    "cell",
    [
        {
            "cell_type": "code",
            "source": "x = 1",
            "metadata": {"nbgrader": {"grade_id": "a", "locked": True}},
        },
        {
            "cell_type": "code",
            "source": "assert f(1) == 2",
            "metadata": {
                "nbgrader": {
                    "grade_id": "t",
                    "grade": True,
                    "locked": True,
                    "points": 2,
                    "solution": False,
                }
            },
        },
        {
            "cell_type": "markdown",
            "source": "Explain: ünïcode",
            "metadata": {
                "nbgrader": {
                    "grade_id": "m",
                    "grade": True,
                    "solution": True,
                    "points": 1.5,
                }
            },
        },
    ],
)
def test_checksum_is_nbgraders(cell):
    assert compute_checksum(cell) == nbgrader_checksum(nbformat.from_dict(cell))


def test_the_released_notebook_has_no_structure_problem_and_its_record():
    notebook = student_version(A1)
    record = find_manifest(notebook)
    assert record["assignment"] == A1
    assert structure_problems(notebook, record["cells"]) == []
    assert set(unfinished(notebook)) == {
        c["grade_id"] for c in record["cells"] if c["kind"] == "answer"
    }
    assert unfinished(solved(A1)) == []


def test_structure_problems_name_each_kind_of_damage():
    notebook = solved(A1)
    manifest = find_manifest(notebook)["cells"]
    damaged = copy.deepcopy(notebook)
    cells = damaged["cells"]
    cells.remove(_cells(damaged, "feature-map-visible")[0])  # deleted
    cells.append(copy.deepcopy(_cells(damaged, "same-pads")[0]))  # copied
    _cells(damaged, "rightward")[0]["cell_type"] = "markdown"  # retyped
    _cells(damaged, "out-length-visible")[0]["source"] = ["pass"]  # edited
    problems = structure_problems(damaged, manifest)
    assert problems == [
        'tests cell "out-length-visible" was edited '
        "(the grader puts back the original)",
        'answer cell "same-pads" appears 2 times (copied or pasted?)',
        'tests cell "feature-map-visible" is missing (deleted, or its metadata lost)',
        'answer cell "rightward" is now a markdown cell, it must stay a code cell',
    ]


def test_the_record_lists_hidden_test_cells_and_their_points():
    record = find_manifest(student_version(A1))
    kinds = {c["grade_id"]: (c["kind"], c["points"]) for c in record["cells"]}
    assert kinds["feature-map-visible"] == ("tests", 2.0)
    assert kinds["feature-map-orientation"] == ("hidden tests", 2.0)
    assert kinds["feature-map"] == ("answer", 0.0)
    assert record["limits"] == {"cell": 120, "notebook": 600}


def test_manifest_of_needs_no_nbgrader_and_keeps_cell_order():
    notebook = student_version(A1)
    names = [c["grade_id"] for c in manifest_of(notebook)]
    assert names[0] == "intro" and names[-1] == "self-check"


def test_read_notebook_says_what_is_wrong(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": [', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.ipynb is not a valid notebook file: "):
        read_notebook(bad)
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="it has no list of cells"):
        read_notebook(bad)


# -- the self-check itself -----------------------------------------------------


def test_check_does_nothing_while_the_grader_runs_the_notebook(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert check_module.check() is None
    assert "self-check skipped" in capsys.readouterr().out


def test_check_without_a_path_outside_jupyter_asks_for_one(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    with pytest.raises(ValueError, match=r"path: cannot tell which notebook.*check\("):
        check_module.check(run=False)


def test_check_finds_the_notebook_jupyterlab_names(monkeypatch, tmp_path):
    path = write(student_version(A1), tmp_path / f"{A1}.ipynb")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    report = check_module.check(run=False)
    assert report.name.startswith(f"{A1}.ipynb (as saved at ")
    assert not report.problems and len(report.unfinished) == 5


def test_check_reads_the_notebook_colab_has_open(monkeypatch):
    notebook = to_colab(solved(A1))

    class _Message:
        @staticmethod
        def blocking_request(kind, timeout_sec):
            assert kind == "get_ipynb"
            return {"ipynb": notebook}

    colab = type(sys)("google.colab")
    colab._message = _Message
    google = type(sys)("google")
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    report = check_module.check(run=False)
    assert report.name == "this notebook (as open in Colab)"
    assert report.problems == [] and report.unfinished == []


def _tiny_assignment() -> dict:
    """A two-part assignment: one part right, one wrong, one hidden test."""

    def cell(kind, grade_id, source, points=0):
        meta = {"grade_id": grade_id, "locked": kind != "answer", "schema_version": 3}
        meta.update(
            solution=kind == "answer",
            grade=kind in ("tests", "hidden"),
            points=points,
        )
        return nbformat.v4.new_code_cell(source, metadata={"nbgrader": meta})

    cells = [
        cell("setup", "setup", "from cnnkit.check import expect_equal"),
        cell("answer", "double", "def double(x):\n    return 2 * x"),
        cell("tests", "double-visible", 'expect_equal(double(2), 4, "double(2)")', 1),
        cell("answer", "half", "def half(x):\n    return x / 3"),
        cell("tests", "half-visible", 'expect_equal(half(4), 2.0, "half(4)")', 2),
        cell("hidden", "half-hidden", "# Hidden tests (3 points)", 3),
        nbformat.v4.new_markdown_cell("## Part 3: the broken one\nWrite it."),
        cell("answer", "broken", "raise NotImplementedError()"),
        cell("setup", "self-check", "from cnnkit.check import check\ncheck()"),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook = json.loads(nbformat.writes(notebook))
    record = {
        "assignment": "tiny",
        "cells": manifest_of(notebook, {"half-hidden"}),
        "limits": {"cell": 60, "notebook": 120},
    }
    notebook["cells"][-1]["metadata"]["cnnkit"] = record
    return notebook


@pytest.fixture(scope="module")
def tiny_report():
    return run_check(_tiny_assignment(), "tiny.ipynb")


def test_the_run_reports_visible_tests_their_points_and_errors(tiny_report):
    report = tiny_report
    assert report.ran and not report.problems
    assert report.unfinished == ["broken"]
    assert [(t.grade_id, t.passed) for t in report.tests] == [
        ("double-visible", True),
        ("half-visible", False),
        ("half-hidden", None),
    ]
    assert (
        report.tests[1].message
        == "AssertionError: half(4): expected 2.0, got 1.3333333333333333"
    )
    assert (report.passed_points, report.visible_points, report.hidden_points) == (
        1,
        3,
        3,
    )
    # named as the student sees it (neither JupyterLab nor Colab numbers cells)
    assert report.run_errors == [
        'the 1st code cell under "Part 3: the broken one": NotImplementedError'
    ]
    assert not report.ok


def test_the_report_reads_well(tiny_report):
    text = str(tiny_report)
    assert "Visible tests: 1 of 3 points pass" in text
    assert "✗ half-visible (2 points): AssertionError: half(4): expected 2.0" in text
    assert "Hidden tests worth 3 more points run when the notebook is graded." in text
    assert "✗ unfinished (still raise NotImplementedError): broken" in text
    assert text.endswith("Fix the items marked ✗, then save.")


def test_the_command_line_exit_status(tmp_path):
    good = write(solved(A1), tmp_path / "good.ipynb")
    bad = write(student_version(A1), tmp_path / "bad.ipynb")
    lines: list[str] = []
    assert check_module.main([str(good), "--no-run"], out=lines.append) == 0
    assert check_module.main([str(bad), "--no-run"], out=lines.append) == 1
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{", encoding="utf-8")
    assert check_module.main([str(broken)], out=lines.append) == 2
    assert lines[-1].startswith("✗ broken.ipynb is not a valid notebook file")


def test_a_notebook_that_lost_its_grading_metadata_is_told_how_to_fix_it():
    pasted = copy.deepcopy(_tiny_assignment())
    for cell in pasted["cells"]:
        cell["metadata"] = {}
    report = run_check(pasted, "pasted.ipynb")
    assert report.lost and not report.ran and not report.ok
    text = str(report)
    assert "pasted into a new notebook" in text
    assert "paste each answer into its answer cell" in text
    assert "Visible tests" not in text  # no "0 of 0"


def test_the_report_states_the_grading_limits(tiny_report):
    assert "Grading limits: 60 s for any one cell, 120 s for the whole notebook." in (
        str(tiny_report)
    )


def test_colab_cell_ids_and_metadata_leave_the_structure_intact():
    notebook = to_colab(solved(A1))
    record = find_manifest(notebook)
    assert structure_problems(notebook, record["cells"]) == []
    assert cell_of(notebook, "feature-map")["metadata"]["id"].endswith("colab")


def test_the_self_check_cell_does_not_run_inside_its_own_run(monkeypatch):
    monkeypatch.setenv("CNNKIT_SELF_CHECK", "1")
    assert check_module.check() is None
    assert os.environ["CNNKIT_SELF_CHECK"] == "1"


def _plain(*sources: str) -> dict:
    """One graded set-up cell, a heading, then plain code cells."""
    setup = nbformat.v4.new_code_cell(
        "start = 0", metadata={"nbgrader": {"grade_id": "setup", "locked": True}}
    )
    heading = nbformat.v4.new_markdown_cell("## Part 1")
    cells = [setup, heading] + [nbformat.v4.new_code_cell(src) for src in sources]
    return json.loads(nbformat.writes(nbformat.v4.new_notebook(cells=cells)))


def test_the_run_stops_a_cell_at_the_limit_and_goes_on():
    notebook = _plain("import time\ntime.sleep(60)", "x = 1")
    report = run_check(notebook, "slow.ipynb", timeout=3)
    assert report.seconds < 50
    assert report.run_errors == [
        'the 1st code cell under "Part 1": CellTimeoutError: stopped after 3 s, '
        "the grader's limit for a cell"
    ]


def test_the_run_reports_a_kernel_that_dies():
    report = run_check(_plain("x = 1", "import os\nos._exit(1)", "y = 2"), "dies")
    assert len(report.run_errors) == 1
    assert report.run_errors[0].endswith(
        "DeadKernelError: the kernel died here (the grader gives 0 for that)"
    )
