"""What a1 and a2 tell the student is what their tests enforce.

A careful student works from the instructions alone, so these tests hold the
instructions to the tests: every assignment's introduction (all five) states
the grading time limits of the source's metadata; a1's and a2's name the
libraries ``off_limits()`` forbids, and every call of a student's function
in their tests runs under it; a1's ``feature_map`` and ``out_length``,
written from their parts' text alone (another algorithm, errors with no
message), earn every point, and breaking one stated rule loses exactly the
test of that rule.

Most of it runs a1's source in this process, cell by cell, which takes a
second; one slow test grades such submissions end to end.
"""

from __future__ import annotations

import ast
import re
import sys

import matplotlib.pyplot as plt
import pytest
from _submissions import (
    ROOT,
    cell_of,
    grade_id,
    make_course,
    needs_sandbox,
    solved,
    source_version,
    with_answers,
    write,
)

from cnnkit.check import LIBRARIES
from grading.course import assignment_ids, hidden_cells, limits

A1, A2 = "a1-convolution", "a2-pooling"
OURS = [A1, A2]

# -- time limits ----------------------------------------------------------------

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(minutes?|min|seconds?|s)\b")


def _text(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def stated_limits(intro: str) -> dict[str, set[float]]:
    """Seconds the text gives in clauses about a cell, and about the notebook.

    A clause is a stretch between commas, semicolons, brackets, full stops
    and "and": "any cell that runs longer than 2 minutes" gives 120 s for a
    cell; "10 minutes for the whole notebook" gives 600 s for the notebook.
    """
    said: dict[str, set[float]] = {"cell": set(), "notebook": set()}
    plain = " ".join(intro.split())
    for clause in re.split(r"[,;()]|\.\s|\band\b", plain):
        about = [k for k in said if re.search(rf"\b{k}s?\b", clause)]
        if len(about) != 1:
            continue
        for value, unit in _DURATION.findall(clause):
            said[about[0]].add(float(value) * (60 if unit.startswith("min") else 1))
    return said


def test_stated_limits_reads_each_clause_for_its_own_limit():
    said = stated_limits(
        "It stops any cell that runs longer than 2 minutes (that cell is\n"
        "interrupted), and the whole notebook after 10 minutes. Limits: 90 s\n"
        "per cell; 15 min for the notebook."
    )
    assert said == {"cell": {120.0, 90.0}, "notebook": {600.0, 900.0}}
    assert stated_limits("The grader stops any cell after 5 minutes.") == {
        "cell": {300.0},
        "notebook": set(),
    }


@pytest.mark.parametrize("assignment", assignment_ids(ROOT))
def test_the_introduction_states_the_grading_time_limits(assignment):
    source = source_version(assignment)
    want = limits(source)
    said = stated_limits(_text(cell_of(source, "intro")))
    assert said == {"cell": {want["cell"]}, "notebook": {want["notebook"]}}, (
        f"{assignment}: the metadata says {want}, the introduction {said}"
    )


# -- what the student may call ------------------------------------------------------

#: How an introduction names each library in ``LIBRARIES``.
DISPLAY = {
    "cnnkit": "`cnnkit`",
    "scipy": "SciPy",
    "skimage": "scikit-image",
    "cv2": "OpenCV",
    "tensorflow": "TensorFlow",
    "keras": "Keras",
    "torch": "PyTorch",
    "jax": "JAX",
}


@pytest.mark.parametrize("assignment", OURS)
def test_the_introduction_names_every_library_the_tests_forbid(assignment):
    intro = " ".join(_text(cell_of(source_version(assignment), "intro")).split())
    assert "off limits" in intro
    assert [lib for lib in LIBRARIES if DISPLAY[lib] not in intro] == []


def _answer_functions(source: dict) -> set[str]:
    """The functions the student writes: those defined in answer cells."""
    names = set()
    for cell in source["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            tree = ast.parse(_text(cell))
            names |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    return names


def _is_off_limits(expr: ast.expr) -> bool:
    """``off_limits(doing=...)``: every library of ``LIBRARIES``, no fewer."""
    return (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Name)
        and expr.func.id == "off_limits"
        and not expr.args
    )


def _calls(code: str, functions: set[str]) -> list[tuple[str, bool]]:
    """Each call of one of ``functions``, and whether it runs off limits."""
    found = []

    def visit(node: ast.AST, guarded: bool) -> None:
        if isinstance(node, ast.With) and any(
            _is_off_limits(item.context_expr) for item in node.items
        ):
            guarded = True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in functions
        ):
            found.append((ast.unparse(node), guarded))
        for child in ast.iter_child_nodes(node):
            visit(child, guarded)

    visit(ast.parse(code), False)
    return found


@pytest.mark.parametrize("assignment", OURS)
def test_every_test_calls_the_students_functions_off_limits(assignment):
    """The introduction says so of every test: a test that called a function
    with the libraries allowed would pay a student who only called them."""
    source = source_version(assignment)
    functions = _answer_functions(source)
    assert functions
    tested = set()
    for cell in source["cells"]:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            calls = _calls(_text(cell), functions)
            assert [call for call, guarded in calls if not guarded] == [], grade_id(
                cell
            )
            tested |= {call.split("(")[0] for call, _ in calls}
    assert tested == functions


def test_the_call_finder_sees_a_call_outside_the_block():
    code = (
        "with off_limits(doing='f'):\n    a = f(1)\n"
        "b = f(2)\n"
        "with off_limits('numpy'):\n    f(3)"
    )
    assert _calls(code, {"f"}) == [("f(1)", True), ("f(2)", False), ("f(3)", False)]


# -- a1, run in this process --------------------------------------------------------


def run_a1(
    answers: dict[str, str], seed: dict | None = None
) -> dict[str, tuple[float, str]]:
    """Run a1's source, hidden tests and all, with some answers replaced.

    Each cell runs as ``<cell grade_id>`` in one namespace (``seed`` adds
    names to it). Returns, for each graded cell, its points and what it
    raised ("" when it passed), as nbgrader would record them.
    """
    notebook = with_answers(source_version(A1), answers)
    namespace: dict = {"__name__": "__main__", **(seed or {})}
    results = {}
    try:
        for cell in notebook["cells"]:
            name = grade_id(cell)
            if cell["cell_type"] != "code" or name in ("setup-colab", "self-check"):
                continue
            lines = _text(cell).split("\n")
            code = "\n".join(x for x in lines if not x.startswith("%"))
            try:
                exec(compile(code, f"<cell {name}>", "exec"), namespace)
                failure = ""
            except Exception as err:
                failure = f"{type(err).__name__}: {err}"
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade"):
                results[name] = (float(meta["points"]), failure)
    finally:
        plt.close("all")
    return results


def failed(results: dict[str, tuple[float, str]]) -> set[str]:
    return {name for name, (_, failure) in results.items() if failure}


def score(results: dict[str, tuple[float, str]]) -> float:
    return sum(points for points, failure in results.values() if not failure)


def total(results: dict[str, tuple[float, str]]) -> float:
    return sum(points for points, _ in results.values())


#: Part 1, from its text: a ValueError with no message when the kernel does
#: not fit.
OUT_LENGTH = '''
def out_length(n, k, stride=1, padding=0):
    """Positions of a length-k kernel on a length-n input."""
    if n + 2 * padding < k:
        raise ValueError()
    return (n + 2 * padding - k) // stride + 1
'''

#: Part 3, from its text alone: another algorithm than the solution's (a sum
#: of strided slices, one per kernel weight) and errors with no message.
FEATURE_MAP = '''
def feature_map(image, kernel, bias=0.0, stride=1, padding="valid"):
    """Cross-correlation with stride, padding and bias."""
    x = np.array(image, dtype=float)
    w = np.array(kernel, dtype=float)
    if stride < 1:
        raise ValueError()
    if padding == "same":
        pads = [same_pads(n, k, stride) for n, k in zip(x.shape, w.shape)]
    elif padding == "valid":
        pads = [(0, 0), (0, 0)]
    elif not isinstance(padding, str) and padding >= 0:
        pads = [(padding, padding), (padding, padding)]
    else:
        raise ValueError()
    x = np.pad(x, pads)
    too_big = x.shape[0] < w.shape[0] or x.shape[1] < w.shape[1]
    if too_big:
        raise ValueError()
    rows = (x.shape[0] - w.shape[0]) // stride + 1
    cols = (x.shape[1] - w.shape[1]) // stride + 1
    out = np.full((rows, cols), float(bias))
    for u in range(w.shape[0]):
        for v in range(w.shape[1]):
            out += w[u, v] * x[u::stride, v::stride][:rows, :cols]
    return out
'''


def test_answers_written_from_the_text_alone_earn_every_point():
    results = run_a1({"out-length": OUT_LENGTH, "feature-map": FEATURE_MAP})
    assert failed(results) == set()
    assert score(results) == total(results) > 0


def test_the_solution_earns_every_point_in_this_process():
    results = run_a1({})
    assert failed(results) == set()
    assert score(results) == total(results) > 0


#: Answers that break one rule part 3 states, each by one edit of FEATURE_MAP.
BROKEN = {
    # padding="full" raises, but not the error the text asks for
    "a-type-error-for-an-unknown-padding": (
        "    else:\n        raise ValueError()\n    x = np.pad",
        "    else:\n        raise TypeError(padding)\n    x = np.pad",
    ),
    # "same" makes room for any kernel; this refuses one larger than the image
    "refuses-a-kernel-larger-than-the-image": (
        "    if stride < 1:",
        "    if w.shape[0] > x.shape[0] or w.shape[1] > x.shape[1]:\n"
        "        raise ValueError()\n    if stride < 1:",
    ),
    # stride 0 ends in a ZeroDivisionError, not a ValueError
    "no-check-of-the-stride": ("    if stride < 1:\n        raise ValueError()\n", ""),
    # checks the size only without padding: with padding=0 or 1, a kernel
    # that does not fit gives an empty array instead of an error
    "checks-the-size-only-for-valid": (
        "    if too_big:",
        '    if too_big and padding == "valid":',
    ),
}


def broken(name: str) -> str:
    old, new = BROKEN[name]
    assert FEATURE_MAP.count(old) == 1, name
    return FEATURE_MAP.replace(old, new)


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_breaking_one_stated_rule_loses_exactly_the_point_that_tests_it(name):
    results = run_a1({"feature-map": broken(name)})
    assert failed(results) == {"feature-map-arguments"}
    assert score(results) == total(results) - results["feature-map-arguments"][0]
    # the feedback says which call and what was expected of it
    message = results["feature-map-arguments"][1]
    assert re.search(r"feature_map\(x .*\): expected", message), message


def test_the_test_of_the_arguments_is_hidden():
    assert "feature-map-arguments" in hidden_cells(source_version(A1))


#: Answers that call the library the part asks them to replace, and the tests
#: of that part.
CALLS_THE_LIBRARY = {
    "out-length": (
        """
        def out_length(n, k, stride=1, padding=0):
            return cnnkit.output_size(n, k, stride=stride, padding=padding)
        """,
        {"out-length-visible", "out-length-hidden"},
    ),
    "same-pads": (
        """
        def same_pads(n, k, stride=1):
            return cnnkit.same_padding(n, k, stride=stride)
        """,
        {"same-pads-visible", "same-pads-hidden"},
    ),
    "edge-strength": (
        """
        def edge_strength(image):
            image = np.asarray(image, dtype=float)
            gx = cnnkit.conv2d(image, cnnkit.kernels.sobel_x, padding="same")
            gy = cnnkit.conv2d(image, cnnkit.kernels.sobel_y, padding="same")
            return np.sqrt(gx**2 + gy**2)
        """,
        {"edge-strength-visible", "edge-strength-hidden"},
    ),
}


@pytest.mark.parametrize("cell", sorted(CALLS_THE_LIBRARY))
def test_calling_cnnkit_from_an_answer_fails_its_tests(cell):
    """Parts 1, 2 and 5 too: the introduction says every test checks. (The
    parts that use the answer, feature_map's tests, fail with it.)"""
    code, tests = CALLS_THE_LIBRARY[cell]
    results = run_a1({cell: code})
    for name in tests:
        assert "off limits" in results[name][1], results[name]


def test_reading_the_sobel_kernels_is_allowed_in_edge_strength():
    """What the introduction and part 5 allow: the solution reads
    ``cnnkit.kernels`` inside its function and passes every edge test."""
    answer = _text(cell_of(source_version(A1), "edge-strength"))
    assert "cnnkit.kernels.sobel_x" in answer
    results = run_a1({})
    assert not failed(results) & {"edge-strength-visible", "edge-strength-hidden"}


#: Wrappers around the answers of parts 1 and 2 that record each call a test
#: cell makes (not the calls feature_map makes).
RECORD = {
    "out-length": """
_answer_out_length = out_length


def out_length(n, k, stride=1, padding=0):
    if sys._getframe(1).f_code.co_filename in _test_cells:
        _calls.append(("out_length", n, k, stride, padding))
    return _answer_out_length(n, k, stride, padding)
""",
    "same-pads": """
_answer_same_pads = same_pads


def same_pads(n, k, stride=1):
    if sys._getframe(1).f_code.co_filename in _test_cells:
        _calls.append(("same_pads", n, k, stride, 0))
    return _answer_same_pads(n, k, stride)
""",
}


def test_parts_1_and_2_are_tested_only_on_the_sizes_their_text_allows():
    """Part 1 says n, k, stride >= 1 and padding >= 0; part 2, n, k, stride >= 1."""
    source = source_version(A1)
    answers = {
        cell: _text(cell_of(source, cell)) + code for cell, code in RECORD.items()
    }
    test_cells = {
        f"<cell {grade_id(c)}>"
        for c in source["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("grade")
    }
    calls: list = []
    seed = {"sys": sys, "_calls": calls, "_test_cells": test_cells}
    results = run_a1(answers, seed)
    assert failed(results) == set()
    assert {name for name, *_ in calls} == {"out_length", "same_pads"}
    bad = [c for c in calls if min(c[1:4]) < 1 or c[4] < 0]
    assert bad == []


# -- a1, graded end to end ----------------------------------------------------------


@pytest.mark.slow
@needs_sandbox
def test_the_grader_gives_full_marks_to_answers_from_the_text(tmp_path):
    from grading.grade import grade

    course = make_course(tmp_path, A1)
    folder = tmp_path / "submissions"
    from_text = with_answers(
        solved(A1), {"out-length": OUT_LENGTH, "feature-map": FEATURE_MAP}
    )
    write(from_text, folder / "s1-from-the-text.ipynb")
    for name in ("a-type-error-for-an-unknown-padding", "no-check-of-the-stride"):
        answers = {"out-length": OUT_LENGTH, "feature-map": broken(name)}
        write(with_answers(solved(A1), answers), folder / f"s2-{name}.ipynb")
    rows = grade(course, A1, folder, out=lambda line: None)
    honest = rows["s1-from-the-text"]
    assert (honest.score, honest.status, honest.failed_tests) == (
        honest.max_score,
        "ok",
        "",
    )
    arguments = cell_of(source_version(A1), "feature-map-arguments")
    lost = arguments["metadata"]["nbgrader"]["points"]
    for name in ("a-type-error-for-an-unknown-padding", "no-check-of-the-stride"):
        row = rows[f"s2-{name}"]
        tests = {f.split(": ")[0] for f in row.failed_tests.split(" | ") if f}
        assert tests == {"feature-map-arguments"}, name
        assert (row.score, row.status) == (honest.max_score - lost, "ok"), name
        assert "expected a ValueError, got" in row.failed_tests
