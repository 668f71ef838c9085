"""Intake: deciding whose each handed-in file is, and refusing what is unsafe.

Everything a student hands in is untrusted, names included. A student id
becomes a folder name (``submitted/<student>/``) and nbgrader uses it in glob
patterns, so an id is accepted only when it is a plain name
(:func:`check_name`). Only regular files are taken: a symbolic link, a device
or a file with special mode bits (setuid, setgid, sticky) is refused, never
followed. A zip from a learning platform is checked member by member and
copied into a clean zip of the acceptable ones before nbgrader unpacks it.

After intake nothing trusts a name again, and the grader never writes
through a link (:func:`write_file`, :func:`unlink_links`).
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from pathlib import Path

#: Characters a student id or file name may not hold: path separators,
#: glob characters and control characters.
UNSAFE = re.compile(r"[/\\*?\[\]{}\x00-\x1f\x7f]")
#: The largest notebook taken (bytes).
MAX_BYTES = 64 << 20
#: A file's path in an LMS download (Canvas's form, which Moodle's export can
#: be set to): ``<student>[_late]_<number>_<number>_<file>.ipynb``.
#: ``nbgrader zip_collect`` reads the student and file from it (see
#: ``nbgrader_config.py``); the grader reads the late mark.
LMS_FILE_NAME = re.compile(
    r".*/(?P<student_id>[^/_]+)(?P<late>_late)?_\d+_\d+_(?P<file_id>[^/]+)\.ipynb$"
)


class Refused(ValueError):
    """A handed-in file that intake will not take, and why."""


def check_name(name: str, what: str = "student id") -> str:
    """``name`` if it is a plain name; a :class:`Refused` naming it if not.

    Examples
    --------
    >>> check_name("jsmith")
    'jsmith'
    >>> check_name("../jsmith")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    grading.intake.Refused: student id '../jsmith' has a path separator, ...
    """
    if (
        not name
        or UNSAFE.search(name)
        or ".." in name
        or name.startswith((".", "-", " "))
        or name != name.strip()
    ):
        raise Refused(
            f"{what} {name!r} has a path separator, a glob or control character, "
            "or '..'"
        )
    return name


def check_file(path: Path) -> None:
    """Refuse a path that is not a plain regular file of a sensible size."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        raise Refused(f"{path} is a symbolic link (links are never followed)")
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"{path} is not a regular file")
    if info.st_mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX):
        raise Refused(f"{path} has a special mode ({stat.filemode(info.st_mode)})")
    if info.st_size > MAX_BYTES:
        raise Refused(f"{path} is larger than {MAX_BYTES >> 20} MB")


def _walk(folder: Path, refused: list) -> list[Path]:
    """The notebooks under ``folder``, never entering a linked folder."""
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "__MACOSX")):
            continue
        if entry.is_symlink():
            refused.append((entry, "a symbolic link (links are never followed)"))
        elif entry.is_dir():
            found += _walk(entry, refused)
        elif entry.suffix == ".ipynb":
            try:
                check_file(entry)
                found.append(entry)
            except Refused as err:
                refused.append((entry, str(err)))
    return found


def from_folder(
    assignment: str, folder: Path, refused: list | None = None
) -> dict[str, tuple[Path, str]]:
    """Student id -> (notebook, note) for a folder of submissions.

    A folder holds ``<student>.ipynb`` files or one folder per student
    (with any notebooks in it: ``<id>.ipynb`` is preferred, else the newest
    is graded and the note says so). What is refused (a link, a special
    file, an unsafe name) is appended to ``refused`` as (path, reason).
    """
    refused = [] if refused is None else refused
    found: dict[str, tuple[Path, str]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "__MACOSX")):
            continue
        try:
            if entry.is_symlink():
                raise Refused(f"{entry} is a symbolic link (links are never followed)")
            if entry.is_dir():
                candidates = _walk(entry, refused)
                if candidates:
                    found[check_name(entry.name)] = _pick(assignment, candidates)
            elif entry.suffix == ".ipynb":
                check_file(entry)
                found[check_name(entry.stem)] = (entry, "")
        except Refused as err:
            refused.append((entry, str(err)))
    return found


def _pick(assignment: str, candidates: list[Path]) -> tuple[Path, str]:
    """The notebook to grade among a student's files, and a note if unclear."""
    named = [p for p in candidates if p.name == f"{assignment}.ipynb"]
    if len(candidates) == 1 or len(named) == 1:
        return (named or candidates)[0], ""
    newest = max(candidates, key=lambda p: p.stat().st_mtime)
    return newest, f"{len(candidates)} notebooks handed in; graded {newest.name}"


def clean_zip(archive: Path, into: Path) -> tuple[Path, list[tuple[str, str]]]:
    """Copy the acceptable members of ``archive`` into a new zip ``into``.

    A member is refused when its name is absolute, has a ``..`` part, a
    backslash or a control character, or when it is a link, a special file
    or has special mode bits. The new zip holds the accepted ones as plain
    files, with no modes, so that unpacking it cannot write outside its
    folder nor create anything but files.

    Returns
    -------
    (Path, list of (str, str))
        The clean zip, and each refused member with the reason.
    """
    refused = []
    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(into, "w") as clean:
        for info in source.infolist():
            name = info.filename
            mode = info.external_attr >> 16
            parts = name.split("/")
            if info.is_dir():
                continue
            if (
                name.startswith("/")
                or ".." in parts
                or "\\" in name
                or re.search(r"[\x00-\x1f\x7f]", name)
            ):
                refused.append((name, "an unsafe path in the zip"))
            elif mode and (stat.S_IFMT(mode) not in (0, stat.S_IFREG)):
                refused.append((name, "not a regular file (a link or special file)"))
            elif mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX | stat.S_IWOTH):
                refused.append((name, f"a special mode ({stat.filemode(mode)})"))
            elif info.file_size > MAX_BYTES:
                refused.append((name, f"larger than {MAX_BYTES >> 20} MB"))
            else:
                clean.writestr(zipfile.ZipInfo(name, info.date_time), source.read(info))
    return into, refused


def unlink_links(root: Path, path: Path) -> None:
    """Remove any symbolic link on the way from ``root`` down to ``path``.

    A link where the grader is about to write (planted in ``submitted/``,
    ``autograded/`` or ``feedback/``) is removed, never followed; what it
    pointed to is untouched.
    """
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        if current.is_symlink():
            current.unlink()
        elif not current.exists():
            break


def write_file(root: Path, path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (inside ``root``), never through a link."""
    unlink_links(root, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    unlink_links(root, path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    fd = os.open(path, flags, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
