"""Settings for every test run from the repository root.

Tools that write caches or config (Keras, matplotlib, Jupyter, IPython) are
pointed at a temporary folder before anything imports them, so tests never
write into the repository or the user's home. Notebook kernels started by
nbval inherit these variables.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

import pytest

_HOME = tempfile.mkdtemp(prefix="cnnkit-tests-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
for _var, _sub in {
    "KERAS_HOME": "keras",
    "MPLCONFIGDIR": "matplotlib",
    "JUPYTER_CONFIG_DIR": "jupyter/config",
    "JUPYTER_DATA_DIR": "jupyter/data",
    "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
    "IPYTHONDIR": "ipython",
}.items():
    os.environ[_var] = os.path.join(_HOME, _sub)
    os.makedirs(os.environ[_var], exist_ok=True)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Tests draw off screen. This is set in this process only: an MPLBACKEND
# variable would reach the kernels nbval starts and stop chapters' figures
# from being displayed, and so stored.
import matplotlib  # noqa: E402 (only once MPLCONFIGDIR is set)

matplotlib.use("Agg")

# Student versions of assignments stop at `raise NotImplementedError()` by
# design; the assignment tests exercise them, nbval does not. Conftest files
# hold no doctests, and several of them share one module name, which
# --doctest-modules cannot import side by side (pytest still loads them as
# conftests).
collect_ignore_glob = ["notebooks/assignments/*", "*/conftest.py"]


# Every chapter runs within its time budget: Part I's in a minute, Part II's
# (which train networks) in four. nbval runs a notebook cell by cell; the
# cell at which a notebook's running total passes its budget fails.
# `make portable` re-runs the chapters on one core with oneDNN off to check
# their numbers, not their speed, and sets CHAPTER_BUDGETS=off.
BUDGET_SECONDS = {"I": 60.0, "II": 240.0}
_spent: dict[str, float] = {}


def chapter_budget(name: str) -> float | None:
    """The time budget of a chapter notebook named ``NN-topic.ipynb``."""
    number = name.split("-", 1)[0]
    if not number.isdigit():
        return None
    return BUDGET_SECONDS["I" if int(number) <= 7 else "II"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    path = getattr(item, "path", None)
    if call.when != "call" or path is None or path.suffix != ".ipynb":
        return
    budget = chapter_budget(path.name)
    if budget is None or os.environ.get("CHAPTER_BUDGETS") == "off":
        return
    _spent[path.name] = _spent.get(path.name, 0.0) + call.duration
    if report.passed and _spent[path.name] > budget:
        report.outcome = "failed"
        report.longrepr = (
            f"{path.name} has run for {_spent[path.name]:.0f} s by this cell, "
            f"past its budget of {budget:.0f} s"
        )
