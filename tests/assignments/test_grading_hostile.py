"""A hostile class: every attack on grading that a student can try from a cell.

Assignment 1's class is graded two at a time, honest students among students
whose answer cells also try to read secrets, overwrite the grader, forge
grades, escape to the machine, exhaust it, or make tests pass for nothing.
Each hostile student is one case. For the whole run the test checks that it
finished, that the honest students' grades are exact, that each hostile
student got what the honest part of its notebook earns (tampering earns
nothing), that the canary file beside the solutions was never read, that the
course's files are unchanged and nothing was written outside, that no process
outlived its notebook, and that the gradebook passes the integrity check.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import psutil
import pytest
from _submissions import (
    ROOT,
    cell_of,
    grading_temporary_files,
    hidden_lines,
    make_course,
    needs_sandbox,
    replace_in,
    solved,
    student_version,
    with_answers,
    write,
)

import cnnkit.check
from grading import sandbox
from grading.grade import Grader, from_zip, read_rows, write_rows
from grading.intake import Refused, check_name, clean_zip
from grading.sandbox import RESOURCE_LIMITS
from grading.verify import problems

pytestmark = pytest.mark.slow

A1 = "a1-convolution"
FULL = 21.0
MARKER = "hostile-marker"
#: The module of the tests' helpers, which an attack tries to overwrite.
CHECK = Path(cnnkit.check.__file__)
#: An asset loaded from another host: a script, image, frame or style sheet.
ASSET = re.compile(
    r"""(src\s*=|<link[^>]*href\s*=|url\()\s*["']?\s*(https?:)?//""", re.I
)


def _append(notebook: dict, code: str, cell: str = "out-length") -> dict:
    """The notebook with ``code`` run at the end of one answer cell."""
    text = "".join(cell_of(notebook, cell)["source"])
    return with_answers(notebook, {cell: text + "\n\n" + code})


def _tamper(code: str) -> dict:
    """The untouched student version, with ``code`` in its first answer."""
    return with_answers(student_version(A1), {"out-length": code})


def attacks(course: Path, port: int, outside: Path) -> dict[str, tuple[dict, float]]:
    """Student -> (notebook, the score its honest part earns)."""
    sol = solved(A1)
    targets = [
        course / "solutions" / "canary.txt",
        course / "solutions" / A1 / f"{A1}.ipynb",
        course / "gradebook.db",
        course / "submitted" / "s1-honest" / A1 / f"{A1}.ipynb",
        ROOT / "solutions" / A1 / f"{A1}.ipynb",
    ]
    found = f"""
import glob, os
for _p in {[str(p) for p in targets]!r} + glob.glob("/proc/*/cwd/solutions/*"):
    try:
        print("READ", _p, open(_p, "rb").read()[:200])
    except OSError as _e:
        print("no", _p, type(_e).__name__)
for _root in ("/proc/1/root", "/proc/self/root", "/work", "/tmp", "/root", "/home"):
    for _dir, _subs, _files in os.walk(_root):
        if _dir.count("/") > 6:
            _subs[:] = []
        for _f in _files:
            if "canary" in _f or _f.endswith(".db"):
                try:
                    print("READ", _dir, _f, open(os.path.join(_dir, _f)).read(99))
                except OSError:
                    pass
"""
    grader_files = [
        str(course / "nbgrader_config.py"),
        str(CHECK),
        str(ROOT / "grading" / "worker.py"),
        str(course / "gradebook.db"),
    ]
    overwrite = f"""
import os, shutil
for _p in {grader_files!r}:
    for _how in ("write", "remove"):
        try:
            if _how == "write":
                open(_p, "w").write("raise SystemExit('taken over')")
            else:
                os.remove(_p)
            print("DONE", _how, _p)
        except OSError as _e:
            print("no", _how, _p, type(_e).__name__)
"""
    forged = json.dumps({"op": "graded", "ok": True, "score": 21, "max_score": 21})
    pipes = f"""
import os, glob
_line = ({forged!r} + "\\n").encode()
for _fd in (0, 1, 2):
    try:
        os.write(_fd, _line)
    except OSError:
        pass
for _p in glob.glob("/proc/[0-9]*/fd/*"):
    if _p.startswith(f"/proc/{os.getpid()}/"):
        continue  # its own sockets: breaking them only stops itself
    try:
        with open(_p, "wb") as _f:
            _f.write(_line)
    except OSError:
        pass
"""
    kills = """
import os, signal
for _pid in range(3, 99):
    if _pid != os.getpid():
        try:
            os.kill(_pid, signal.SIGKILL)
        except OSError:
            pass
os.kill(os.getppid(), signal.SIGKILL)  # the grader? its own sandbox's first process
"""
    sql = f"""
import sqlite3, glob
_found = glob.glob("/tmp/**/*.db", recursive=True) + glob.glob("/work/**/*.db")
for _p in [{str(course / "gradebook.db")!r}] + _found:
    try:
        _c = sqlite3.connect(_p)
        _c.execute("update grade set auto_score = 0")
        _c.execute("insert into student (id) values ('forged')")
        _c.commit()
        print("FORGED", _p)
    except Exception as _e:
        print("no", _p, type(_e).__name__)
"""
    detached = f"""
import subprocess, sys
subprocess.Popen(
    [sys.executable, "-c", "import time; time.sleep(120)  # {MARKER}"],
    start_new_session=True, stdin=subprocess.DEVNULL,
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
if __import__("os").fork() == 0:
    __import__("os").setsid()
    __import__("time").sleep(120)
    __import__("os")._exit(0)
"""
    writes = f"""
import os
for _p in ["/tmp/{MARKER}", os.path.expanduser("~/{MARKER}"),
           {str(outside / MARKER)!r}, "/root/{MARKER}", "/var/tmp/{MARKER}"]:
    try:
        open(_p, "w").write("x")
        print("WROTE", _p)
    except OSError as _e:
        print("no", _p, type(_e).__name__)
"""
    network = f"""
import socket
for _host in ("127.0.0.1", "localhost", "10.0.2.2", "1.1.1.1"):
    try:
        socket.create_connection((_host, {port}), timeout=2).send(b"{MARKER}")
        print("CONNECTED", _host)
    except OSError as _e:
        print("no", _host, type(_e).__name__)
"""
    # it stops its children once the limit has stopped it, so that its own
    # later cells (which start threads) run, and its honest part is graded
    forks = """
import os, signal
_children = []
try:
    for _ in range(2000):
        _children.append(os.posix_spawn("/bin/sleep", ["sleep", "600"], {}))
except OSError as _e:
    print("stopped after", len(_children), type(_e).__name__)
for _child in _children:
    os.kill(_child, signal.SIGKILL)
    os.waitpid(_child, 0)
"""
    memory = """
import numpy as np
try:
    _big = np.ones(3 * 10**9)  # 24 GB
    print("ALLOCATED")
except MemoryError:
    print("no memory")
try:
    _chunks = [bytearray(10**8) for _ in range(200)]  # 20 GB
    print("ALLOCATED")
except MemoryError:
    _chunks = None
    print("no memory")
"""
    disk = """
try:
    with open("/tmp/big", "wb") as _f:
        for _ in range(2000):
            _f.write(b"x" * 10**6)  # 2 GB
except OSError as _e:
    print("no disk", type(_e).__name__)
import os
os.remove("/tmp/big") if os.path.exists("/tmp/big") else None
"""
    xss = """
from IPython.display import HTML, Javascript, SVG, display
display(HTML("<script>alert('xss-html')</script><img src=x onerror=alert(1)>"))
display(Javascript("alert('xss-js')"))
display({"text/html": "<script>alert('xss-bundle')</script>"}, raw=True)
print("<script>alert('xss-print')</script>")
"""
    huge = 'print("x" * 50_000_000)'
    peeks = """
import traceback
_ip = get_ipython()
_honest = out_length
def out_length(*args, **kwargs):
    print("RUNNING", _ip.user_ns["In"][-1])
    print("ALL", repr(_ip.user_ns["In"]))
    print("STACK", "".join(traceback.format_stack()))
    return _honest(*args, **kwargs)
"""
    hooks = {
        "t1-input-transformer": """
def _blank(lines):
    return [] if any("expect_" in line for line in lines) else lines
get_ipython().input_transformers_cleanup.append(_blank)
""",
        "t2-ast-transformer": """
import ast
class _Blank(ast.NodeTransformer):
    def visit_Module(self, node):
        return ast.Module(body=[], type_ignores=[])
get_ipython().ast_transformers.append(_Blank())
""",
        "t3-numpy-testing": """
import numpy.testing, cnnkit.check
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.testing.assert_array_equal = lambda *a, **k: None
cnnkit.check.expect_close = cnnkit.check.expect_equal = lambda *a, **k: None
""",
        "t4-helpers-rebound": """
expect_equal = expect_close = expect_true = lambda *a, **k: None
""",
        "t5-builtins": """
import builtins
builtins.NotImplementedError = type("Quiet", (BaseException,), {})
""",
        "t6-custom-exception": """
get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)
""",
        "t7-shell-method": """
_ip = get_ipython()
_ip.showtraceback = lambda *a, **k: None
_ip._showtraceback = lambda *a, **k: None
""",
        "t8-event-callback": """
def _quiet(result):
    result.error_in_exec = None
get_ipython().events.register("post_run_cell", _quiet)
import sys
sys.settrace(None)
""",
    }
    malformed_outputs = solved(A1)
    for cell in malformed_outputs["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"] = ["a string", {"output_type": "stream"}, 3]
    malformed_cells = solved(A1)
    malformed_cells["cells"].insert(3, "a cell that is a string")
    # nbgrader would refuse the first edit, and grade the stub of the second
    malformed_meta = solved(A1)
    cell_of(malformed_meta, "same-pads")["metadata"]["nbgrader"]["points"] = "x"
    cell_of(malformed_meta, "feature-map")["metadata"]["nbgrader"]["locked"] = True
    cell_of(malformed_meta, "same-pads-hidden")["metadata"]["nbgrader"]["grade"] = 0
    flipped = replace_in(
        sol,
        "feature-map",
        "np.sum(window * kernel)",
        "np.sum(window * kernel[::-1, ::-1])",
    )
    cases = {
        "s1-honest": (sol, FULL),
        "s2-honest-flipped": (flipped, 17.0),
        "h01-secrets": (_append(sol, found), FULL),
        "h02-overwrite": (_append(sol, overwrite), FULL),
        "h03-pipes": (_append(sol, pipes), FULL),
        "h13-kills-its-parent": (_append(sol, kills), 0.0),
        "h04-gradebook-sql": (_append(sol, sql), FULL),
        "h05-detached": (_append(sol, detached), FULL),
        "h06-outside-writes": (_append(sol, writes), FULL),
        "h07-network": (_append(sol, network), FULL),
        "h08-fork-bomb": (_append(sol, forks), FULL),
        "h09-memory": (_append(sol, memory), FULL),
        "h10-disk": (_append(sol, disk), FULL),
        "h11-xss": (_append(sol, xss), FULL),
        "h12-huge-output": (_append(sol, huge), FULL),
        "h14-peeks-at-hidden-tests": (_append(sol, peeks), FULL),
        "m1-outputs-malformed": (malformed_outputs, FULL),
        "m2-cell-malformed": (malformed_cells, 0.0),
        "m3-metadata-malformed": (malformed_meta, FULL),
    }
    for name, code in hooks.items():
        cases[name] = (_tamper(code), 0.0)
    return cases


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digests(*folders: Path, skip: tuple = ()) -> dict[str, str]:
    out = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                if not any(s in path.parts for s in skip):
                    out[str(path)] = _digest(path)
    return out


def _listener() -> tuple[socket.socket, list]:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    accepted: list = []

    def accept():
        while True:
            try:
                accepted.append(server.accept())
            except TimeoutError:
                continue
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return server, accepted


def _status(process: psutil.Process) -> str | None:
    try:
        return process.status()
    except psutil.NoSuchProcess:
        return None


def _planted_links(course: Path, student: str, outside: Path) -> list[Path]:
    """Links a student might have planted where the grader writes."""
    victims = []
    for folder, name in [
        ("submitted", f"{A1}.ipynb"),
        ("autograded", f"{A1}.ipynb"),
        ("feedback", f"{A1}.html"),
    ]:
        victim = outside / f"victim-{folder}.txt"
        victim.write_text("untouched")
        link = course / folder / student / A1 / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(victim)
        victims.append(victim)
    return victims


@needs_sandbox
def test_a_hostile_class_cannot_break_grading(tmp_path):
    course = make_course(tmp_path, A1)
    outside = tmp_path / "outside"
    outside.mkdir()
    canary = course / "solutions" / "canary.txt"
    token = secrets.token_hex(16)
    canary.write_text(f"canary {token}\n")
    stat = canary.stat()
    os.utime(canary, (stat.st_mtime - 3600, stat.st_mtime))  # a read updates it
    read_before = canary.stat().st_atime
    server, accepted = _listener()
    port = server.getsockname()[1]
    folder = tmp_path / "class"
    cases = attacks(course, port, outside)
    for student, (notebook, _) in cases.items():
        write(notebook, folder / f"{student}.ipynb")
    # a submission that is a link to a file outside, and a linked folder
    (folder / "l1-link.ipynb").symlink_to(folder / "s1-honest.ipynb")
    (folder / "l2-folder").symlink_to(outside)
    # a student id with glob characters, and one with a control character
    write(solved(A1), folder / "g1-[a-z]*.ipynb")
    write(solved(A1), folder / "g2-\x1b[31m.ipynb")
    # links planted in the grader's folders (by an earlier, unsandboxed tool)
    victims = _planted_links(course, "s1-honest", outside)
    before = _digests(ROOT / "grading", ROOT / "solutions")
    before[str(CHECK)] = _digest(CHECK)
    course_before = _digests(course / "solutions", skip=("canary.txt",))
    config_before = (course / "nbgrader_config.py").read_bytes()
    bwraps = {p.pid for p in psutil.process_iter() if p.name() == "bwrap"}
    temporary = grading_temporary_files()

    lines: list[str] = []
    start = time.perf_counter()
    grader = Grader(course, A1, jobs=2, out=lines.append)
    rows = grader.run(folder)
    server.close()
    print("\n".join(lines), f"\n{time.perf_counter() - start:.0f} s")

    # the run finished and every case has a row (but the refused files)
    refused = {str(path): reason for path, reason in grader.refused}
    assert set(rows) == set(cases)
    for name in ("l1-link.ipynb", "l2-folder", "g1-[a-z]*.ipynb", "g2-\x1b[31m.ipynb"):
        assert str(folder / name) in refused, name
    # honest students exact; hostile ones earn their honest part
    for student, (_, score) in cases.items():
        row = rows[student]
        assert row.score == score, (student, row)
        if student.startswith("t"):
            assert row.status == "tampered", (student, row)
            assert row.reason.startswith("tampering: "), row
        elif student.startswith(("s", "h")) and score == FULL:
            assert row.status == "ok", (student, row)
    assert rows["m2-cell-malformed"].status == "failed"
    assert rows["m3-metadata-malformed"].status == "repaired"
    assert '"same-pads", "same-pads-hidden", "feature-map"' in (
        rows["m3-metadata-malformed"].reason
    )
    assert rows["h13-kills-its-parent"].reason.startswith("the kernel died")
    # the limit on processes stopped the fork bomb
    graded = course / "autograded" / "h08-fork-bomb" / A1 / f"{A1}.ipynb"
    stopped = re.search(r"stopped after (\d+)", graded.read_text(encoding="utf-8"))
    assert stopped and int(stopped[1]) < RESOURCE_LIMITS["default"]["processes"]
    # the canary was never read, nor its text seen anywhere
    assert canary.stat().st_atime == read_before
    for path in course.rglob("*"):
        if path.is_file() and path != canary:
            assert token not in path.read_text(errors="replace"), path
    # the course's files and the repository's are unchanged
    after = _digests(ROOT / "grading", ROOT / "solutions")
    after[str(CHECK)] = _digest(CHECK)
    assert after == before
    assert _digests(course / "solutions", skip=("canary.txt",)) == course_before
    assert (course / "nbgrader_config.py").read_bytes() == config_before
    # nothing written outside, nothing written through a link, no connection
    for path in (Path("/tmp") / MARKER, Path.home() / MARKER, outside / MARKER):
        assert not path.exists(), path
    assert [v.read_text() for v in victims] == ["untouched"] * 3
    assert accepted == []
    # no process outlived its notebook (a killed sandbox takes a moment to go,
    # and one reparented to the machine's init may wait there as a zombie)
    left = [
        p
        for p in psutil.process_iter(["cmdline", "name"])
        if MARKER in " ".join(p.info["cmdline"] or [])
        or (p.info["name"] == "bwrap" and p.pid not in bwraps)
    ]
    _, alive = psutil.wait_procs(left, timeout=10)
    alive = [p for p in alive if _status(p) not in (psutil.STATUS_ZOMBIE, None)]
    assert alive == [], [(p.pid, p.info) for p in alive]
    # the grader removed its temporary files, those of killed kernels too
    assert grading_temporary_files() - temporary == set()
    # the gradebook and the report agree, and a difference would be seen
    assert grader.problems == [] and problems(course, A1) == []
    _feedback_is_safe(course, rows)
    _a_forged_report_is_seen(course)


def _a_forged_report_is_seen(course: Path) -> None:
    report = course / "grades" / f"{A1}.csv"
    rows = read_rows(report)
    rows["t1-input-transformer"].score = FULL
    write_rows(report, rows)
    assert problems(course, A1) == [
        "t1-input-transformer: the report says 21/21, the gradebook 0/21"
    ]


def _feedback_is_safe(course: Path, rows) -> None:
    for student in rows:
        page = course / "feedback" / student / A1 / f"{A1}.html"
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower(), student  # no script at all
        assert "<img src=x" not in text.lower(), student  # escaped, not an element
        assert not ASSET.search(text), (student, ASSET.search(text))
        assert len(text) < 1_000_000, (student, len(text))
        assert not re.search(r"<img(?![^>]*\salt=)", text), student  # alt text
    xss = (course / "feedback" / "h11-xss" / A1 / f"{A1}.html").read_text()
    # shown as text (in the code, and as the cell's output), however escaped
    shown = html.unescape(re.sub(r"<[^>]+>", "", xss))
    assert shown.count("<script>alert('xss-print')</script>") == 2
    huge = (course / "feedback" / "h12-huge-output" / A1 / f"{A1}.html").read_text()
    assert "output cut" in huge
    # what the student's code printed of the running cell, In and the stack
    peeks = course / "feedback" / "h14-peeks-at-hidden-tests" / A1 / f"{A1}.html"
    plain = html.unescape(re.sub(r"<[^>]+>", "", peeks.read_text(encoding="utf-8")))
    assert "RUNNING" in plain  # its prints are shown where no hidden test runs
    leaked = [line for line in hidden_lines(A1) if line in plain]
    assert not leaked, leaked[:3]


def test_a_zip_with_unsafe_members_is_cleaned(tmp_path):
    course = make_course(tmp_path, A1)
    archive = tmp_path / "canvas.zip"
    good = json.dumps(solved(A1))
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(f"ada_1001_2001_{A1}.ipynb", good)
        z.writestr(f"../../evil_1002_2002_{A1}.ipynb", good)
        z.writestr(f"/abs/bob_1003_2003_{A1}.ipynb", good)
        link = zipfile.ZipInfo(f"lnk_1004_2004_{A1}.ipynb")
        link.external_attr = (0o120777 << 16) | 0
        z.writestr(link, "/etc/passwd")
        setuid = zipfile.ZipInfo(f"suid_1005_2005_{A1}.ipynb")
        setuid.external_attr = 0o104755 << 16
        z.writestr(setuid, good)
        writable = zipfile.ZipInfo(f"ww_1006_2006_{A1}.ipynb")
        writable.external_attr = 0o100666 << 16
        z.writestr(writable, good)
    refused: list = []
    with (tmp_path / "log.txt").open("w") as log:
        collected, late = from_zip(course, A1, archive, log, refused)
    names = sorted(n.split(": ", 1)[1] for n, _ in refused)
    assert names == sorted(
        [
            f"../../evil_1002_2002_{A1}.ipynb",
            f"/abs/bob_1003_2003_{A1}.ipynb",
            f"lnk_1004_2004_{A1}.ipynb",
            f"suid_1005_2005_{A1}.ipynb",
            f"ww_1006_2006_{A1}.ipynb",
        ]
    )
    assert late == set()  # no name says "_late"
    files = [p for p in collected.rglob("*") if p.is_file()]
    assert [p.relative_to(collected).parts[0] for p in files] == ["ada"]
    assert all(not p.is_symlink() and p.stat().st_mode & 0o7022 == 0 for p in files)
    assert not (tmp_path / "evil").exists() and not (course / "evil").exists()
    _, again = clean_zip(archive, tmp_path / "clean.zip")
    assert len(again) == 5


@pytest.mark.parametrize(
    "name", ["../x", "a/b", "a\\b", "*", "a?", "[ab]", "x\x00", "x\n", ".hidden", ""]
)
def test_unsafe_student_ids_are_refused(name):
    with pytest.raises(Refused, match="student id"):
        check_name(name)


def test_the_intake_examples_run():
    import doctest

    import grading.intake

    assert doctest.testmod(grading.intake).failed == 0


def test_without_the_sandbox_grading_refuses_unless_told(tmp_path, monkeypatch):
    import grading.sandbox

    course = make_course(tmp_path, A1)
    (tmp_path / "class").mkdir()
    monkeypatch.setattr(grading.sandbox, "unavailable", lambda: "bwrap is missing")
    temporary = grading_temporary_files()
    with pytest.raises(RuntimeError, match="--unsafe-no-sandbox"):
        Grader(course, A1, out=lambda line: None).run(tmp_path / "class")
    lines: list[str] = []
    Grader(course, A1, unsafe_no_sandbox=True, out=lines.append).run(tmp_path / "class")
    warnings = [line for line in lines if "WITHOUT the sandbox" in line]
    assert len(warnings) == 1 and "bwrap is missing" in warnings[0]
    assert grading_temporary_files() - temporary == set()  # refused or done


@needs_sandbox
@pytest.mark.skipif(
    os.geteuid() != 0,
    reason="only a grader running as root can give the sandbox a user of its "
    "own; run by another user, the sandbox is that user outside its namespace",
)
def test_graded_by_root_the_kernel_is_an_unprivileged_user_of_its_own():
    sockets = Path(tempfile.mkdtemp(prefix="kernel-"))
    sandbox._hand_over(sandbox.FIRST_UID + 1, sockets)
    code = f"import time; time.sleep(60)  # {MARKER}"
    limits = sandbox.resource_limits(A1, 60)
    argv = sandbox.command([sys.executable, "-c", code], sockets, limits, slot=1)
    process = subprocess.Popen(argv)
    try:
        deadline = time.monotonic() + 30
        kernel = None
        while kernel is None and time.monotonic() < deadline:
            kernel = next(
                (
                    p
                    for p in psutil.Process(process.pid).children(recursive=True)
                    if MARKER in " ".join(p.cmdline())
                ),
                None,
            )
            time.sleep(0.2)
        assert kernel is not None, "the sandboxed process did not start"
        # a user no account has, one per grading worker (here the second)
        uid = sandbox.FIRST_UID + 1
        assert kernel.uids().real == kernel.uids().effective == uid
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(sockets, ignore_errors=True)
