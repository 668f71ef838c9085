"""The sandbox a submission's kernel runs in: bubblewrap, with resource limits.

Autograding runs a notebook from the grader's own process: nbgrader sends the
cells one by one to a kernel over the kernel protocol. Here that kernel is
started inside bubblewrap (``bwrap``), the sandbox Flatpak uses, so that a
student's code

- runs as user 65534 ("nobody") in a user namespace of its own, with no
  capabilities;
- has no network (only a loopback of its own), its own process IDs (it sees
  no process of the grader's, and everything it starts dies with it) and its
  own IPC;
- sees, read-only, only the Python installation, the course's environment
  and ``cnnkit``: not the course folder (``solutions/``, the gradebook,
  ``submitted/``, ``autograded/``, ``feedback/``, ``grading/``,
  ``nbgrader_config.py``), nor the notebook being graded;
- writes only to a private scratch folder in memory (``/tmp``, also its
  home and working folder) and to the folder of its own kernel sockets (the
  kernel protocol travels over Unix sockets there, as a kernel with no
  network cannot use TCP), which also holds a copy of Matplotlib's list of
  fonts (:func:`matplotlib_cache`);
- inherits no file of the grader's but its standard streams, which go to a
  file of its own;
- has limits on memory, processes, file size and CPU time
  (:data:`RESOURCE_LIMITS`, one entry per assignment that needs more than
  the default).

Where bubblewrap or user namespaces are missing, :func:`unavailable` says
why, and ``grading.grade`` refuses to run student code unless told that
running it unsandboxed is acceptable.
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Dict, Integer

#: The user and group a student's code runs as, inside its namespace.
NOBODY = 65534
#: Graded by root, the first of the host user IDs the sandboxes run as, one
#: per grading worker (``FIRST_UID + slot``): a user no account has, and one
#: per worker, since the limit on processes counts all of one user's.
FIRST_UID = 1_900_000_000
#: Limits for a submission's kernel, per assignment ("default" for the rest).
#: ``memory_mb`` is its address space (RLIMIT_AS), ``processes`` counts
#: threads too (RLIMIT_NPROC), ``file_mb`` is the largest file it may write,
#: ``scratch_mb`` the size of its scratch folder and ``cpu_seconds`` its CPU
#: time (by default twice the assignment's notebook limit).
RESOURCE_LIMITS: dict[str, dict[str, int]] = {
    "default": {"memory_mb": 4096, "processes": 256, "file_mb": 64, "scratch_mb": 256},
    # TensorFlow reserves much address space and starts many threads.
    "a4-keras-cnn": {"memory_mb": 32768, "processes": 1024, "scratch_mb": 1024},
    "a5-transfer": {"memory_mb": 32768, "processes": 1024, "scratch_mb": 1024},
}
#: What nbgrader sets while it runs a notebook, passed on to the kernel: the
#: notebook's self-check cell reads it and stands aside.
NBGRADER_VARIABLES = ("NBGRADER_EXECUTION", "NBGRADER_VALIDATING")
#: What sets the threads of the maths libraries under NumPy and SciPy.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
#: Files of /etc that Python and its libraries read, if they exist.
ETC = ("ld.so.cache", "ld.so.conf", "localtime", "nsswitch.conf", "fonts")


def resource_limits(assignment: str, notebook_seconds: float) -> dict[str, int]:
    """The limits for one assignment's kernels (see :data:`RESOURCE_LIMITS`)."""
    given = {**RESOURCE_LIMITS["default"], **RESOURCE_LIMITS.get(assignment, {})}
    given.setdefault("cpu_seconds", int(2 * notebook_seconds))
    return given


def read_only_paths() -> list[str]:
    """What a kernel must see: Python, the course's environment, ``cnnkit``."""
    import cnnkit

    paths = {
        os.path.realpath(sys.base_prefix),
        sys.prefix,
        os.path.realpath(sys.prefix),
    }
    paths.add(str(Path(cnnkit.__file__).resolve().parent))
    paths = sorted(p for p in paths if not p.startswith("/usr/") and p != "/usr")
    # a folder inside another is bound with it
    return [p for p in paths if not any(p.startswith(q + "/") for q in paths)]


def command(
    kernel: list[str],
    sockets: Path,
    limits: dict[str, int],
    extra_env=None,
    slot: int = 0,
) -> list[str]:
    """``kernel`` as run in the sandbox, with ``sockets`` bound read-write.

    Graded by root, it runs as host user ``FIRST_UID + slot`` (see
    :func:`as_user`); otherwise as the grader's user, outside its namespace.
    """
    mb = 1 << 20
    bwrap = [
        "bwrap",
        "--unshare-all",
        "--unshare-user",
        "--uid",
        str(NOBODY),
        "--gid",
        str(NOBODY),
        "--hostname",
        "sandbox",
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
    ]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        top = Path("/") / name
        if top.is_symlink():
            bwrap += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            bwrap += ["--ro-bind", str(top), str(top)]
    for name in ETC:
        bwrap += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    bwrap += ["--proc", "/proc", "--dev", "/dev"]
    bwrap += ["--size", str(limits["scratch_mb"] * mb), "--tmpfs", "/tmp"]
    for path in read_only_paths():
        bwrap += ["--ro-bind", path, path]
    bwrap += ["--bind", str(sockets), str(sockets), "--chdir", "/tmp", "--clearenv"]
    env = {
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        # One thread for the maths libraries under NumPy: the assignments'
        # arrays are small, and a second thread mostly spins, taking the core
        # of the grader or of another worker's kernel (a1 grades a fifth
        # faster without it). TensorFlow sizes its own thread pools.
        **dict.fromkeys(THREAD_VARIABLES, "1"),
        **(extra_env or {}),
    }
    for key, value in env.items():
        bwrap += ["--setenv", key, value]
    if os.geteuid() == 0:
        bwrap = as_user(bwrap, FIRST_UID + slot)
    prlimit = [
        "prlimit",
        f"--as={limits['memory_mb'] * mb}",
        f"--nproc={limits['processes']}",
        f"--fsize={limits['file_mb'] * mb}",
        f"--cpu={limits['cpu_seconds']}",
        "--core=0",
        "--nofile=1024",
        "--",
    ]
    return prlimit + bwrap + ["--", *kernel]


def _hidden_from_nobody(path: str) -> str | None:
    """The highest folder above ``path`` that other users cannot enter, if any."""
    for parent in reversed(Path(path).parents):
        if parent != Path("/") and not os.stat(parent).st_mode & 0o001:
            return str(parent)
    return None


def as_user(bwrap: list[str], uid: int) -> list[str]:
    """``bwrap`` started as the unprivileged user ``uid`` rather than root.

    Run by root, bubblewrap would map the sandbox's user to root outside it.
    So root first drops to ``uid`` with ``setpriv``; bubblewrap then runs
    unprivileged, and the sandbox's user is ``uid`` outside it. A folder
    the sandbox needs may sit under one that user cannot enter (Python under
    ``/root``, mode 700): in a mount namespace of its own (``unshare -m``),
    root covers that folder with an empty one and binds just the folders the
    sandbox needs back into it, before dropping.
    """
    needed = read_only_paths()
    script = ["set -e", 'stash="$(mktemp -d)"']
    for n, top in enumerate(
        sorted({h for p in needed if (h := _hidden_from_nobody(p))})
    ):
        script += [
            f'mkdir "$stash/{n}"',
            f'mount --bind {shlex.quote(top)} "$stash/{n}"',
            f"mount -t tmpfs -o mode=755,size=1m none {shlex.quote(top)}",
        ]
        for path in needed:
            if path.startswith(top + "/"):
                inside = shlex.quote(os.path.relpath(path, top))
                script += [
                    f"mkdir -p {shlex.quote(path)}",
                    f'mount --bind "$stash/{n}/"{inside} {shlex.quote(path)}',
                ]
        script += [f'umount -l "$stash/{n}"', f'rmdir "$stash/{n}"']
    script.append('rmdir "$stash"')  # made in the host's /tmp: leave nothing
    drop = f"--reuid={uid} --regid={uid} --clear-groups --inh-caps=-all"
    script.append(f'exec setpriv {drop} "$@"')
    return ["unshare", "-m", "--", "sh", "-c", "\n".join(script), "sandbox", *bwrap]


@cache
def unavailable() -> str | None:
    """Why the sandbox cannot run here, or None when it can."""
    tools = ("bwrap", "prlimit") + (("unshare", "setpriv") if os.geteuid() == 0 else ())
    for tool in tools:
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Debian: apt-get install bubblewrap)"
    limits = resource_limits("default", 60)
    with tempfile.TemporaryDirectory(prefix="sandbox-check-") as folder:
        probe = [sys.executable, "-c", "import numpy, cnnkit"]
        _hand_over(FIRST_UID, Path(folder))
        done = subprocess.run(
            command(probe, Path(folder), limits),
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        return (
            "bubblewrap could not start a kernel: "
            + (done.stderr.strip().splitlines() or ["no message"])[-1]
        )
    return None


@cache
def matplotlib_cache() -> Path | None:
    """A folder with Matplotlib's list of fonts, built once per process.

    A kernel that finds no list builds its own when it first imports
    Matplotlib, a fifth of a second spent again for every submission; each
    kernel gets a copy of this one instead (in its socket folder, which it
    may write). None when Matplotlib could not build it.
    """
    folder = Path(tempfile.mkdtemp(prefix="matplotlib-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    done = subprocess.run(
        [sys.executable, "-c", "import matplotlib.font_manager"],
        env={**os.environ, "MPLCONFIGDIR": str(folder)},
        capture_output=True,
        check=False,
    )
    return folder if done.returncode == 0 and any(folder.glob("fontlist*")) else None


def _hand_over(uid: int, *paths: Path) -> None:
    """Give the sandbox's user the socket folder (and what is in it) when
    the grader is root; otherwise they are the grader's own already."""
    if os.geteuid() == 0:
        for path in paths:
            os.chown(path, uid, uid)


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in the sandbox, over Unix sockets."""

    limits = Dict(
        help="Resource limits of the kernel (see grading.sandbox.RESOURCE_LIMITS)"
    ).tag(config=True)
    slot = Integer(0, help="The grading worker's number: its sandboxes' user").tag(
        config=True
    )

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # a short path: a Unix socket's name has a limit of about 100 bytes
        self.sockets = Path(tempfile.mkdtemp(prefix="kernel-"))
        self.transport = "ipc"
        self.ip = str(self.sockets / "k")
        self.connection_file = str(self.sockets / "kernel.json")
        self.output_file = Path(tempfile.mkstemp(prefix="kernel-", suffix=".log")[1])

    @property
    def kernel_spec(self):
        """The kernel's spec, interrupted by a message: the sandbox is out of
        reach of the grader's signals (its process group is its own)."""
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec

    def format_kernel_cmd(self, extra_arguments=None) -> list[str]:
        """The kernel's command, run in the sandbox."""
        limits = self.limits or resource_limits("default", 600)
        kernel = super().format_kernel_cmd(extra_arguments)
        env = {k: os.environ[k] for k in NBGRADER_VARIABLES if k in os.environ}
        fonts = matplotlib_cache()
        if fonts is not None:
            env["MPLCONFIGDIR"] = str(shutil.copytree(fonts, self.sockets / "mpl"))
        return command(kernel, self.sockets, limits, extra_env=env, slot=self.slot)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        fonts = self.sockets / "mpl"
        given = [self.sockets, Path(self.connection_file), fonts, *fonts.rglob("*")]
        _hand_over(FIRST_UID + self.slot, *(p for p in given if p.exists()))
        # the kernel's own streams go to a file the grader only copies to its log
        out = self.output_file.open("ab")
        kw.update(stdin=subprocess.DEVNULL, stdout=out, stderr=out, close_fds=True)
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            out.close()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart)
        if not restart:
            self._report_output()
            shutil.rmtree(self.sockets, ignore_errors=True)

    def _report_output(self, limit: int = 4000) -> None:
        """Copy the end of what the kernel printed to the grader's log."""
        try:
            with self.output_file.open("rb") as f:
                f.seek(max(0, self.output_file.stat().st_size - limit))
                text = f.read().decode("utf-8", "replace").strip()
            self.output_file.unlink()
        except OSError:
            return
        if text:
            print(f"--- the kernel's own output (its last {limit} bytes):\n{text}")
