"""The nbgrader preprocessors the course adds (listed in ``nbgrader_config.py``).

:class:`HideHiddenTests` makes feedback say which tests failed and why,
never how they test. nbgrader's autograded notebook holds the hidden tests
again (it restores every test cell from the gradebook before running it),
and nbgrader's feedback is that notebook as HTML. Listed among
``GenerateFeedback.preprocessors``, this removes each hidden region from the
source the feedback shows and cuts the errors of those cells to their last
line (``AssertionError: feature_map(...): expected ..., got ...``): an
IPython traceback prints the lines around the failing one, which would show
the test's code.

:class:`DeduplicateIds` replaces nbgrader 0.9.6's own. When a student has
copied a graded cell, nbgrader's keeps the last copy and empties the other
copies' nbgrader metadata to ``{}``; with ``OverwriteCells.add_missing_cells``
on, nbgrader then fails with ``KeyError: 'grade_id'`` on that empty metadata.
This one removes the metadata instead, so the copy runs as a plain cell.

:class:`OverwriteCells` replaces nbgrader's too, to put a deleted test cell
back wherever it was, whatever came before it (see the class).

:class:`SafeFeedback` makes the feedback page safe to open: outputs as
plain text or images, never HTML or scripts, and cut at a limit.

:class:`FeedbackExporter` is the HTML exporter the feedback pages are written
with: nbconvert's, with its templates compiled once per process rather than
once per page, and without its second parse of every page.

:class:`GradingExecute` replaces nbgrader's ``Execute`` when grading: the
kernel runs in the sandbox (``grading.sandbox``), what a cell prints is cut
at a limit as it arrives, and the grader checks between cells that the
notebook has not changed how the tests run (``grading.tamper``). Its
kernels are driven by :class:`ReadyClient`, which starts sending cells as soon
as the kernel answers rather than after IOPub has been quiet for 0.2 s.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import unittest.mock
from pathlib import Path
from queue import Empty

import jinja2
import nbconvert.exporters.html
import nbformat
from jupyter_client.asynchronous import AsyncKernelClient
from nbclient.util import run_sync
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from nbgrader.preprocessors import DeduplicateIds as _NbgraderDeduplicateIds
from nbgrader.preprocessors import Execute as _NbgraderExecute
from nbgrader.preprocessors import OverwriteCells as _NbgraderOverwriteCells
from traitlets import Bool, Integer, default

import cnnkit
from grading import tamper
from grading.course import HIDDEN_BEGIN, HIDDEN_END

#: What a student reads in place of the hidden tests.
NOTICE = "# (hidden tests: not shown)"


def strip_hidden(source: str) -> tuple[str, bool]:
    """``source`` with each hidden region replaced by :data:`NOTICE`.

    Returns
    -------
    (str, bool)
        The new source, and whether it had a hidden region.

    Examples
    --------
    >>> text = "# checks\\n### BEGIN HIDDEN TESTS\\nassert f(1)\\n### END HIDDEN TESTS"
    >>> strip_hidden(text)
    ('# checks\\n# (hidden tests: not shown)', True)
    """
    lines, inside, found = [], False, False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            inside = found = True
            lines.append(NOTICE)
        elif HIDDEN_END in line:
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines), found


#: Hidden lines shorter than this (``)``, ``else:``) are not worth hiding.
MIN_SECRET = 12
#: What feedback shows for a line of output that quotes a hidden test.
SECRET_LINE = "[a line that quotes the hidden tests: not shown]"
#: What feedback shows in place of what a cell with hidden tests printed.
OUTPUT_HIDDEN = (
    "[what this cell printed is not shown: the cell holds hidden tests, "
    "and your code's output could show their inputs]\n"
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _lines(text: str) -> list[str]:
    """The non-blank lines of a cell, but the hidden-tests notice."""
    return [
        line.rstrip() for line in text.splitlines() if line.strip() not in ("", NOTICE)
    ]


class HideHiddenTests(Preprocessor):
    """Remove hidden tests' code, and tracebacks that quote it, from feedback."""

    # nbconvert's preprocessors are off unless enabled; this one always runs.
    enabled = Bool(True, help="Whether to hide hidden tests.").tag(config=True)

    def preprocess(self, nb, resources):
        """Note every hidden line of the notebook, then strip each cell."""
        self._secret = set()
        for cell in nb.cells:
            if cell.cell_type == "code":
                kept = set(strip_hidden(cell.source)[0].splitlines())
                self._secret |= {
                    line.strip()
                    for line in cell.source.splitlines()
                    if line not in kept and len(line.strip()) >= MIN_SECRET
                }
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        """Strip one cell's hidden code, and what its outputs could show of it."""
        if cell.cell_type != "code":
            return cell, resources
        cell.source, hidden = strip_hidden(cell.source)
        outputs = []
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            if hidden and kind != "error":
                if not any(o.get("text") == OUTPUT_HIDDEN for o in outputs):
                    outputs.append(
                        nbformat.v4.new_output(
                            "stream", name="stdout", text=OUTPUT_HIDDEN
                        )
                    )
                continue
            if kind == "error":
                output["evalue"] = self._scrub(str(output.get("evalue", "")))
                if hidden:
                    output["traceback"] = [f"{output['ename']}: {output['evalue']}"]
                else:
                    output["traceback"] = [
                        self._scrub(str(line)) for line in output.get("traceback", [])
                    ]
            elif kind == "stream":
                output["text"] = self._scrub(str(output.get("text", "")))
            elif kind in ("display_data", "execute_result"):
                data = output.get("data") or {}
                for key, value in list(data.items()):
                    if isinstance(value, str) and not key.startswith("image/"):
                        data[key] = self._scrub(value)
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources

    def _scrub(self, text: str) -> str:
        """``text`` with every line that quotes a hidden line replaced."""
        if not self._secret:
            return text
        lines = []
        for line in text.split("\n"):
            plain = _ANSI.sub("", line)
            if any(
                secret in plain or repr(secret)[1:-1] in plain
                for secret in self._secret
            ):
                line = SECRET_LINE
            lines.append(line)
        return "\n".join(lines)


class DeduplicateIds(_NbgraderDeduplicateIds):
    """nbgrader's, but a duplicate loses its nbgrader metadata altogether."""

    def preprocess_cell(self, cell, resources, index):
        """Keep the last copy of each graded cell; make the others plain cells."""
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.metadata.get("nbgrader") == {}:
            del cell.metadata["nbgrader"]
        return cell, resources


class OverwriteCells(_NbgraderOverwriteCells):
    """nbgrader's, but a deleted test cell goes back after any earlier cell.

    nbgrader 0.9.6 puts a deleted graded cell back after the graded or
    answer cell that comes before it in the source, and fails with a
    ``KeyError`` when that one is a read-only cell (an instruction, or a
    given cell that trains the network) or was deleted too. This one puts it
    after the nearest earlier cell of the source that is still there.

    nbgrader also warns that the checksum "has changed" for every test cell
    with hidden tests, in every submission: the student's copy never had
    them. That change is expected and not logged; an edit of a given cell
    still is.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        """nbgrader's, knowing whether the cell is as released."""
        self._as_released = False
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None:
            try:
                source = self.gradebook.find_source_cell(
                    grade_id, self.notebook_id, self.assignment_id
                ).source
            except Exception:  # nbgrader's own call below reports it
                source = None
            if source is not None:
                released, hidden = strip_hidden(source)
                self._as_released = hidden and _lines(cell.source) == _lines(released)
        return super().preprocess_cell(cell, resources, cell_index)

    def report_change(self, name, attr, old, new):
        """Log a change, unless it is the hidden tests put back."""
        if attr == "checksum" and self._as_released:
            return
        super().report_change(name, attr, old, new)

    def add_missing_grade_cells(self, nb, resources):
        """Put back every deleted graded cell, in the source's order."""
        source = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        cells = {cell.name: cell for cell in source.source_cells}
        order = [cell.name for cell in source.source_cells]
        graded = {cell.name: cell for cell in source.grade_cells}
        answers = {cell.name for cell in source.solution_cells}
        present = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        for name in order:
            if name not in graded or name in present:
                continue
            self.log.warning(
                "Missing grade cell %s encountered, adding to notebook", name
            )
            cell = self.missing_cell_transform(
                cells[name], graded[name].max_score, is_solution=name in answers
            )
            earlier = [n for n in order[: order.index(name)] if n in present]
            position = present.index(earlier[-1]) + 1 if earlier else 0
            nb.cells.insert(position, cell)
            present.insert(position, name)
        return nb, resources


#: What :class:`GradingExecute` saw while grading the last notebook: the test
#: cells it did not run, each with what had been tampered with. The worker
#: that runs nbgrader reads it; nothing in the kernel can reach it.
TAMPERING: dict[str, list[str]] = {}
#: The ``ename`` of the error a test cell gets when it was not run.
TAMPERED = "TamperingDetected"


class ReadyClient(AsyncKernelClient):
    """jupyter_client's kernel client, ready as soon as the kernel is.

    jupyter_client's ``wait_for_ready`` ends by reading IOPub until nothing has
    come for 0.2 s: a fifth of a second of waiting in every notebook graded.
    This one takes what has come and goes on. Nothing is lost by it: nbclient
    reads only the messages that answer its own requests.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Return once the kernel has answered on its shell and IOPub channels."""
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = {}
            if reply.get("msg_type") == "kernel_info_reply":
                try:  # IOPub is connected once the request's status comes
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        with contextlib.suppress(Empty):
            while True:  # what has come already (``get_msgs`` would wait)
                await self.iopub_channel.get_msg(timeout=0)


def _role(cell) -> str:
    meta = cell.metadata.get("nbgrader", {})
    if meta.get("grade") and not meta.get("solution"):
        return "test"
    if meta.get("locked") and not meta.get("solution") and not meta.get("grade"):
        return "given"
    return "student"


class GradingExecute(_NbgraderExecute):
    """nbgrader's Execute, with the kernel sandboxed and the notebook watched.

    Before the first cell, after each read-only cell and before each test
    cell, the grader asks the kernel for a fingerprint of what could make
    tests pass for nothing (:mod:`grading.tamper`). Once something has
    changed, no later test cell runs: each gets an error naming what
    changed, so it earns no points, and :data:`TAMPERING` records it.

    After the last cell the kernel is killed, not asked to stop: nothing a
    student's code registered to run at exit gets its turn, and the grader
    does not wait for the kernel to tidy up (0.3 s a notebook).
    """

    sandbox = Bool(True, help="Run the kernel in bubblewrap (grading.sandbox).").tag(
        config=True
    )
    output_limit = Integer(
        1_000_000, help="Bytes of output kept from one cell; the rest is dropped."
    ).tag(config=True)
    probe_timeout = Integer(
        30, help="Seconds the kernel has to answer the grader's check."
    ).tag(config=True)

    @default("shutdown_kernel")
    def _kill_the_kernel(self):
        return "immediate"

    def __init__(self, *args, **kwargs):
        from grading.sandbox import SandboxKernelManager

        super().__init__(*args, **kwargs)
        if self.sandbox:
            self.kernel_manager_class = SandboxKernelManager

    def create_kernel_manager(self):
        """nbclient's kernel manager, whose clients are :class:`ReadyClient`."""
        km = super().create_kernel_manager()
        km.client_factory = ReadyClient
        return km

    def preprocess(self, nb, resources=None, km=None):
        """Run the notebook, watching it from a fresh start."""
        from grading.sandbox import read_only_paths

        TAMPERING.clear()
        self._watch = tamper.Watch([*read_only_paths(), "/usr"])
        self._problems: list[str] = []
        self._started = False
        self._sizes: dict[int, int] = {}
        return super().preprocess(nb, resources, km)

    async def async_execute_cell(
        self, cell, cell_index, execution_count=None, store_history=True
    ):
        """Check the kernel around the cell; run it unless tampered with."""
        if cell.cell_type != "code":
            return await super().async_execute_cell(
                cell, cell_index, execution_count, store_history
            )
        role = _role(cell)
        if not self._started or (role == "test" and not self._problems):
            self._problems += self._watch.check(await self._probe())
            self._started = True
        if role == "test" and self._problems:
            name = cell.metadata["nbgrader"].get("grade_id", "?")
            TAMPERING[name] = list(self._problems)
            cell.outputs = [
                nbformat.v4.new_output(
                    "error",
                    ename=TAMPERED,
                    evalue="not run: earlier cells changed how tests run ("
                    + "; ".join(self._problems[:3])
                    + ")",
                    traceback=[f"{TAMPERED}: " + "; ".join(self._problems[:3])],
                )
            ]
            return cell
        cell = await super().async_execute_cell(
            cell, cell_index, execution_count, store_history
        )
        if role == "given" and not self._problems:
            self._problems += self._watch.check(
                await self._probe(), after_given_cell=True
            )
        return cell

    # nbclient binds its synchronous wrapper to its own coroutine
    execute_cell = run_sync(async_execute_cell)

    async def _probe(self) -> dict | None:
        """The kernel's fingerprint, or None when it does not answer in time."""
        msg_id = self.kc.execute(
            "",
            silent=True,
            store_history=False,
            user_expressions={"probe": tamper.PROBE},
            allow_stdin=False,
        )
        deadline = time.monotonic() + self.probe_timeout
        while time.monotonic() < deadline:
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=1)
            except Empty:
                await self._async_check_alive()
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return tamper.read_answer(msg)
        return None

    def output(self, outs, msg, display_id, cell_index):
        """Keep a cell's output up to :attr:`output_limit` bytes."""
        size = self._sizes.get(cell_index, 0)
        if size > self.output_limit:
            return None
        size += len(json.dumps(msg.get("content", {}), default=str))
        self._sizes[cell_index] = size
        if size > self.output_limit:
            note = nbformat.v4.new_output(
                "stream",
                name="stdout",
                text=f"\n[output cut by the grader: more than {self.output_limit:,} "
                "bytes]\n",
            )
            outs.append(note)
            return note
        return super().output(outs, msg, display_id, cell_index)


#: Output types that are shown as they are (text is escaped by the template).
_PLAIN = {"stream", "error"}
#: Image types kept, when their data is plain base64.
_IMAGES = ("image/png", "image/jpeg")
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]*$")


#: Folders of the grading machine as tracebacks show them: the Python
#: packages (wherever installed) and the standard library.
_MACHINE_PATHS = [
    (re.compile(r"(?:/[^\s/'\"():]+)+/(site-packages|dist-packages)/"), r"…/\1/"),
    (re.compile(r"(?:/[^\s/'\"():]+)*/lib/python3[.\d]*/"), "…/python3/"),
]
#: The folder cnnkit is in (the course folder, when installed editable).
_CNNKIT_HOME = str(Path(cnnkit.__file__).resolve().parents[1]) + "/"


def unpath(text: str) -> str:
    """``text`` without the grading machine's folders (kept: the file names).

    Examples
    --------
    >>> unpath("File /srv/course/.venv/lib/python3.11/site-packages/numpy/a.py:3")
    'File …/site-packages/numpy/a.py:3'
    >>> unpath("/usr/lib/python3.11/ast.py")
    '…/python3/ast.py'
    """
    for pattern, short in _MACHINE_PATHS:
        text = pattern.sub(short, text)
    return text.replace(_CNNKIT_HOME, "…/")


class SafeFeedback(Preprocessor):
    """Make feedback safe for the instructor and the student to open.

    A student's notebook decides what its outputs hold. In the feedback page,
    every output becomes plain text (escaped by the template) or a PNG or
    JPEG image given as base64: HTML, JavaScript, SVG, Markdown and widgets
    are shown as their plain-text form, never rendered. A cell's text is cut
    at :attr:`limit` characters, its images at :attr:`image_limit`, with a
    note. Cell tags (which the page
    writes into its HTML) and anything else in a cell's metadata but
    nbgrader's are dropped.
    """

    enabled = Bool(True, help="Whether to make outputs safe.").tag(config=True)
    limit = Integer(100_000, help="Characters of text shown per cell.").tag(config=True)
    image_limit = Integer(
        2_000_000, help="Characters of images (in base64) shown per cell."
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        """Make one cell's outputs and metadata safe."""
        cell.metadata = nbformat.NotebookNode(
            {"nbgrader": cell.metadata.get("nbgrader", {})}
            if isinstance(cell.metadata.get("nbgrader"), dict)
            else {}
        )
        if cell.cell_type != "code":
            return cell, resources
        kept, left = [], {"text": self.limit, "image": self.image_limit}
        for output in cell.get("outputs", []):
            output = self._safe(output)
            if output is None:
                continue
            kind = "image" if set(output.get("data", {})) & set(_IMAGES) else "text"
            size = sum(len(str(v)) for v in output.values())
            if size > left[kind]:
                kept.append(
                    nbformat.v4.new_output(
                        "stream",
                        name="stdout",
                        text=f"\n[output cut: this cell's {kind} output is longer "
                        f"than {self.limit if kind == 'text' else self.image_limit:,}"
                        " characters]\n",
                    )
                )
                break
            kept.append(output)
            left[kind] -= size
        cell.outputs = kept
        return cell, resources

    def _safe(self, output):
        if not isinstance(output, dict):
            return None
        kind = output.get("output_type")
        if kind == "stream":
            return nbformat.v4.new_output(
                "stream", name="stdout", text=unpath(str(output.get("text", "")))
            )
        if kind == "error":
            return nbformat.v4.new_output(
                "error",
                ename=str(output.get("ename", "")),
                evalue=unpath(str(output.get("evalue", ""))),
                traceback=[unpath(str(line)) for line in output.get("traceback", [])],
            )
        if kind in ("display_data", "execute_result"):
            data = output.get("data") or {}
            safe = {}
            for image in _IMAGES:
                value = data.get(image)
                if isinstance(value, str) and _BASE64.match(value):
                    safe[image] = value
                    break
            if not safe:
                text = data.get("text/plain", "")
                safe["text/plain"] = text if isinstance(text, str) else str(text)
            return nbformat.v4.new_output("display_data", data=safe)
        return None


class _CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled templates, kept in memory for the process's life
    (a template whose source changes is compiled again: Jinja checks)."""

    def __init__(self):
        self.stored: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.stored:
            bucket.bytecode_from_string(self.stored[bucket.key])

    def dump_bytecode(self, bucket):
        self.stored[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = _CompiledTemplates()


class FeedbackExporter(HTMLExporter):
    """nbconvert's HTML exporter, its templates compiled once per process.

    nbgrader makes a new exporter for every page, and nbconvert compiles its
    templates for every new exporter: a third of each page's time.
    """

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = _TEMPLATES
        return environment

    def from_notebook_node(self, nb, resources=None, **kw):
        """nbconvert's page, without its second pass through the whole page.

        nbconvert parses every page it renders again with BeautifulSoup, to
        give images alt text and JupyterLab's cells a tab stop. A feedback
        page has no such cells (nbgrader's template is not JupyterLab's), and
        its images are :class:`SafeFeedback`'s PNG and JPEG outputs, so a
        search gives them their alt text. (The parse took 0.05 s of CPU for a
        420 kB page, on the feedback process that pages queue for.)
        """
        with unittest.mock.patch.object(
            nbconvert.exporters.html, "BeautifulSoup", _Page
        ):
            page, resources = super().from_notebook_node(nb, resources, **kw)
        return _NO_ALT.sub(f'<img alt="{_ALT}"', page), resources


#: An image tag without alt text, and the text nbconvert would give it.
_NO_ALT = re.compile(r"<img(?![^>]*\salt=)")
_ALT = "No description has been provided for this image"


class _Page(str):
    """The page as nbconvert rendered it, standing in for its parsed tree."""

    def __new__(cls, html, features=None):
        return super().__new__(cls, html)

    def select(self, selector):
        return []
