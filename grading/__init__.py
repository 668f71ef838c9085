"""The instructor's tools: release the assignments, grade the submissions.

Students never need this folder; it drives nbgrader (configured by
``nbgrader_config.py``) with nbgrader's own machinery:

- ``python -m grading.release`` (``make release``) regenerates every student
  version in ``notebooks/assignments/`` from ``solutions/``.
- ``python -m grading.grade ID SUBMISSIONS`` (``make grade``) collects a
  folder of notebooks or an LMS zip, autogrades each submission under time
  limits, writes feedback and exports the grades.

``book/instructors.md`` walks through the whole cycle.
"""
