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
   recorded (nbgrader puts them right before grading: status ``repaired``),
   and edited nbgrader metadata is put back as released, or removed where it
   names no cell of the assignment (``repaired`` too);
   a notebook whose cells lost their grading metadata is rebuilt around the
   answers found in it (``grading.rescue``: status ``rescued``); one whose
   answers all still raise the stub's ``NotImplementedError`` is
   ``unanswered``;
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

At the end, ``grades/<id>.csv`` has one row per student (score, status
(:data:`STATUSES`), reason, the failed tests and their messages, seconds,
the file's SHA-256, the LMS's late mark, the limits),
``grades/grades.csv`` is nbgrader's export of the whole gradebook, and
``grades/<id>.log`` has nbgrader's log. Running the command again grades
only new or changed submissions, or those graded under other limits, and
keeps every earlier row, file and grade, failures included (``--regrade``
grades everything again; grades come out the same).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import importlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from cnnkit.check import read_notebook, structure_problems, unfinished
from grading import sandbox
from grading.course import (
    course_folder,
    environment,
    limits,
    read_json,
    source_notebook,
    without_slow_imports,
)
from grading.intake import (
    LMS_FILE_NAME,
    clean_zip,
    from_folder,
    unlink_links,
    write_file,
)
from grading.rescue import rescue, restore_metadata

__all__ = ["Row", "from_folder", "grade", "read_rows", "take_in", "write_rows"]

#: The notebook metadata key that marks a notebook in ``submitted/`` that the
#: grader rebuilt (rescued, its grading metadata put back, or its malformed
#: outputs cleared) with the SHA-256 of the file it was rebuilt from. (Rescue
#: came first, and gave the key its name.)
REBUILT_FROM = "rescued_from"
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
    status: str  # see STATUSES
    reason: str
    failed_tests: str
    seconds: float
    submission_sha256: str
    late: str = ""  # "late" when the LMS marked the file late
    limits: str = ""  # the limits it was graded under: "<cell s>/<notebook s>"


#: Every status a row can have, as ``book/instructors.md`` explains them.
STATUSES = {
    "ok": "graded as handed in",
    "repaired": "graded after deleted or edited given cells, or edited grading "
    "metadata, were put back",
    "rescued": "its cells had lost their grading metadata; the answers found "
    "by content were graded in the released notebook",
    "unanswered": "every answer cell still holds the stub's NotImplementedError",
    "tampered": "it changed how later tests run; those tests earned nothing",
    "failed": "it could not be graded (the reason says why); 0 points",
}


# ---------------------------------------------------------------------------
# Collecting submissions (the checks are in grading.intake)
# ---------------------------------------------------------------------------


def from_zip(
    course: Path, assignment: str, archive: Path, log, refused: list
) -> tuple[Path, set[str]]:
    """Run ``nbgrader zip_collect`` on a clean copy of an LMS zip.

    Members that are unsafe (see :func:`grading.intake.clean_zip`) are left
    out and added to ``refused``. Returns the folder of collected files and
    the students whose files the LMS marked late (``_late`` in the name).
    """
    downloaded = course / "downloaded" / assignment
    staging = downloaded / "collected"
    for folder in (downloaded / "archive", staging):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    clean, bad = clean_zip(archive, downloaded / "archive" / "submissions.zip")
    refused += [(f"{archive.name}: {name}", reason) for name, reason in bad]
    with zipfile.ZipFile(clean) as members:
        late = {
            match["student_id"]
            for name in members.namelist()
            if (match := LMS_FILE_NAME.match("/" + name)) and match["late"]
        }
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
    return staging, late


def take_in(
    course: Path, assignment: str, student: str, notebook: Path
) -> tuple[Path, str]:
    """Copy a submission to ``submitted/``, keeping a different earlier one."""
    data = notebook.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    target = course / "submitted" / student / assignment / f"{assignment}.ipynb"
    unlink_links(course, target)
    if target.exists():
        old = target.read_bytes()
        if old == data:
            return target, digest
        if f'"{REBUILT_FROM}": "{digest}"'.encode() in old:
            write_file(course, target, data)  # this file, rebuilt last time
            return target, digest
        kept = course / "grades" / "replaced" / assignment
        old_digest = hashlib.sha256(old).hexdigest()[:12]
        write_file(course, kept / f"{student}-{old_digest}.ipynb", old)
    write_file(course, target, data)
    return target, digest


# ---------------------------------------------------------------------------
# The worker processes
# ---------------------------------------------------------------------------


class WorkerGone(RuntimeError):
    """The worker stopped answering: it ran out of time or died."""


class WorkerProcess:
    """``grading.worker`` in a child process, with deadlines on its answers."""

    def __init__(
        self,
        course: Path,
        assignment: str,
        timeouts: tuple[float, float],
        log,
        *,
        db: Path | None = None,
        sandboxed: bool = True,
        slot: int = 0,
        tmp: Path | None = None,
    ):
        options = ["--cell-timeout", str(timeouts[0]), "--slot", str(slot)]
        options += ["--notebook-timeout", str(timeouts[1])]
        options += ["--db", str(db)] if db else []
        options += [] if sandboxed else ["--unsandboxed"]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "grading.worker", str(course), assignment, *options],
            cwd=course,
            env={**environment(), **({"TMPDIR": str(tmp)} if tmp else {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
        self.tmp = tmp
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
        self.end_input()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.stop()

    def end_input(self) -> None:
        """Close the worker's input: it finishes, and exits."""
        try:
            self.process.stdin.close()
        except OSError:  # it has exited already
            pass


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
    # the last exception named, but nbgrader's own, which only says to look above
    raised = [
        line.strip()
        for line in error.splitlines()
        if _RAISED.match(line) and "NbGraderException" not in line
    ]
    lines = raised or [line for line in error.strip().splitlines() if line.strip()]
    return "nbgrader could not grade it: " + (lines[-1] if lines else "unknown error")


#: A line of a log that names an exception and its message.
_RAISED = re.compile(r"\s*[\w.]*(Error|Exception): ")


def _count(number: int, noun: str) -> str:
    """``number`` ``noun``s, or one ``noun``."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _clear_malformed_outputs(course: Path, path: Path, digest: str) -> bool:
    """Clear a notebook's outputs if they are what keeps nbformat from reading it.

    Outputs are cleared before grading anyway; nbformat, which reads the
    notebook first, fails on a malformed one (an output that is a string,
    say). The file is marked as rebuilt from the submission whose SHA-256 is
    ``digest``. Returns whether the file was rewritten.
    """
    import nbformat

    text = path.read_text(encoding="utf-8")
    try:
        nbformat.reads(text, as_version=4)
        return False
    except Exception:  # nbformat raises many kinds; what follows decides
        notebook = json.loads(text)
    for cell in notebook.get("cells", []):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    try:
        nbformat.reads(json.dumps(notebook), as_version=4)
    except Exception:
        return False  # something else is wrong: nbgrader will say what
    _write_rebuilt(course, path, notebook, digest)
    return True


def _write_rebuilt(course: Path, path: Path, notebook: dict, digest: str) -> None:
    """Write a notebook the grader rebuilt, marked with the submission's SHA-256."""
    notebook.setdefault("metadata", {})[REBUILT_FROM] = digest
    data = json.dumps(notebook, indent=1, ensure_ascii=False)
    write_file(course, path, data.encode("utf-8"))


def failure_page(course: Path, assignment: str, student: str, reason: str, score):
    """Feedback for a submission that could not be graded."""
    path = course / "feedback" / student / assignment / f"{assignment}.html"
    unlink_links(course, path)
    shutil.rmtree(path.parent, ignore_errors=True)
    text = (
        "<!DOCTYPE html>\n<html><head><meta charset='utf-8'>"
        f"<title>{html.escape(assignment)}: feedback</title></head><body>\n"
        f"<h1>{html.escape(assignment)}: feedback for {html.escape(student)}</h1>\n"
        f"<p>Your submission could not be graded: {html.escape(reason)}.</p>\n"
        f"<p>Score: 0 / {score:g}</p>\n"
        "<p>Run the self-check in the notebook's last cell to see what went "
        "wrong, then ask your instructor.</p>\n</body></html>\n"
    )
    write_file(course, path, text.encode("utf-8"))
    return path


def read_rows(path: Path) -> dict[str, Row]:
    """The rows of an earlier report, by student."""
    if not path.is_file():
        return {}
    rows = {}
    with path.open(newline="", encoding="utf-8") as f:
        known = {x.name for x in fields(Row)}
        for item in csv.DictReader(f):
            item = {k: v for k, v in item.items() if k in known}
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


#: What ``make grade`` says, once, when it runs students' code unsandboxed.
UNSAFE_WARNING = """\
************************************************************************
WARNING: grading WITHOUT the sandbox ({reason}).
Each student's code runs as you, with your files, your network and the
gradebook in reach. Grade only on a machine that holds nothing else.
************************************************************************"""


class Grader:
    """One grading run of one assignment.

    ``jobs`` submissions are graded at once, each by a worker process of its
    own (with a gradebook of its own). This process alone writes the report,
    and one writer process alone writes the course's gradebook, from what
    the workers report; so grades come out as in a serial run.
    """

    def __init__(
        self,
        course: Path,
        assignment: str,
        *,
        cell_timeout: float | None = None,
        notebook_timeout: float | None = None,
        regrade: bool = False,
        jobs: int = 1,
        unsafe_no_sandbox: bool = False,
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
        self.jobs = max(1, int(jobs))
        self.unsafe = unsafe_no_sandbox
        self.sandboxed = True
        self.grades = course / "grades"
        self.grades.mkdir(exist_ok=True)
        self.report = self.grades / f"{assignment}.csv"
        self.log = (self.grades / f"{assignment}.log").open("a", encoding="utf-8")
        self.writer: WorkerProcess | None = None
        self.workers: dict[int, WorkerProcess | None] = {}
        self.starting: dict[int, WorkerProcess] = {}
        self.feedback: WorkerProcess | None = None
        # two folders the run makes (see run()) and removes
        self.scratch: Path | None = None
        self.temp: Path | None = None
        self.lock = threading.Lock()
        self.manifest: list[dict] = []
        self.max_score = 0.0
        self.refused: list[tuple] = []
        self.problems: list[str] = []
        self.late: set[str] = set()
        self.pages: queue.Queue = queue.Queue()
        self.released: dict = {}
        self.limits = f"{self.cell_timeout:g}/{self.notebook_timeout:g}"

    # -- workers -------------------------------------------------------------

    def _timeouts(self) -> tuple[float, float]:
        return self.cell_timeout, self.notebook_timeout

    def _process(self, name: str, **options) -> WorkerProcess:
        """A ``grading.worker`` process of this run, with its temporary files
        in a folder of :attr:`temp` (``name``-...), which the grader removes."""
        tmp = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=self.temp))
        tmp.chmod(0o711)  # its sandboxes, run as other users, reach theirs
        return WorkerProcess(
            self.course, self.assignment, self._timeouts(), self.log, tmp=tmp, **options
        )

    def _new_worker(self, slot: int) -> WorkerProcess:
        db = self.scratch / f"gradebook-{slot}.db"
        db.unlink(missing_ok=True)
        return self._process(
            f"worker{slot}", db=db, sandboxed=self.sandboxed, slot=slot
        )

    def _launch(self, slot: int) -> None:
        """Start a slot's grading worker while the writer prepares the
        gradebook (it joins the gradebook later, in :meth:`_worker`)."""
        try:
            self.starting[slot] = self._new_worker(slot)
        except WorkerGone as gone:  # started again, and reported, when needed
            self.log.write(f"a grading worker did not start: {gone}\n")

    def _launch_feedback(self) -> None:
        """Start the process that writes the feedback pages (see
        :meth:`_write_feedback`)."""
        try:
            self.feedback = self._process("feedback")
        except WorkerGone as gone:  # started again when the first page is due
            self.log.write(f"the feedback process did not start: {gone}\n")

    def _worker(self, slot: int) -> WorkerProcess:
        """The grading worker of a slot, started (and given a copy of the
        course's gradebook) if needed."""
        worker = self.workers.get(slot)
        if worker is None:
            worker = self.starting.pop(slot, None) or self._new_worker(slot)
            joined = worker.ask(START_TIMEOUT, op="join")
            if not joined["ok"]:
                worker.stop()
                raise RuntimeError(
                    f"a worker could not register the assignment:\n{joined}"
                )
            self.workers[slot] = worker
        return worker

    def _close_all(self) -> None:
        """Let every process of the run finish, and remove its scratch files."""
        processes = [
            *self.workers.values(),
            *self.starting.values(),
            self.feedback,
            self.writer,
        ]
        self.workers.clear()
        self.starting.clear()
        self.feedback = None
        processes = [process for process in processes if process is not None]
        for process in processes:
            process.end_input()  # they finish at once, not one after another
        for process in processes:
            process.close()
        for folder in (self.scratch, self.temp):
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)

    def _drop(self, slot: int) -> None:
        worker = self.workers.pop(slot, None)
        if worker is not None:
            worker.stop()
            if worker.tmp is not None:  # what its killed kernels left
                shutil.rmtree(worker.tmp, ignore_errors=True)

    def _check_sandbox(self) -> None:
        reason = sandbox.unavailable()
        if reason is None:
            return
        if not self.unsafe:
            raise RuntimeError(
                f"the sandbox cannot run here: {reason}. Grading runs each "
                "student's code in it, and will not run it without one unless you "
                "pass --unsafe-no-sandbox (make grade GRADE_OPTIONS="
                "--unsafe-no-sandbox), on a machine that holds nothing else."
            )
        self.sandboxed = False
        warning = UNSAFE_WARNING.format(reason=reason)
        self.out(warning)
        self.log.write(warning + "\n")

    # -- the run -------------------------------------------------------------

    def run(self, submissions: Path) -> dict[str, Row]:
        """Grade every submission in a folder or zip; return the report's rows."""
        started = time.perf_counter()
        without_slow_imports()
        self._check_sandbox()
        self.log.write(f"\n=== {time.strftime('%Y-%m-%d %H:%M:%S')} {submissions}\n")
        self.log.flush()
        if submissions.is_file() and submissions.suffix == ".zip":
            self.out(f"Collecting {submissions.name} with nbgrader zip_collect...")
            submissions, self.late = from_zip(
                self.course, self.assignment, submissions, self.log, self.refused
            )
        elif not submissions.is_dir():
            raise ValueError(
                f"submissions: {submissions} is neither a folder nor a .zip file"
            )
        found = from_folder(self.assignment, submissions, self.refused)
        for path, reason in self.refused:
            self.out(f"refused: {path}: {reason}")
        self.out(
            f"{self.assignment}: {_count(len(found), 'submission')}; limits: "
            f"{self.cell_timeout:g} s a cell, {self.notebook_timeout:g} s a notebook"
            + (f"; {self.jobs} at a time" if self.jobs > 1 else "")
        )
        self.scratch = Path(tempfile.mkdtemp(prefix="grading-"))
        # the temporary files of the run's processes (kernels' sockets among
        # them), removed by the grader even when it had to kill a process
        self.temp = Path(tempfile.mkdtemp(prefix="grading-tmp-"))
        self.temp.chmod(0o711)  # sandboxes, run as other users, reach theirs
        # The other processes start while the writer prepares the gradebook,
        # and nbformat, which the checks of each submission use, is loaded.
        slots = range(min(self.jobs, len(found)))
        launching = [threading.Thread(target=self._launch, args=(s,)) for s in slots]
        if found:
            launching.append(threading.Thread(target=self._launch_feedback))
            launching.append(
                threading.Thread(target=importlib.import_module, args=("nbformat",))
            )
        for thread in launching:
            thread.start()
        try:
            self.writer = self._process("writer")
            prepared = self.writer.ask(START_TIMEOUT, op="prepare")
        except WorkerGone:
            for thread in launching:
                thread.join()
            self._close_all()
            raise
        for thread in launching:
            thread.join()
        if not prepared["ok"]:
            self._close_all()
            raise RuntimeError(
                f"nbgrader could not register the assignment:\n{prepared}"
            )
        self.manifest = prepared["record"]["cells"]
        self.released = prepared["student"]
        self.max_score = sum(c["points"] for c in self.manifest)
        rows = read_rows(self.report)
        todo: queue.Queue = queue.Queue()
        for student in sorted(found):
            todo.put(student)
        state = {"n": 0, "failures": 0, "graded": 0}

        def work(slot: int) -> None:
            if todo.qsize() > slot:
                self._worker(slot)  # ready before its first student's clock
            while True:
                with self.lock:  # taken and announced in order
                    try:
                        student = todo.get_nowait()
                    except queue.Empty:
                        return
                    state["n"] += 1
                    self.out(
                        f"[{state['n']}/{len(found)}] {student} "
                        f"(failures so far: {state['failures']})"
                    )
                path, note = found[student]
                try:
                    row, scores = self.grade_one(
                        student, path, note, rows.get(student), slot
                    )
                except Exception as err:  # the run goes on; the row says why
                    self._drop(slot)
                    reason = f"the grader failed on it ({type(err).__name__}: {err})"
                    row, scores = (
                        self.fail(student, reason, "", time.perf_counter()),
                        None,
                    )
                row.late = "late" if student in self.late else ""
                with self.lock:
                    if scores is not None or row.status == "failed":
                        self.writer.ask(
                            FEEDBACK_TIMEOUT,
                            op="record",
                            student=student,
                            scores=scores,
                        )
                    if scores is not None:
                        self.pages.put(student)  # from the gradebook, meanwhile
                    rows[student] = row
                    write_rows(self.report, rows)  # nothing is lost if the run stops
                    state["graded"] += 1
                    state["failures"] += row.status == "failed"
                    tail = f"; {row.reason}" if row.reason else ""
                    who = f"{student}: " * (self.jobs > 1)
                    self.out(
                        f"    {who}{row.score:g}/{row.max_score:g} {row.status} "
                        f"({row.seconds:.1f} s){tail}"
                    )

        try:
            pages = threading.Thread(target=self._write_feedback, args=(rows,))
            pages.start()
            threads = [threading.Thread(target=work, args=(slot,)) for slot in slots]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.pages.put(None)
            pages.join()
            self.writer.ask(
                FEEDBACK_TIMEOUT, op="export", to=str(self.grades / "grades.csv")
            )
            if rows:  # the writer has nbgrader loaded: the check costs nothing
                checked = self.writer.ask(FEEDBACK_TIMEOUT, op="verify")
                self.problems = checked["problems"]
        finally:
            self._close_all()
        for line in self.problems:
            self.out(f"verify: {line}")
        elapsed = time.perf_counter() - started
        self.out(
            f"Done: {_count(state['graded'], 'submission')} in {elapsed:.0f} s, "
            f"{state['failures']} failed"
            + (f", {_count(len(self.refused), 'file')} refused" if self.refused else "")
            + f". Grades: {self.report.relative_to(self.course)} and "
            f"grades/grades.csv; feedback: feedback/<student>/{self.assignment}/"
            + ("" if self.problems else "; the gradebook agrees with the report")
        )
        self.log.close()
        return rows

    def grade_one(
        self, student: str, path: Path, note: str, before: Row | None, slot: int = 0
    ) -> tuple[Row, dict | None]:
        """Take in, check and grade one submission.

        Returns its row and its points per test cell, for the gradebook
        (None when the gradebook keeps what it has, or the submission
        failed).
        """
        target, digest = take_in(self.course, self.assignment, student, path)
        feedback = self.course / "feedback" / student / self.assignment
        for folder in (
            feedback,
            self.course / "autograded" / student / self.assignment,
        ):
            unlink_links(self.course, folder / f"{self.assignment}.ipynb")
            unlink_links(self.course, folder / f"{self.assignment}.html")
        if (
            not self.regrade
            and before is not None
            and before.submission_sha256 == digest
            and before.limits == self.limits
            and (feedback / f"{self.assignment}.html").is_file()
        ):
            who = f"{student}: " * (self.jobs > 1)
            self.out(
                f"    {who}unchanged since it was graded: grade kept ({before.status})"
            )
            return before, None
        start = time.perf_counter()
        notes = [note] if note else []
        status = "ok"
        try:
            notebook = read_notebook(path)
            if not graded_ids(notebook) & {c["grade_id"] for c in self.manifest}:
                found = rescue(notebook, self.released)
                if found.notebook is None:
                    reason = (
                        "nothing in it matches the assignment's cells (none of its "
                        "graded cells, none of its given cells or answer functions): "
                        "the wrong file?"
                    )
                    return self.fail(student, reason, digest, start), None
                notebook, status = found.notebook, "rescued"
                notes.append(found.summary())
                _write_rebuilt(self.course, target, notebook, digest)
            restored = restore_metadata(notebook, self.released)
            if restored:
                notes.append(restored.summary())
                _write_rebuilt(self.course, target, notebook, digest)
            problems = structure_problems(notebook, self.manifest)
            if status == "ok" and (problems or restored):
                status = "repaired"
            answers = {c["grade_id"] for c in self.manifest if c["kind"] == "answer"}
            if answers <= set(unfinished(notebook)):
                status = "unanswered"
                notes.append("every answer cell still raises NotImplementedError")
            if _clear_malformed_outputs(self.course, target, digest):
                notes.append("its outputs were malformed; they were cleared")
        except ValueError as err:
            return self.fail(student, str(err), digest, start), None
        except (AttributeError, TypeError, KeyError) as err:
            reason = f"{self.assignment}.ipynb is not a valid notebook file ({err})"
            return self.fail(student, reason, digest, start), None
        worker = self._worker(slot)
        try:
            worker.send(op="grade", student=student)
            answer = worker.wait("graded", self.notebook_timeout)
        except WorkerGone as gone:
            self._drop(slot)
            reason = (
                f"timed out: the notebook ran longer than {self.notebook_timeout:g} s"
                if "no answer" in str(gone)
                else f"the grading process stopped ({gone})"
            )
            return self.fail(student, reason, digest, start), None
        if not answer["ok"]:
            reason = _reason_of(answer.get("error", ""))
            return self.fail(student, reason, digest, start), None
        notes += problems
        notes += [
            f'cell "{c}" stopped after {self.cell_timeout:g} s'
            for c in answer["timeouts"]
        ]
        tampered = answer.get("tampered") or {}
        if tampered:
            seen = next(iter(tampered.values()))
            first = next(iter(tampered))
            notes.append(
                "tampering: " + "; ".join(seen[:5]) + f" ({len(tampered)} test "
                f'cells not run, from "{first}" on)'
            )
        failed = answer["failures"]
        scores = {c["grade_id"]: c["score"] for c in answer["cells"]}
        row = Row(
            student_id=student,
            score=float(answer["score"]),
            max_score=float(answer["max_score"]),
            status="tampered" if tampered else status,
            reason="; ".join(notes),
            failed_tests=" | ".join(f"{k}: {v}" for k, v in failed.items()),
            seconds=round(time.perf_counter() - start, 1),
            submission_sha256=digest,
            limits=self.limits,
        )
        return row, scores

    def _write_feedback(self, rows: dict[str, Row]) -> None:
        """Write the feedback page of each student put in :attr:`pages`.

        Runs beside the grading: one process writes the pages, from the
        course's gradebook, while the workers grade the next students. A
        page nbgrader cannot write is noted in the student's row.
        """
        process, self.feedback = self.feedback, None
        while (student := self.pages.get()) is not None:
            try:
                if process is None:
                    process = self._process("feedback")
                written = process.ask(FEEDBACK_TIMEOUT, op="feedback", student=student)
                ok = written["ok"]
            except WorkerGone:
                if process is not None:
                    process.stop()
                process, ok = None, False
            if not ok:
                with self.lock:
                    row = rows[student]
                    note = "nbgrader could not write the feedback page (see the log)"
                    row.reason = "; ".join(filter(None, [row.reason, note]))
                    write_rows(self.report, rows)
        if process is not None:
            process.close()

    def fail(self, student: str, reason: str, digest: str, start: float) -> Row:
        """A submission that could not be graded: 0 points, and why."""
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
            limits=self.limits,
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
        assignment's limits), ``regrade`` (bool), ``jobs`` (submissions
        graded at once; default 1), ``unsafe_no_sandbox`` (bool: grade
        without the sandbox where it cannot run), ``out`` (print function).

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
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="submissions graded at once (default: one per core)",
    )
    parser.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="where the sandbox cannot run, run students' code without it",
    )
    args = parser.parse_args(argv)
    submissions = Path(args.submissions).expanduser()
    try:
        course = course_folder(args.course)
        source_notebook(course, args.assignment)  # names the assignments if not
        if not submissions.exists():
            raise ValueError(
                f"submissions: {submissions} does not exist; give the folder of "
                "notebooks or the .zip downloaded from the LMS"
            )
        grader = Grader(
            course,
            args.assignment,
            cell_timeout=args.cell_timeout,
            notebook_timeout=args.notebook_timeout,
            regrade=args.regrade,
            jobs=args.jobs,
            unsafe_no_sandbox=args.unsafe_no_sandbox,
            out=lambda line: print(line, flush=True),
        )
        grader.run(submissions.resolve())
    except (ValueError, RuntimeError) as err:
        print(f"make grade: {err}", file=sys.stderr)
        return 2
    return 1 if grader.problems else 0


if __name__ == "__main__":
    sys.exit(main())
