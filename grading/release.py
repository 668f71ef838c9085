"""Regenerate the student versions of the assignments from their sources.

    python -m grading.release                    # every assignment (make release)
    python -m grading.release a1-convolution     # just these

For each assignment, ``nbgrader generate_assignment --force --no-db`` writes
``notebooks/assignments/<id>/<id>.ipynb`` from ``solutions/<id>/<id>.ipynb``
(solutions replaced by a stub, hidden tests removed, outputs cleared, graded
cells locked and checksummed). This script then stores, in the metadata of
the self-check cell, the list of graded cells and the grading time limits,
which ``cnnkit.check`` compares a student's notebook against. Nothing else
is changed, so the committed student versions are exactly what this
command produces; ``tests/assignments`` regenerates them and compares.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grading.course import (
    HIDDEN_BEGIN,
    assignment_ids,
    attach_record,
    course_folder,
    nbgrader_api,
    read_json,
    record,
    release_notebook,
    source_notebook,
)

#: nbgrader's ``--no-db``: releasing never touches the gradebook.
NO_DATABASE = {
    "GenerateAssignment": {"no_database": True},
    "SaveCells": {"enabled": False},
}


def leaks(student: dict) -> list[str]:
    """Markers of solutions or hidden tests left in a student version."""
    found = []
    for cell in student["cells"]:
        text = "".join(cell.get("source", ""))
        for marker in ("BEGIN SOLUTION", "END SOLUTION", HIDDEN_BEGIN):
            if marker in text:
                grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                found.append(f'cell "{grade_id}" contains "{marker}"')
    return found


def release(
    course: Path,
    assignments: list[str] | None = None,
    *,
    output: Path | None = None,
) -> list[Path]:
    """Generate the student version of each assignment; return their paths.

    Parameters
    ----------
    course : Path
        The course folder.
    assignments : list of str, optional
        Assignment ids (default: every one in ``solutions/``).
    output : Path, optional
        Write the student versions under this folder instead of the course's
        release folder (the tests compare such a copy with the committed one).

    Returns
    -------
    list of Path
        The student notebooks written.

    Raises
    ------
    RuntimeError
        When nbgrader fails (its log is in the message) or a student version
        would contain a solution or a hidden test.
    """
    import nbformat

    ids = assignments or assignment_ids(course)
    for assignment in ids:
        source_notebook(course, assignment)  # a clear error for a wrong id
    overrides = dict(NO_DATABASE)
    if output is not None:
        overrides["CourseDirectory"] = {"release_directory": str(output)}
    api = nbgrader_api(course, overrides)
    written = []
    for assignment in ids:
        result = api.generate_assignment(assignment, force=True, create=False)
        if not result["success"]:
            raise RuntimeError(
                f"nbgrader generate_assignment {assignment} failed:\n"
                f"{result.get('log', '')}\n{result.get('error', '')}"
            )
        path = (
            Path(output) / assignment / f"{assignment}.ipynb"
            if output is not None
            else release_notebook(course, assignment)
        )
        student = read_json(path)
        source = read_json(source_notebook(course, assignment))
        attach_record(student, record(assignment, source, student))
        problems = leaks(student)
        if problems:
            raise RuntimeError(f"{assignment}: {'; '.join(problems)}")
        nbformat.write(nbformat.from_dict(student), str(path))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m grading.release [ID ...] [--course DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m grading.release", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("assignments", nargs="*", help="ids (default: all)")
    parser.add_argument("--course", help="course folder (default: this repository)")
    args = parser.parse_args(argv)
    course = course_folder(args.course)
    for path in release(course, args.assignments or None):
        print(f"released {path.relative_to(course)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
