"""What releasing and grading share: the course folder, nbgrader and each
assignment's record.

A *course folder* is any folder with an ``nbgrader_config.py``: this
repository (or the instructor's private fork of it), or a copy of the few
files grading needs (the tests use one in a temporary folder). nbgrader runs
in this process through its Python API, configured from that file, so its
start-up cost is paid once per command, not once per student.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from cnnkit.check import cell_source, manifest_of

#: This repository: where ``grading/`` lives.
REPO = Path(__file__).resolve().parents[1]
#: nbgrader's marker of a hidden test region.
HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_END = "END HIDDEN TESTS"
#: Seconds a cell and a whole notebook may run while grading, unless the
#: source notebook's metadata (``cnnkit.limits``) says otherwise.
DEFAULT_LIMITS = {"cell": 120, "notebook": 600}
#: The ``grade_id`` of the self-check cell, which carries the record.
SELF_CHECK_ID = "self-check"


def environment() -> dict[str, str]:
    """This process's environment, fit for nbgrader and the kernels it starts.

    nbgrader calls ``alembic`` from ``PATH`` when it creates a gradebook, so
    the folder of this Python's executables (a virtual environment's
    ``bin``) goes first on ``PATH``; ``grading`` is put on ``PYTHONPATH`` so
    that the feedback preprocessor named in ``nbgrader_config.py`` imports.
    """
    env = dict(os.environ)
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    paths = [str(REPO), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    return env


def without_slow_imports() -> None:
    """Keep this process from importing ``rfc3987_syntax``.

    jsonschema (which nbformat and nbgrader import) imports it, where it is
    installed, for its checks of the "iri" formats; it builds a parser as it
    is imported, 1.4 s in every grading process. Nothing in grading checks
    formats. Without it jsonschema leaves those two checks out.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def alembic_head() -> str:
    """The revision nbgrader stamps a new gradebook with, read in this process.

    nbgrader asks a subprocess (``alembic heads``) for it whenever it creates
    a gradebook: 3 s at the start of the first grading run of a course, spent
    importing alembic again. alembic's API reads the same revisions here.
    """
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    return ScriptDirectory(ALEMBIC_DIR).get_current_head()


def use_environment() -> None:
    """Give this process the environment of :func:`environment`."""
    without_slow_imports()
    os.environ.update(environment())
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


def course_folder(path: str | os.PathLike | None) -> Path:
    """The course folder: ``path``, or this repository when none is given.

    Raises
    ------
    ValueError
        When the folder has no ``nbgrader_config.py``.
    """
    folder = Path(path).expanduser().resolve() if path is not None else REPO
    if not (folder / "nbgrader_config.py").is_file():
        raise ValueError(
            f"course: {folder} has no nbgrader_config.py; pass the course folder "
            "(the repository, or a copy of nbgrader_config.py and solutions/)"
        )
    return folder


def load_config(course: Path, overrides: dict[str, dict[str, Any]] | None = None):
    """nbgrader's configuration: the course's file, then ``overrides``.

    Parameters
    ----------
    course : Path
        The course folder.
    overrides : dict, optional
        ``{"Class": {"trait": value}}``, as on nbgrader's command line
        (``--Class.trait=value``); they win over the file.
    """
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.merge(Config(overrides or {}))
    return config


def nbgrader_api(course: Path, overrides: dict[str, dict[str, Any]] | None = None):
    """An ``NbGraderAPI`` for the course folder, configured from its file.

    The gradebooks it creates are stamped with :func:`alembic_head`.
    """
    use_environment()
    import nbgrader.api
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    nbgrader.api.get_alembic_version = alembic_head

    config = load_config(course, overrides)
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(course)
    return NbGraderAPI(coursedir=coursedir, config=config)


def assignment_ids(course: Path) -> list[str]:
    """The assignments whose sources are in ``solutions/``, in course order."""
    source = course / "solutions"
    return sorted(p.name for p in source.iterdir() if (p / f"{p.name}.ipynb").is_file())


def source_notebook(course: Path, assignment: str) -> Path:
    """``solutions/<id>/<id>.ipynb``, or a ValueError naming what exists."""
    path = course / "solutions" / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        raise ValueError(
            f"assignment: there is no {assignment!r} (no {path.relative_to(course)});"
            f" the assignments are {', '.join(assignment_ids(course))}"
        )
    return path


def release_notebook(course: Path, assignment: str) -> Path:
    """Where ``make release`` writes an assignment's student version."""
    return course / "notebooks" / "assignments" / assignment / f"{assignment}.ipynb"


def read_json(path: Path) -> dict:
    """A notebook as plain JSON."""
    return json.loads(path.read_text(encoding="utf-8"))


def hidden_cells(source: dict) -> set[str]:
    """The test cells whose tests are hidden, checking each is wholly hidden.

    Raises
    ------
    ValueError
        When a test cell mixes visible code with a hidden region: the
        self-check could not tell the student what its points are for.
    """
    hidden = set()
    for cell in source["cells"]:
        text = cell_source(cell)
        if HIDDEN_BEGIN not in text:
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        outside, inside = [], False
        for line in text.splitlines():
            if HIDDEN_BEGIN in line:
                inside = True
            elif HIDDEN_END in line:
                inside = False
            elif not inside and line.strip() and not line.lstrip().startswith("#"):
                outside.append(line)
        if outside:
            raise ValueError(
                f'cell "{grade_id}": a hidden test cell may hold only comments '
                f"outside its hidden region, found {outside[0]!r}"
            )
        hidden.add(grade_id)
    return hidden


def limits(source: dict) -> dict[str, float]:
    """Seconds per cell and per notebook for grading this assignment."""
    given = source.get("metadata", {}).get("cnnkit", {}).get("limits", {})
    return {**DEFAULT_LIMITS, **given}


def record(assignment: str, source: dict, student: dict) -> dict:
    """What the self-check needs to know: graded cells, their points, limits."""
    return {
        "assignment": assignment,
        "cells": manifest_of(student, hidden_cells(source)),
        "limits": limits(source),
    }


def attach_record(student: dict, rec: dict) -> dict:
    """Store the record in the metadata of the student version's self-check cell.

    Raises
    ------
    ValueError
        When the notebook has no cell with ``grade_id`` ``"self-check"``.
    """
    for cell in student["cells"]:
        if (
            cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            == SELF_CHECK_ID
        ):
            cell["metadata"]["cnnkit"] = rec
            return student
    raise ValueError(
        f"assignment {rec['assignment']}: no read-only cell with grade_id "
        f'"{SELF_CHECK_ID}" to hold the record of graded cells'
    )
