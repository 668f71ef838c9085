"""The process that runs nbgrader for ``grading.grade``, one student at a time.

``grading.grade`` starts it, sends it one request per line on its standard
input and reads one JSON answer per line on its standard output; nbgrader's
log and anything the kernels print go to its standard error (the run's log
file). It runs nbgrader in-process, so nbgrader's start-up is paid once per
worker, and ``grading.grade`` can stop it, kernel and all, when a notebook
runs past its limit, then start a fresh one for the next student.

Requests (``{"op": ...}``):

- ``prepare``: register the assignment and its cells in the gradebook
  (``nbgrader generate_assignment``, written to a scratch folder, so the
  committed student version is not touched); answers with its record and
  the student version it generated.
- ``join``: start from a copy of the course's gradebook, which the writer
  has prepared (a grading worker's own gradebook, when both are SQLite
  files; otherwise ``prepare``).
- ``grade`` with ``student``: ``nbgrader autograde`` then answers with the
  scores per test cell, the failures and the cells stopped by the time
  limit.
- ``feedback`` with ``student``: ``nbgrader generate_feedback``, from the
  gradebook's grades.
- ``record`` with ``student`` and ``scores`` (points per test cell, or
  none for a submission that could not be graded: 0 everywhere): write a
  grade into the gradebook.
- ``export`` with ``to``: nbgrader's CSV export of every grade.
- ``verify``: what disagrees between the report and the gradebook
  (``grading.verify``), asked of the writer at the end of a run.

``grading.grade`` runs three kinds: grading workers, each with a gradebook of
its own (a copy, which nbgrader's autograde writes); one writer, which
never runs a student's notebook and is the only process that writes the
course's gradebook (``record``), from what the grading workers reported;
and one that writes the feedback pages from the course's gradebook while
the workers grade the next students.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import json
import logging
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from cnnkit.check import error_line
from grading.course import load_config, nbgrader_api, read_json, record

#: Error names nbgrader writes when a cell ran out of time (nbclient's
#: marker, and the interrupt it sends the kernel).
TIMEOUT_ERRORS = ("CellTimeoutError", "KeyboardInterrupt")


class Worker:
    """Holds one NbGraderAPI for one assignment; answers requests."""

    def __init__(
        self,
        course: Path,
        assignment: str,
        cell_timeout: float,
        notebook_timeout: float = 600,
        sandbox: bool = True,
        db: str | None = None,
        slot: int = 0,
    ):
        from grading.sandbox import resource_limits

        self.course = course
        self.assignment = assignment
        self.scratch = Path(tempfile.mkdtemp(prefix="grading-release-"))
        atexit.register(shutil.rmtree, self.scratch, ignore_errors=True)
        self.api = nbgrader_api(
            course,
            {
                "Execute": {"timeout": int(cell_timeout), "interrupt_on_timeout": True},
                "ExecutePreprocessor": {"timeout": int(cell_timeout)},
                "GradingExecute": {"sandbox": sandbox},
                "SandboxKernelManager": {
                    "limits": resource_limits(assignment, notebook_timeout),
                    "slot": slot,
                },
                **({"CourseDirectory": {"db_url": f"sqlite:///{db}"}} if db else {}),
            },
        )
        self.coursedir = self.api.coursedir

    # -- requests ----------------------------------------------------------

    def prepare(self) -> dict:
        """Put the assignment in the gradebook; return its record."""
        release = self.coursedir.release_directory
        self.coursedir.release_directory = str(self.scratch)
        try:
            result = self.api.generate_assignment(
                self.assignment, force=True, create=True
            )
        finally:
            self.coursedir.release_directory = release
        if not result["success"]:
            return {"ok": False, "error": _log(result)}
        student = read_json(self.scratch / self.assignment / f"{self.assignment}.ipynb")
        source = read_json(
            self.course / "solutions" / self.assignment / f"{self.assignment}.ipynb"
        )
        return {
            "ok": True,
            "record": record(self.assignment, source, student),
            "student": student,
        }

    def join(self) -> dict:
        """Start from a copy of the course's gradebook, once the writer has
        prepared it: the same records as ``prepare`` writes, for a fraction
        of its time. Falls back to ``prepare`` for a database that is not
        a SQLite file."""
        source = _sqlite_file(load_config(self.course).CourseDirectory.db_url)
        target = _sqlite_file(self.coursedir.db_url)
        if source is None or target is None or source == target:
            return self.prepare()
        with (
            contextlib.closing(sqlite3.connect(source)) as src,
            contextlib.closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst)
        return {"ok": True}

    def grade(self, student: str) -> dict:
        """Autograde one submission; return its scores."""
        from grading.preprocessors import TAMPERING

        start = time.perf_counter()
        TAMPERING.clear()
        result = self.api.autograde(self.assignment, student, force=True, create=True)
        print(f"--- autograde {self.assignment} {student}\n{_log(result)}", flush=True)
        answer = {
            "ok": result["success"],
            "seconds": time.perf_counter() - start,
            "tampered": dict(TAMPERING),
        }
        if not result["success"]:
            answer["error"] = _log(result)
            self.record(student, None)
        answer.update(self.scores(student))
        answer.update(self.outcomes(student))
        return answer

    def feedback(self, student: str) -> dict:
        """Write the student's feedback HTML."""
        result = self.api.generate_feedback(self.assignment, student, force=True)
        return {
            "ok": result["success"],
            "error": "" if result["success"] else _log(result),
        }

    def record(self, student: str, scores: dict[str, float] | None) -> dict:
        """Give a submission its points per test cell (None: 0 everywhere)."""
        from nbgrader.api import Gradebook

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            gb.update_or_create_student(student)
            submission = gb.update_or_create_submission(self.assignment, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = (scores or {}).get(grade.name, 0)
                    grade.manual_score = None
                    grade.needs_manual_grade = False
            gb.db.commit()
        return {"ok": True}

    def export(self, to: str) -> dict:
        """nbgrader's CSV of every grade in the gradebook."""
        from nbgrader.api import Gradebook
        from nbgrader.plugins.export import CsvExportPlugin

        plugin = CsvExportPlugin(to=to)
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            plugin.export(gb)
        return {"ok": True}

    def verify(self) -> dict:
        """What disagrees between the report and the gradebook."""
        from grading.verify import problems

        return {"ok": True, "problems": problems(self.course, self.assignment)}

    # -- reading the results -----------------------------------------------

    def scores(self, student: str) -> dict:
        """Score, maximum and per-cell points from the gradebook."""
        from nbgrader.api import Gradebook, MissingEntry

        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                submission = gb.find_submission(self.assignment, student)
            except MissingEntry:
                return {"score": 0.0, "max_score": 0.0, "cells": []}
            cells = [
                {"grade_id": g.name, "score": g.score, "max_score": g.max_score}
                for nb in submission.notebooks
                for g in nb.grades
            ]
            return {
                "score": submission.score,
                "max_score": submission.max_score,
                "cells": cells,
            }

    def outcomes(self, student: str) -> dict:
        """Why each test cell failed, and which cells ran out of time."""
        path = Path(
            self.coursedir.format_path(
                self.coursedir.autograded_directory, student, self.assignment
            ),
            f"{self.assignment}.ipynb",
        )
        failures, timeouts = {}, []
        if not path.is_file():
            return {"failures": failures, "timeouts": timeouts}
        for cell in read_json(path)["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            errors = [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
            if not errors:
                continue
            name = meta.get("grade_id", "?")
            if any(e["ename"] in TIMEOUT_ERRORS for e in errors):
                timeouts.append(name)
            if meta.get("grade"):
                error = (
                    errors[-1] if errors[-1]["ename"] in TIMEOUT_ERRORS else errors[0]
                )
                failures[name] = error_line(error)
        return {"failures": failures, "timeouts": timeouts}


def _sqlite_file(url: str) -> str | None:
    """The file of a ``sqlite:///`` database URL, or None for another kind."""
    prefix = "sqlite:///"
    return url[len(prefix) :] if url.startswith(prefix) else None


def _log(result: dict) -> str:
    text = (result.get("log") or "") + (result.get("error") or "")
    return text[-4000:]


def serve(worker: Worker, requests, answers) -> None:
    """Answer requests until the input ends."""
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        op = request["op"]
        try:
            if op == "prepare":
                answer = worker.prepare()
            elif op == "join":
                answer = worker.join()
            elif op == "grade":
                answer = worker.grade(request["student"])
                op = "graded"
            elif op == "feedback":
                answer = worker.feedback(request["student"])
            elif op == "record":
                answer = worker.record(request["student"], request.get("scores"))
            elif op == "export":
                answer = worker.export(request["to"])
            elif op == "verify":
                answer = worker.verify()
            else:
                answer = {"ok": False, "error": f"unknown op {op!r}"}
        except Exception as err:  # reported to grading.grade, which records it
            answer = {"ok": False, "error": f"{type(err).__name__}: {err}"}
        answers.write(json.dumps({"op": op, **answer}) + "\n")
        answers.flush()


def main(argv: list[str] | None = None) -> None:
    """``python -m grading.worker COURSE ASSIGNMENT --cell-timeout S``; ends
    the process when its input ends."""
    parser = argparse.ArgumentParser(prog="python -m grading.worker")
    parser.add_argument("course")
    parser.add_argument("assignment")
    parser.add_argument("--cell-timeout", type=float, required=True)
    parser.add_argument("--notebook-timeout", type=float, default=600)
    parser.add_argument("--unsandboxed", action="store_true")
    parser.add_argument("--db", help="the gradebook file (default: the course's)")
    parser.add_argument("--slot", type=int, default=0, help="the worker's number")
    args = parser.parse_args(argv)
    # Answers go to the real standard output; everything else that would be
    # printed there (nbgrader, kernels started from here) goes to the log.
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    worker = Worker(
        Path(args.course),
        args.assignment,
        args.cell_timeout,
        args.notebook_timeout,
        sandbox=not args.unsandboxed,
        db=args.db,
        slot=args.slot,
    )
    answers.write(json.dumps({"op": "ready"}) + "\n")
    answers.flush()
    serve(worker, sys.stdin, answers)
    # Python's own tidying of everything nbgrader loaded takes half a second,
    # which the grader waits for at the end of each run; the kernels are gone:
    # only the scratch folder and the log are left.
    shutil.rmtree(worker.scratch, ignore_errors=True)
    logging.shutdown()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
