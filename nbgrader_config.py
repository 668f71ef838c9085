"""nbgrader's configuration for this course.

The layout is the repository's own: assignment sources (with solutions and
hidden tests) live in ``solutions/<id>/<id>.ipynb`` and ``nbgrader generate
assignment`` writes the student versions into
``notebooks/assignments/<id>/<id>.ipynb``. Submissions, autograded copies,
feedback and the gradebook are the instructor's working files and stay out of
git (see .gitignore). ``make release`` and ``make grade`` (``grading/``) run
nbgrader with this file; book/instructors.md walks through the cycle.

The paths below are relative to this file, so a copy of it in another folder
(a temporary course for the tests, a grading machine) makes that folder the
course.
"""

import sys
from pathlib import Path

import nbgrader

ROOT = Path(__file__).resolve().parent
# The preprocessors named below live in grading/, beside this file.
if (ROOT / "grading").is_dir() and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import grading.intake  # noqa: E402 (found through the path set above)

c = get_config()  # noqa: F821 (nbgrader provides get_config)

c.CourseDirectory.course_id = "cnn-course"
c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks/assignments"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'gradebook.db'}"

# Student versions keep the function signature and docstring and replace the
# body with this stub.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# A cell that runs longer than this while autograding is interrupted and
# marked as failed, and the notebook goes on with the next cell, so one
# student's endless loop cannot stall the whole class. The cells are run by
# nbgrader's own preprocessor, Execute, whose default is 30 s (nbconvert's is
# no limit); it also takes ExecutePreprocessor's settings, its parent class's.
# A per-cell limit alone does not bound a notebook (many cells, each just
# under it): `make grade` also stops a whole notebook that runs past the
# notebook limit (grading/grade.py). An assignment may set both limits in its
# source notebook's metadata (cnnkit.limits); `make grade` passes the cell
# limit on as --Execute.timeout. tests/assignments proves both apply.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
c.ExecutePreprocessor.timeout = 120

# A graded cell a student deleted is put back (with a note) before grading,
# so its tests still run, rather than leaving a hole in the gradebook. With
# this on, nbgrader 0.9.6 crashes on a copied graded cell, and on a deleted
# test cell that follows a read-only cell: grading/preprocessors.py has fixed
# versions of the two preprocessors involved.
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "grading.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "grading.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Grading runs each kernel in a sandbox (grading/sandbox.py: bubblewrap, no
# network, no course files, resource limits) and watches, between cells, that
# the notebook has not changed how later tests run (grading/tamper.py); both
# are in this replacement for nbgrader's Execute. The rest is nbgrader's list.
c.Autograde.autograde_preprocessors = [
    "grading.preprocessors.GradingExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# A test passes unless it raises. nbgrader also gives 0 to a test cell that
# writes anything to stderr, so a library's warning, or Matplotlib building
# its font cache the first time it is imported on the grading machine, would
# cost a student the points of whichever test cell it happened in. nbgrader's
# IgnorePattern removes stderr output matching a pattern before grading; this
# one matches all of it.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?s)."

# Feedback never shows hidden tests: their code is removed, and their errors
# are cut to one line (a traceback would quote the test's code). It is safe to
# open: every output is shown as escaped text or a plain image, never as HTML
# or a script, and cut at 100 kB a cell; Markdown is sanitised; and the page
# loads nothing from another host (nbgrader's template loads MathJax from a
# CDN; grading/templates/feedback, searched first, replaces that part).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "grading.preprocessors.HideHiddenTests",
    "grading.preprocessors.SafeFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# The pages are nbconvert's HTML, with its templates compiled once per process.
c.GenerateFeedback.exporter_class = "grading.preprocessors.FeedbackExporter"
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.extra_template_basedirs = [
    str(Path(grading.__file__).parent / "templates"),
    str(Path(nbgrader.__file__).parent / "server_extensions/formgrader/templates"),
]

# `nbgrader zip_collect` (which `make grade` runs on an LMS download zip):
# how a file name in the zip says whose it is. This matches Canvas's
# "<login>_<user id>_<submission id>_<file name>.ipynb" (with "_late" after
# the login when late); book/instructors.md shows Moodle's.
c.FileNameCollectorPlugin.named_regexp = grading.intake.LMS_FILE_NAME.pattern
