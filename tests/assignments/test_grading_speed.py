"""How fast a class is graded: serially, two at a time, and without the sandbox.

A benchmark (``make bench``, not ``make test``): 40 honest submissions of
assignment 1 are graded with one worker and with two, and 10 of them without
the sandbox, to measure its cost per submission. The times are printed
(``pytest -s``); the issue that asked for parallel grading set the bars
checked here: at least 20 submissions a minute serially, and at least 1.7
times faster with two workers on a machine with two free cores. On a busy
machine the times are printed and the bars not checked; nor is the second
bar on a machine whose two cores run two busy processes much less than
twice as fast as one (a virtual machine whose cores are shared), which the
test measures first.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from _submissions import make_course, needs_sandbox, solved, write

import grading.sandbox
from grading.grade import grade

pytestmark = [pytest.mark.bench, needs_sandbox]

A1 = "a1-convolution"


def _time(tmp_path, name: str, n: int, **options) -> float:
    course = make_course(tmp_path / name, A1)
    folder = tmp_path / name / "class"
    for k in range(n):
        write(solved(A1), folder / f"s{k:02d}.ipynb")
    start = time.perf_counter()
    rows = grade(course, A1, folder, out=lambda line: None, **options)
    elapsed = time.perf_counter() - start
    assert [r.score for r in rows.values()] == [21.0] * n
    return elapsed


def _two_at_once() -> float:
    """How many times faster the machine runs two busy Python processes at
    once than one after the other: 2 with two free cores."""

    def run(n: int) -> float:
        start = time.perf_counter()
        spin = "s = 0\nfor i in range(20_000_000): s += i"
        spinning = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(n)]
        for process in spinning:
            process.wait()
        return time.perf_counter() - start

    return 2 * run(1) / run(2)


def test_grading_speed(tmp_path, monkeypatch):
    busy = os.getloadavg()[0]  # other work on the machine skews every number
    cores = _two_at_once()
    n = 40
    serial = _time(tmp_path, "serial", n, jobs=1)
    parallel = _time(tmp_path, "parallel", n, jobs=2)
    sandboxed = _time(tmp_path, "sandboxed", 10, jobs=1)
    monkeypatch.setattr(grading.sandbox, "unavailable", lambda: "measuring its cost")
    bare = _time(tmp_path, "bare", 10, jobs=1, unsafe_no_sandbox=True)
    print(
        f"\n{n} submissions: {serial:.0f} s serially ({60 * n / serial:.1f} a minute), "
        f"{parallel:.0f} s two at a time ({serial / parallel:.2f}x); "
        f"the sandbox costs {(sandboxed - bare) / 10:.2f} s a submission "
        f"(10 in {sandboxed:.0f} s with it, {bare:.0f} s without); "
        f"{os.cpu_count()} cores, which run two busy processes {cores:.2f}x as fast "
        "as one"
    )
    if busy > 1.0:
        pytest.skip(
            f"the machine was busy (load average {busy:.1f} before the run): the "
            "bars are for a machine with two free cores; the times are printed"
        )
    assert 60 * n / serial >= 20
    if cores < 1.8:
        pytest.skip(
            f"two busy processes ran only {cores:.2f}x as fast as one here: the "
            "machine does not have two free cores, which the 1.7x bar is for"
        )
    assert serial / parallel >= 1.7
