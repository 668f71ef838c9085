"""Grade a class's submissions of one assignment: one command, start to end.

    python -m grading.grade a1-convolution path/to/submissions/   # a folder
    python -m grading.grade a1-convolution canvas-download.zip    # an LMS zip
    make grade ASSIGNMENT=a1-convolution SUBMISSIONS=path/to/folder-or.zip

A folder holds one notebook per student, as ``<student>.ipynb`` or in a
folder ``<student>/`` (any name; ``<id>.ipynb`` is preferred when there are
several). A zip is collected with ``nbgrader zip_collect``, whose
``named_regexp`` in ``nbgrader_config.py`` reads the student from each file
name. Then, for each student in turn, with a line of progress each:

1. the file is copied to ``submitted/<student>/<id>/<id>.ipynb``; a
   different earlier submission there is first kept in ``grades/replaced/``;
2. it is checked: a file that is not a notebook fails here; deleted,
   duplicated or retyped graded cells and edited read-only cells are
   recorded (nbgrader puts them right before grading: status ``repaired``);
3. ``nbgrader autograde`` runs it in a fresh kernel. Each cell has the
   assignment's cell limit (``--Execute.timeout``): a cell that runs longer
   is interrupted and fails, and the notebook goes on. The whole notebook
   has the notebook limit: past it, the grading process and its kernel are
   stopped and the submission fails with that reason. A kernel that dies
   fails the submission too. A failed submission scores 0, and the run goes
   on with the next student;
4. ``nbgrader generate_feedback`` writes ``feedback/<student>/<id>/<id>.html``
   (which tests failed and why; never the hidden tests' code). A submission
   that could not be graded gets a page that says why.

At the end, ``grades/<id>.csv`` has one row per student (score, status,
reason, the failed tests and their messages, seconds, the file's SHA-256),
``grades/grades.csv`` is nbgrader's export of the whole gradebook, and
``grades/<id>.log`` has nbgrader's log. Running the command again grades
only new or changed submissions and keeps every earlier row, file and grade
(``--regrade`` grades everything again; grades come out the same).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import json
import queue
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from cnnkit.check import read_notebook, structure_problems
from grading.course import (
    course_folder,
    environment,
    limits,
    read_json,
    source_notebook,
)

#: Seconds a fresh worker may take to import nbgrader and start.
START_TIMEOUT = 600
#: Seconds nbgrader may take for one student's feedback page.
FEEDBACK_TIMEOUT = 300


@dataclass
class Row:
    """One student's line in ``grades/<id>.csv``."""

    student_id: str
    score: float
    max_score: float
    status: str  # ok, repaired or failed
    reason: str
    failed_tests: str
    seconds: float
    submission_sha256: str


# ---------------------------------------------------------------------------
# Collecting submissions
# ---------------------------------------------------------------------------


def _notebooks(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*.ipynb")
        if not any(part.startswith((".", "__MACOSX")) for part in p.parts)
    )


def _pick(assignment: str, candidates: list[Path]) -> tuple[Path, str]:
    """The notebook to grade among a student's files, and a note if unclear."""
    named = [p for p in candidates if p.name == f"{assignment}.ipynb"]
    if len(candidates) == 1 or len(named) == 1:
        return (named or candidates)[0], ""
    newest = max(candidates, key=lambda p: p.stat().st_mtime)
    return newest, f"{len(candidates)} notebooks handed in; graded {newest.name}"


def from_folder(assignment: str, folder: Path) -> dict[str, tuple[Path, str]]:
    """Student id -> (notebook, note) for a folder of submissions."""
    found: dict[str, tuple[Path, str]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "__MACOSX")):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found[entry.stem] = (entry, "")
        elif entry.is_dir():
            candidates = _notebooks(entry)
            if candidates:
                found[entry.name] = _pick(assignment, candidates)
    return found


def from_zip(course: Path, assignment: str, archive: Path, log) -> Path:
    """Run ``nbgrader zip_collect`` on an LMS zip; return the collected folder."""
    downloaded = course / "downloaded" / assignment
    staging = downloaded / "collected"
    for folder in (downloaded / "archive", staging):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    shutil.copy2(archive, downloaded / "archive" / archive.name)
    command = [
        sys.executable,
        "-m",
        "nbgrader",
        "zip_collect",
        assignment,
        "--force",
        f"--CourseDirectory.submitted_directory={staging}",
    ]
    done = subprocess.run(
        command, cwd=course, env=environment(), stdout=log, stderr=log, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"nbgrader zip_collect failed; see {Path(log.name)}")
    return staging


def take_in(
    course: Path, assignment: str, student: str, notebook: Path
) -> tuple[Path, str]:
    """Copy a submission to ``submitted/``, keeping a different earlier one."""
    data = notebook.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    target = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    if target.exists():
        old = target.read_bytes()
        if old == data:
            return target, digest
        kept = course / "grades" / "replaced" / assignment
        kept.mkdir(parents=True, exist_ok=True)
        old_digest = hashlib.sha256(old).hexdigest()[:12]
        shutil.copy2(target, kept / f"{student}-{old_digest}.ipynb")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target, digest


# ---------------------------------------------------------------------------
# The worker process
# ---------------------------------------------------------------------------


class WorkerGone(RuntimeError):
    """The worker stopped answering: it ran out of time or died."""


class WorkerProcess:
    """``grading.worker`` in a child process, with deadlines on its answers."""

    def __init__(self, course: Path, assignment: str, cell_timeout: float, log):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "grading.worker",
                str(course),
                assignment,
                "--cell-timeout",
                str(cell_timeout),
            ],
            cwd=course,
            env=environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
        self.answers: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.wait("ready", START_TIMEOUT)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.answers.put(json.loads(line))
        self.answers.put(None)

    def send(self, **request) -> None:
        """Send one request."""
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()

    def wait(self, op: str, timeout: float) -> dict:
        """The next answer, which must be ``op``, within ``timeout`` seconds."""
        try:
            answer = self.answers.get(timeout=timeout)
        except queue.Empty:
            raise WorkerGone(f"no answer within {timeout:g} s") from None
        if answer is None:
            raise WorkerGone("the grading process ended")
        if answer.get("op") != op:
            raise WorkerGone(f"expected {op!r}, got {answer!r}")
        return answer

    def ask(self, timeout: float, **request) -> dict:
        """Send a request and wait for its answer."""
        self.send(**request)
        return self.wait(request["op"], timeout)

    def stop(self) -> None:
        """End the worker and every process it started (kernels), by pid."""
        import psutil

        try:
            parent = psutil.Process(self.process.pid)
            family = parent.children(recursive=True) + [parent]
        except psutil.NoSuchProcess:
            family = []
        for proc in family:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(family, timeout=30)
        self.process.wait(timeout=30)

    def close(self) -> None:
        """Let the worker finish by closing its input."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.stop()


# ---------------------------------------------------------------------------
# Grading
# ---------------------------------------------------------------------------


def graded_ids(notebook: dict) -> set[str]:
    """The nbgrader cell IDs a notebook has."""
    return {
        cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        for cell in notebook.get("cells", [])
    } - {None}


def _reason_of(error: str) -> str:
    """A one-line reason for an nbgrader failure, from its log."""
    if "DeadKernelError" in error or "Kernel died" in error:
        return "the kernel died while running the notebook (it crashed Python)"
    if "UnresponsiveKernelError" in error:
        return "the kernel stopped responding and could not be interrupted"
    lines = [line for line in error.strip().splitlines() if line.strip()]
    return "nbgrader could not grade it: " + (lines[-1] if lines else "unknown error")


def failure_page(course: Path, assignment: str, student: str, reason: str, score):
    """Feedback for a submission that could not be graded."""
    path = course / "feedback" / student / assignment / f"{assignment}.html"
    shutil.rmtree(path.parent, ignore_errors=True)
    path.parent.mkdir(parents=True)
    path.write_text(
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(assignment)}: feedback</title></head><body>\n"
        f"<h1>{html.escape(assignment)}: feedback for {html.escape(student)}</h1>\n"
        f"<p>Your submission could not be graded: {html.escape(reason)}.</p>\n"
        f"<p>Score: 0 / {score:g}</p>\n"
        "<p>Run the self-check in the notebook's last cell to see what went "
        "wrong, then ask your instructor.</p>\n</body></html>\n",
        encoding="utf-8",
    )
    return path


def read_rows(path: Path) -> dict[str, Row]:
    """The rows of an earlier report, by student."""
    if not path.is_file():
        return {}
    rows = {}
    with path.open(newline="", encoding="utf-8") as f:
        for item in csv.DictReader(f):
            item["score"] = float(item["score"])
            item["max_score"] = float(item["max_score"])
            item["seconds"] = float(item["seconds"])
            rows[item["student_id"]] = Row(**item)
    return rows


def write_rows(path: Path, rows: dict[str, Row]) -> None:
    """Write the report, one row per student, sorted."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=[x.name for x in fields(Row)])
        writer.writeheader()
        for student in sorted(rows):
            writer.writerow(asdict(rows[student]))


class Grader:
    """One grading run of one assignment."""

    def __init__(
        self,
        course: Path,
        assignment: str,
        *,
        cell_timeout: float | None = None,
        notebook_timeout: float | None = None,
        regrade: bool = False,
        out=print,
    ):
        source = read_json(source_notebook(course, assignment))
        given = limits(source)
        self.course, self.assignment, self.regrade, self.out = (
            course,
            assignment,
            regrade,
            out,
        )
        self.cell_timeout = float(cell_timeout or given["cell"])
        self.notebook_timeout = float(notebook_timeout or given["notebook"])
        self.grades = course / "grades"
        self.grades.mkdir(exist_ok=True)
        self.report = self.grades / f"{assignment}.csv"
        self.log = (self.grades / f"{assignment}.log").open("a", encoding="utf-8")
        self.worker: WorkerProcess | None = None
        self.manifest: list[dict] = []
        self.max_score = 0.0

    def _start(self) -> WorkerProcess:
        self.worker = WorkerProcess(
            self.course, self.assignment, self.cell_timeout, self.log
        )
        return self.worker

    def run(self, submissions: Path) -> dict[str, Row]:
        """Grade every submission in a folder or zip; return the report's rows."""
        started = time.perf_counter()
        self.log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {submissions}\n")
        self.log.flush()
        if submissions.is_file() and submissions.suffix == ".zip":
            self.out(f"Collecting {submissions.name} with nbgrader zip_collect...")
            submissions = from_zip(self.course, self.assignment, submissions, self.log)
        elif not submissions.is_dir():
            raise ValueError(
                f"submissions: {submissions} is neither a folder nor a .zip file"
            )
        found = from_folder(self.assignment, submissions)
        self.out(
            f"{self.assignment}: {len(found)} submissions; limits: "
            f"{self.cell_timeout:g} s a cell, {self.notebook_timeout:g} s a notebook"
        )
        worker = self._start()
        prepared = worker.ask(START_TIMEOUT, op="prepare")
        if not prepared["ok"]:
            worker.close()
            raise RuntimeError(
                f"nbgrader could not register the assignment:\n{prepared}"
            )
        self.manifest = prepared["record"]["cells"]
        self.max_score = sum(c["points"] for c in self.manifest)
        rows = read_rows(self.report)
        failures = 0
        graded = 0
        for n, student in enumerate(sorted(found), 1):
            self.out(f"[{n}/{len(found)}] {student} (failures so far: {failures})")
            path, note = found[student]
            row = self.grade_one(student, path, note, rows.get(student))
            rows[student] = row
            write_rows(self.report, rows)  # nothing is lost if the run stops
            graded += 1
            failures += row.status == "failed"
            tail = f"; {row.reason}" if row.reason else ""
            self.out(
                f"    {row.score:g}/{row.max_score:g} {row.status} "
                f"({row.seconds:.1f} s){tail}"
            )
        self.worker.ask(
            FEEDBACK_TIMEOUT, op="export", to=str(self.grades / "grades.csv")
        )
        self.worker.close()
        elapsed = time.perf_counter() - started
        self.out(
            f"Done: {graded} submissions in {elapsed:.0f} s, {failures} failed. "
            f"Grades: {self.report.relative_to(self.course)} and grades/grades.csv; "
            f"feedback: feedback/<student>/{self.assignment}/"
        )
        self.log.close()
        return rows

    def grade_one(self, student: str, path: Path, note: str, before: Row | None) -> Row:
        """Take in, check and grade one submission; return its row."""
        target, digest = take_in(self.course, self.assignment, student, path)
        feedback = self.course / "feedback" / student / self.assignment
        if (
            not self.regrade
            and before is not None
            and before.submission_sha256 == digest
            and before.status in ("ok", "repaired")
            and (feedback / f"{self.assignment}.html").is_file()
        ):
            self.out("    unchanged since it was graded: grade kept")
            return before
        start = time.perf_counter()
        notes = [note] if note else []
        try:
            notebook = read_notebook(target)
        except ValueError as err:
            return self.fail(student, str(err), digest, start)
        if not graded_ids(notebook) & {c["grade_id"] for c in self.manifest}:
            reason = "it has none of the assignment's graded cells: the wrong file?"
            return self.fail(student, reason, digest, start)
        problems = structure_problems(notebook, self.manifest)
        worker = self.worker or self._start()
        try:
            worker.send(op="grade", student=student)
            answer = worker.wait("graded", self.notebook_timeout)
        except WorkerGone as gone:
            worker.stop()
            self.worker = None
            reason = (
                f"timed out: the notebook ran longer than {self.notebook_timeout:g} s"
                if "no answer" in str(gone)
                else f"the grading process stopped ({gone})"
            )
            return self.fail(student, reason, digest, start)
        if not answer["ok"]:
            self._feedback(worker)  # nbgrader tries; the failure page replaces it
            return self.fail(
                student, _reason_of(answer.get("error", "")), digest, start
            )
        notes += problems
        notes += [
            f'cell "{c}" stopped after {self.cell_timeout:g} s'
            for c in answer["timeouts"]
        ]
        if not self._feedback(worker):
            notes.append("nbgrader could not write the feedback page (see the log)")
        failed = answer["failures"]
        return Row(
            student_id=student,
            score=float(answer["score"]),
            max_score=float(answer["max_score"]),
            status="repaired" if problems else "ok",
            reason="; ".join(notes),
            failed_tests=" | ".join(f"{k}: {v}" for k, v in failed.items()),
            seconds=round(time.perf_counter() - start, 1),
            submission_sha256=digest,
        )

    def _feedback(self, worker: WorkerProcess) -> bool:
        try:
            return worker.wait("feedback", FEEDBACK_TIMEOUT)["ok"]
        except WorkerGone:
            worker.stop()
            self.worker = None
            return False

    def fail(self, student: str, reason: str, digest: str, start: float) -> Row:
        """Record a submission that could not be graded: 0 points, and why."""
        worker = self.worker or self._start()
        worker.ask(FEEDBACK_TIMEOUT, op="zero", student=student)
        failure_page(self.course, self.assignment, student, reason, self.max_score)
        return Row(
            student_id=student,
            score=0.0,
            max_score=self.max_score,
            status="failed",
            reason=reason,
            failed_tests="",
            seconds=round(time.perf_counter() - start, 1),
            submission_sha256=digest,
        )


def grade(
    course: Path,
    assignment: str,
    submissions: Path,
    **options,
) -> dict[str, Row]:
    """Grade a folder or zip of submissions; see the module's description.

    Parameters
    ----------
    course : Path
        The course folder (with ``nbgrader_config.py`` and ``solutions/``).
    assignment : str
        The assignment id, e.g. ``"a1-convolution"``.
    submissions : Path
        A folder of notebooks or an LMS download zip.
    **options
        ``cell_timeout``, ``notebook_timeout`` (seconds; default: the
        assignment's limits), ``regrade`` (bool), ``out`` (print function).

    Returns
    -------
    dict of str to Row
        Every row of ``grades/<id>.csv``, by student.
    """
    return Grader(course, assignment, **options).run(Path(submissions))


def main(argv: list[str] | None = None) -> int:
    """Command line; see the module's description."""
    parser = argparse.ArgumentParser(
        prog="python -m grading.grade",
        description="Autograde a folder or LMS zip of one assignment's submissions.",
    )
    parser.add_argument("assignment", help="assignment id, e.g. a1-convolution")
    parser.add_argument("submissions", help="a folder of notebooks, or a .zip")
    parser.add_argument("--course", help="course folder (default: this repository)")
    parser.add_argument("--cell-timeout", type=float, help="seconds per cell")
    parser.add_argument("--notebook-timeout", type=float, help="seconds per notebook")
    parser.add_argument(
        "--regrade", action="store_true", help="grade unchanged submissions again"
    )
    args = parser.parse_args(argv)
    course = course_folder(args.course)
    grade(
        course,
        args.assignment,
        Path(args.submissions).resolve(),
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        regrade=args.regrade,
        out=lambda line: print(line, flush=True),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
