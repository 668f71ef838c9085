"""Check that an assignment's report and the gradebook agree.

    python -m grading.verify a1-convolution [--course FOLDER]

``make grade`` runs this at the end of every run. It checks that every row
of ``grades/<id>.csv`` has a submission in the gradebook with the same score
and maximum, that every submission of the assignment in the gradebook has a
row, and that nbgrader's export ``grades/grades.csv`` (when present) says the
same. Only the grader writes these (students' code runs in a sandbox that
sees none of them), so a difference means a bug or a hand edit, and the
command says which student and exits with status 1.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from grading.course import course_folder, load_config, use_environment


def problems(course: Path, assignment: str) -> list[str]:
    """What disagrees between the report, the gradebook and the export."""
    from grading.grade import read_rows

    use_environment()
    from nbgrader.api import Gradebook

    report = course / "grades" / f"{assignment}.csv"
    rows = read_rows(report)
    if not rows:
        return [f"{report} is missing or empty"]
    config = load_config(course)
    db_url = config.CourseDirectory.db_url
    found = []
    with Gradebook(db_url, config.CourseDirectory.course_id) as gb:
        book = {
            s.student.id: (float(s.score), float(s.max_score))
            for s in gb.assignment_submissions(assignment)
        }
    for student, row in sorted(rows.items()):
        if student not in book:
            found.append(f"{student}: in the report, not in the gradebook")
        elif book[student] != (row.score, row.max_score):
            score, max_score = book[student]
            found.append(
                f"{student}: the report says {row.score:g}/{row.max_score:g}, "
                f"the gradebook {score:g}/{max_score:g}"
            )
    for student in sorted(set(book) - set(rows)):
        found.append(f"{student}: in the gradebook, not in the report")
    export = course / "grades" / "grades.csv"
    if export.is_file():
        with export.open(newline="", encoding="utf-8") as f:
            for item in csv.DictReader(f):
                if item.get("assignment") != assignment:
                    continue
                student = item["student_id"]
                exported = (float(item["score"]), float(item["max_score"]))
                if student in book and exported != book[student]:
                    found.append(f"{student}: grades.csv disagrees with the gradebook")
    return found


def main(argv: list[str] | None = None) -> int:
    """Command line; see the module's description."""
    parser = argparse.ArgumentParser(prog="python -m grading.verify")
    parser.add_argument("assignment")
    parser.add_argument("--course", help="course folder (default: this repository)")
    args = parser.parse_args(argv)
    course = course_folder(args.course)
    found = problems(course, args.assignment)
    for line in found:
        print(f"verify: {line}")
    if not found:
        print(f"verify: {args.assignment}: the report and the gradebook agree")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
