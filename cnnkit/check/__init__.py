"""Checking an assignment: the tests' helpers and the student's self-check.

The assignments' test cells use helpers so that a failing test says in one
line what was expected and what came back (:func:`expect_equal`,
:func:`expect_close`, :func:`expect_true`; :func:`expect_unchanged` when a
function changed an array it was given), and :func:`off_limits`, which
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

Training budgets count what a model actually saw: :func:`count_examples`
and :func:`expect_passes`.

The code lives in one module per part: :mod:`~cnnkit.check.expect` (the
one-line expectations), :mod:`~cnnkit.check.forbidden` (off limits),
:mod:`~cnnkit.check.budget` (training budgets),
:mod:`~cnnkit.check.notebook` (a notebook's graded cells) and
:mod:`~cnnkit.check.self_check` (the self-check); every name is importable
from here.
"""

from cnnkit.check.budget import ExampleCount, count_examples, expect_passes
from cnnkit.check.expect import (
    expect_close,
    expect_equal,
    expect_true,
    expect_unchanged,
)
from cnnkit.check.forbidden import LIBRARIES, OffLimitsError, off_limits
from cnnkit.check.notebook import (
    MANIFEST_KEY,
    STUB,
    cell_source,
    compute_checksum,
    find_manifest,
    manifest_of,
    read_notebook,
    structure_problems,
    unfinished,
)
from cnnkit.check.self_check import (
    GRADER_VARIABLE,
    SELF_CHECK_VARIABLE,
    CellResult,
    CheckReport,
    check,
    error_line,
    main,
    run_check,
)

# A student's traceback names the error where they import it from.
OffLimitsError.__module__ = __name__

__all__ = [
    "CellResult",
    "CheckReport",
    "ExampleCount",
    "GRADER_VARIABLE",
    "LIBRARIES",
    "MANIFEST_KEY",
    "OffLimitsError",
    "SELF_CHECK_VARIABLE",
    "STUB",
    "cell_source",
    "check",
    "compute_checksum",
    "count_examples",
    "error_line",
    "expect_close",
    "expect_equal",
    "expect_passes",
    "expect_true",
    "expect_unchanged",
    "find_manifest",
    "main",
    "manifest_of",
    "off_limits",
    "read_notebook",
    "run_check",
    "structure_problems",
    "unfinished",
]
