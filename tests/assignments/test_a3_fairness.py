"""a3-backprop is fair to an honest student.

- Its visible tests give no answer away: every function, lambda and loop in
  them, pasted into the answer cells of parts 1-3 in every way that fits,
  earns none of those parts' points.
- A function that changes an array it is given fails its own tests with a
  message that names the argument ("your function changed x"), and loses
  only its own points: a ``numerical_grad`` that changes its ``x`` costs
  none of the gradient check's.
- The introduction states the grader's time limits, and part 6 says how to
  take ``numerical_grad`` of the scalar bias.

The fast tests run the source notebook's cells in this process (its tests,
hidden ones included, are plain Python); the slow one grades the same
submissions with the grader, in its sandbox.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import inspect
import io
import itertools
import re
import textwrap
import warnings

import numpy as np
import pytest
from _submissions import (
    cell_of,
    grade_id,
    make_course,
    needs_sandbox,
    replace_in,
    solved,
    source_version,
    student_version,
    with_answers,
    without_markers,
    write,
)

from grading.course import HIDDEN_BEGIN, limits

A3 = "a3-backprop"
#: The answer cells of parts 1-3: the gradients no visible test may give away.
GRADIENTS = ("grad-bias", "grad-kernel", "grad-input")
#: The mistake of the issue: a numerical_grad that nudges the caller's x and
#: never puts it back.
CHANGES_X = [
    ("x = np.array(x, dtype=float)", "x = np.asarray(x, dtype=float)"),
    ("        x[i] = old\n", ""),
]


# -- the notebook's cells, run in this process ---------------------------------


def _text(cell: dict) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def _nbgrader(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def answer_ids(notebook: dict) -> list[str]:
    """The answer cells, in order."""
    return [grade_id(c) for c in notebook["cells"] if _nbgrader(c).get("solution")]


def cells_testing(notebook: dict, answer: str) -> dict[str, float]:
    """The test cells between an answer cell and the next, with their points."""
    tests: dict[str, float] = {}
    inside = False
    for cell in notebook["cells"]:
        meta = _nbgrader(cell)
        if meta.get("solution"):
            inside = meta["grade_id"] == answer
        elif inside and meta.get("grade"):
            tests[meta["grade_id"]] = meta["points"]
    return tests


def graded_points(notebook: dict) -> dict[str, float]:
    return {
        m["grade_id"]: m["points"]
        for m in map(_nbgrader, notebook["cells"])
        if m.get("grade")
    }


def visible_tests(notebook: dict) -> list[str]:
    """The code of the test cells a student sees."""
    return [
        _text(c)
        for c in notebook["cells"]
        if _nbgrader(c).get("grade") and HIDDEN_BEGIN not in _text(c)
    ]


def _definition(notebook: dict, answer: str) -> ast.FunctionDef:
    tree = ast.parse(_text(cell_of(notebook, answer)))
    (node,) = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    return node


def signature(notebook: dict, answer: str) -> tuple[str, tuple[str, ...]]:
    """The name and arguments of the function an answer cell defines."""
    node = _definition(notebook, answer)
    return node.name, tuple(a.arg for a in node.args.args)


def array_arguments(notebook: dict, answer: str) -> list[str]:
    """The arguments its docstring says are arrays."""
    doc = ast.get_docstring(_definition(notebook, answer)) or ""
    found = re.findall(r"^([\w, ]+) : (?:ndarray|array_like)", doc, re.MULTILINE)
    return [name for names in found for name in names.split(", ")]


def answer_code(notebook: dict, answer: str) -> str:
    return without_markers(_text(cell_of(notebook, answer)))


def run(cells: list[tuple[str | None, str]]) -> dict[str, str | None]:
    """Run cells in one namespace, as a kernel does; each cell's error.

    Returns ``{grade_id: None}`` for a cell that ran and
    ``{grade_id: "Error: message"}`` for one that raised; the run goes on,
    as nbgrader's does.
    """
    namespace: dict = {"__name__": "__main__"}
    errors: dict[str, str | None] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, code in cells:
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(code, f"<cell {name}>", "exec"), namespace)
            except Exception as error:  # a cell's error is the cell's result
                errors[name] = f"{type(error).__name__}: {error}"
            else:
                errors[name] = None
    return errors


def notebook_cells(notebook: dict, answers: dict[str, str] | None = None):
    """The code cells, some answers replaced; not Colab's set-up or the
    self-check (which runs the notebook again in a kernel)."""
    answers = answers or {}
    return [
        (grade_id(c), answers.get(grade_id(c), _text(c)))
        for c in notebook["cells"]
        if c["cell_type"] == "code" and grade_id(c) not in ("setup-colab", "self-check")
    ]


def failures(errors: dict[str, str | None], notebook: dict) -> dict[str, str]:
    """The test cells that failed, with their errors."""
    tests = graded_points(notebook)
    return {n: e for n, e in errors.items() if n in tests and e is not None}


def points_of(errors: dict[str, str | None], tests: dict[str, float]) -> float:
    return sum(points for name, points in tests.items() if errors.get(name) is None)


@pytest.fixture(scope="module")
def source():
    return source_version(A3)


def test_the_solutions_pass_every_test(source):
    assert failures(run(notebook_cells(source)), source) == {}


# -- answers a student could copy from the visible tests ----------------------

#: What each gradient function has for each argument a copied function may
#: take: its own arguments and, for what it lacks, what a student copying
#: would give: zeros of the right shape (as an accumulator starts) or 0.
VALUES = {
    "grad_bias": {
        "dout": "dout",
        "x": "np.zeros(np.shape(dout))",
        "kernel": "np.zeros((1, 1))",
        "bias": "0.0",
    },
    "grad_kernel": {
        "x": "x",
        "dout": "dout",
        "kernel": "np.zeros((np.shape(x)[0] - np.shape(dout)[0] + 1, "
        "np.shape(x)[1] - np.shape(dout)[1] + 1))",
        "bias": "0.0",
    },
    "grad_input": {
        "dout": "dout",
        "kernel": "kernel",
        "x": "np.zeros((np.shape(dout)[0] + np.shape(kernel)[0] - 1, "
        "np.shape(dout)[1] + np.shape(kernel)[1] - 1))",
        "bias": "0.0",
    },
}
#: Inputs on which a pasted answer is first tried, and the gradient's shape
#: there: an answer that never returns that shape cannot pass a test.
SAMPLES = {
    "grad_bias": [("np.arange(6.0).reshape(2, 3)", ()), ("np.ones((4, 4))", ())],
    "grad_kernel": [
        ("np.arange(30.0).reshape(5, 6), np.ones((3, 4))", (3, 3)),
        ("np.ones((3, 3)), np.ones((2, 2))", (2, 2)),
    ],
    "grad_input": [
        ("np.ones((3, 4)), np.arange(6.0).reshape(2, 3)", (4, 6)),
        ("np.ones((2, 2)), np.ones((2, 2))", (3, 3)),
    ],
}
#: Names pasted code takes from the notebook, not from its arguments.
GIVEN = set(dir(builtins)) | {"np", "cnnkit"}
#: Statements of a visible test cell that a student could paste as they are.
PASTABLE = (
    ast.FunctionDef,
    ast.Import,
    ast.ImportFrom,
    ast.Assign,
    ast.AnnAssign,
    ast.AugAssign,
)


def prelude(texts: list[str], students: set[str], setup: str) -> str:
    """What a copier pastes first: the visible tests' definitions.

    Functions, imports and assignments at the top level of a visible test
    cell, but not those that use the student's functions or the test
    helpers; each is kept if it runs after the ones kept before it.
    """
    namespace: dict = {}
    exec(setup, namespace)
    kept = []
    skip = students | {"expect_close", "expect_equal", "expect_true", "off_limits"}
    for text in texts:
        for node in ast.parse(text).body:
            names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
            if not isinstance(node, PASTABLE) or names & skip:
                continue
            code = ast.get_source_segment(text, node)
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(code, namespace)
            except Exception:
                continue
            kept.append(code)
    return "\n\n\n".join(kept)


def _loop_names(loop: ast.For) -> tuple[list[str], list[str]]:
    """A loop's inputs (the names it reads before it binds them) and every
    name it reads or binds, leaving out what it counts with, NumPy and
    builtins."""
    counters = {
        name.id
        for node in ast.walk(loop)
        if isinstance(node, (ast.For, ast.comprehension))
        for name in ast.walk(node.target)
        if isinstance(name, ast.Name)
    }
    read: dict[str, tuple[int, int]] = {}
    bound: dict[str, tuple[int, int]] = {}
    for node in ast.walk(loop):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            where = (node.lineno, node.col_offset)
            read[node.target.id] = min(read.get(node.target.id, where), where)
        elif isinstance(node, ast.Name):
            where = (node.lineno, node.col_offset)
            seen = bound if isinstance(node.ctx, ast.Store) else read
            seen[node.id] = min(seen.get(node.id, where), where)
    inputs = {n for n, where in read.items() if where < bound.get(n, (10**9, 0))}
    names = set(read) | set(bound)
    return sorted(inputs - counters - GIVEN), sorted(names - counters - GIVEN)


def _outer_loops(tree: ast.AST) -> list[ast.For]:
    inner = {
        id(node)
        for loop in ast.walk(tree)
        if isinstance(loop, ast.For)
        for node in ast.walk(loop)
        if node is not loop
    }
    return [n for n in ast.walk(tree) if isinstance(n, ast.For) and id(n) not in inner]


def _lines(text: str, node: ast.AST) -> str:
    """A statement's lines, dedented."""
    lines = text.split("\n")[node.lineno - 1 : node.end_lineno]
    return textwrap.dedent("\n".join(lines))


def _shape(value) -> tuple | None:
    """An array's or a number's shape; None for anything else."""
    if isinstance(value, (np.ndarray, np.generic, int, float)):
        return np.shape(value)
    return None


def _parts(result) -> list[str]:
    """How to take each part of a result: ``[0]``, ``["x"]``, or all of it."""
    if isinstance(result, dict):
        return [f"[{key!r}]" for key in result]
    if isinstance(result, (tuple, list)):
        return [f"[{i}]" for i in range(len(result))]
    return [""]


def pasted_answers(
    texts: list[str],
    function: str,
    params: tuple[str, ...],
    setup: str,
    students: set[str],
) -> tuple[str, list[str]]:
    """The visible tests' code pasted into ``function``, every way that fits.

    Returns the pasted definitions (:func:`prelude`) and every definition of
    ``function`` that calls one function or lambda of the visible tests, or
    runs one of their loops, on the function's own arguments (and, for what
    it lacks, :data:`VALUES`), and returns one thing it computed that has the
    gradient's shape on a :data:`SAMPLES` input. ``students`` are the names
    of the functions the student writes, which pasted code may not use.
    """
    values = list(dict.fromkeys(VALUES[function].values()))
    pasted = prelude(texts, students, setup)
    namespace: dict = {}
    exec(setup, namespace)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(pasted, namespace)
    head = f"def {function}({', '.join(params)}):\n"
    samples = SAMPLES[function]

    def results(definition: str) -> list:
        """What it returns on each sample input (None where it raises)."""
        space = dict(namespace)
        out = []
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                exec(definition, space)
            except Exception:
                return [None] * len(samples)
            for args, _ in samples:
                try:
                    out.append(eval(f"{function}({args})", space))
                except Exception:
                    out.append(None)
        return out

    def fits(got: list) -> bool:
        return any(
            _shape(g) == shape for g, (_, shape) in zip(got, samples, strict=True)
        )

    trees = [(text, ast.parse(text)) for text in texts]
    callables = [
        name
        for name, value in namespace.items()
        if inspect.isfunction(value) and f"def {name}(" in pasted
    ] + [
        f"({ast.get_source_segment(text, node)})"
        for text, tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Lambda)
    ]
    definitions = []
    for call in callables:
        try:
            parameters = inspect.signature(eval(call, namespace)).parameters.values()
        except Exception:
            continue
        required = [
            p
            for p in parameters
            if p.default is p.empty
            and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        for args in itertools.product(values, repeat=len(required)):
            body = f"{head}    return {call}({', '.join(args)})"
            parts = {""}.union(*map(_parts, results(body)))
            for part in sorted(parts):
                if fits(results(f"{body}{part}\n")):
                    definitions.append(f"{body}{part}\n")
    for text, tree in trees:
        for loop in _outer_loops(tree):
            inputs, names = _loop_names(loop)
            code = textwrap.indent(_lines(text, loop), "    ")
            for args in itertools.product(values, repeat=len(inputs)):
                bind = f"    {', '.join(inputs)}, = ({', '.join(args)},)\n"
                body = f"{head}{bind if inputs else ''}{code}\n"
                ran = [
                    got if isinstance(got, dict) else {}
                    for got in results(f"{body}    return dict(locals())\n")
                ]
                definitions += [
                    f"{body}    return {name}\n"
                    for name in names
                    if fits([got.get(name) for got in ran])
                ]
    return pasted, definitions


def best_pasted(source: dict, texts: list[str]) -> dict[str, tuple[float, str]]:
    """For each gradient, the pasted answer that earns most: (points, code).

    With nothing that fits, the answer is the pasted code and the function
    still unwritten (0 points).
    """
    setup = _text(cell_of(source, "setup-imports"))
    students = {signature(source, a)[0] for a in answer_ids(source)}
    best = {}
    for answer in GRADIENTS:
        function, params = signature(source, answer)
        tests = cells_testing(source, answer)
        cells = [(n, _text(cell_of(source, n))) for n in tests]
        pasted, definitions = pasted_answers(texts, function, params, setup, students)
        unwritten = (
            f"def {function}({', '.join(params)}):\n    raise NotImplementedError()\n"
        )
        best[answer] = (0.0, f"{pasted}\n\n\n{unwritten}")
        for n, definition in enumerate(definitions):
            code = f"{pasted}\n\n\n{definition}" if pasted else definition
            earned = points_of(run([("setup", setup), (answer, code), *cells]), tests)
            if n == 0 or earned > best[answer][0]:
                best[answer] = (earned, code)
    return best


#: The visible gradient-check test's backward pass as it once was: the
#: answers to parts 1-3, written out.
LEAKY = """
def _backward(x, k, dout):
    dx = np.zeros_like(x)
    dk = np.zeros_like(k)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            dx[i : i + k.shape[0], j : j + k.shape[1]] += dout[i, j] * k
            dk += dout[i, j] * x[i : i + k.shape[0], j : j + k.shape[1]]
    return dx, dk, float(dout.sum())
"""
#: A loop, in no function, that gives grad_input away.
LEAKY_LOOP = """
_dx = np.zeros((3, 3))
for _i in range(_dout.shape[0]):
    for _j in range(_dout.shape[1]):
        _dx[_i : _i + _k.shape[0], _j : _j + _k.shape[1]] += _dout[_i, _j] * _k
"""


def test_the_search_finds_the_answers_a_visible_test_gives_away(source):
    best = best_pasted(source, [LEAKY])
    for answer in GRADIENTS:
        earned, code = best[answer]
        assert earned == sum(cells_testing(source, answer).values()), code
    earned, code = best_pasted(source, [LEAKY_LOOP])["grad-input"]
    assert earned == sum(cells_testing(source, "grad-input").values()), code
    assert "for _i in range(_dout.shape[0])" in code


def test_no_visible_test_gives_away_a_gradient_of_parts_1_to_3(source):
    best = best_pasted(source, visible_tests(source))
    for answer in GRADIENTS:
        earned, code = best[answer]
        assert earned == 0, f"{answer} earns {earned} with the visible tests':\n{code}"


# -- a function that changes its input ------------------------------------------


def changing(notebook: dict, answer: str, argument: str) -> str:
    """An answer that returns the right result, then changes ``argument``
    (when it is an array: a float cannot change)."""
    node = _definition(notebook, answer)
    right = answer_code(notebook, answer).replace(
        f"def {node.name}(", f"def _right_{node.name}(", 1
    )
    names = ", ".join(a.arg for a in node.args.args)
    return (
        f"{right}\n\n\ndef {node.name}({ast.unparse(node.args)}):\n"
        f"    result = _right_{node.name}({names})\n"
        f"    if isinstance({argument}, np.ndarray):\n"
        f"        {argument}[...] += 1\n"
        "    return result\n"
    )


ARRAY_ARGUMENTS = [
    (answer, argument)
    for answer in answer_ids(source_version(A3))
    for argument in array_arguments(source_version(A3), answer)
]


def test_the_arrays_each_function_is_given_are_read_from_its_docstring():
    assert ARRAY_ARGUMENTS == [
        ("grad-bias", "dout"),
        ("grad-kernel", "x"),
        ("grad-kernel", "dout"),
        ("grad-input", "dout"),
        ("grad-input", "kernel"),
        ("numerical-grad", "x"),
        ("relative-error", "a"),
        ("relative-error", "b"),
        ("gradient-check", "x"),
        ("gradient-check", "kernel"),
        ("gradient-check", "dout"),
        ("sgd-step", "kernel"),
        ("sgd-step", "dkernel"),
    ]


@pytest.mark.parametrize("answer, argument", ARRAY_ARGUMENTS)
def test_a_changed_argument_is_named_and_costs_its_own_tests_only(
    source, answer, argument
):
    answers = {answer: changing(source, answer, argument)}
    failed = failures(run(notebook_cells(source, answers)), source)
    assert set(failed) == set(cells_testing(source, answer))
    for name, error in failed.items():
        assert f"your function changed {argument} " in error, (name, error)


def test_a_numerical_grad_that_changes_x_loses_its_own_points_only(source):
    code = answer_code(source, "numerical-grad")
    for old, new in CHANGES_X:
        assert old in code
        code = code.replace(old, new)
    failed = failures(run(notebook_cells(source, {"numerical-grad": code})), source)
    assert set(failed) == set(cells_testing(source, "numerical-grad"))
    for error in failed.values():
        assert "your function changed x " in error and " at index " not in error


# -- what the notebook says ------------------------------------------------------


def _duration(seconds: float) -> str:
    if seconds % 60:
        return f"{seconds:g} seconds"
    minutes = seconds // 60
    return f"{minutes:g} minute" + ("s" if minutes != 1 else "")


def test_the_introduction_states_the_grader_s_time_limits(source):
    intro = " ".join(_text(cell_of(source, "intro")).split())
    given = limits(source)
    assert f"any cell that runs longer than {_duration(given['cell'])}" in intro
    assert f"the whole notebook after {_duration(given['notebook'])}" in intro


def test_part_6_says_how_to_take_the_bias_s_numerical_gradient(source):
    text = " ".join(_text(cell_of(source, "md-gradient-check")).split())
    assert (
        "give `numerical_grad` the bias as a 0-d array, `np.array(bias, dtype=float)`"
        in text
    )
    assert "np.array(bias, dtype=float)" in answer_code(source, "gradient-check")
    numerical = " ".join(_text(cell_of(source, "md-numerical")).split())
    assert "including a 0-d array" in numerical


# -- the same, graded ------------------------------------------------------------


@pytest.mark.slow
@needs_sandbox
def test_graded_the_visible_tests_give_nothing_and_a_change_costs_once(
    tmp_path, source
):
    from grading.grade import grade

    course = make_course(tmp_path, A3)
    folder = tmp_path / "submissions"
    pasted = {
        a: code for a, (_, code) in best_pasted(source, visible_tests(source)).items()
    }
    write(with_answers(solved(A3), pasted), folder / "pasted-visible-tests.ipynb")
    changes_x = solved(A3)
    for old, new in CHANGES_X:
        changes_x = replace_in(changes_x, "numerical-grad", old, new)
    write(changes_x, folder / "changes-x.ipynb")
    lines: list[str] = []
    rows = grade(course, A3, folder, out=lines.append)
    print("\n".join(lines))
    for student, row in rows.items():
        print(f"{student}: {row.score:g} of {row.max_score:g} ({row.status})")

    points = graded_points(student_version(A3))
    total = sum(points.values())

    def failed(row) -> dict[str, str]:
        parts = (f.split(": ", 1) for f in row.failed_tests.split(" | ") if f)
        return dict(parts)

    row = rows["pasted-visible-tests"]
    gradients = {n for a in GRADIENTS for n in cells_testing(source, a)}
    assert row.status == "ok" and set(failed(row)) == gradients, row
    assert row.score == total - sum(points[n] for n in gradients)

    row = rows["changes-x"]
    own = cells_testing(source, "numerical-grad")
    assert row.status == "ok" and set(failed(row)) == set(own), row
    assert row.score == total - sum(own.values())
    for message in failed(row).values():
        assert "your function changed x " in message
