"""nbgrader's configuration for this course.

The layout is the repository's own: assignment sources (with solutions and
hidden tests) live in ``solutions/<id>/<id>.ipynb`` and ``nbgrader generate
assignment`` writes the student versions into
``notebooks/assignments/<id>/<id>.ipynb``. Submissions, autograded copies,
feedback and the gradebook are the instructor's working files and stay out of
git (see .gitignore).
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent

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

# A cell that runs longer than this while autograding is stopped and marked
# as failed, so one student's endless loop cannot stall the whole class.
c.ExecutePreprocessor.timeout = 120
