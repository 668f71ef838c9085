"""The instructor's tools: release the assignments, grade the submissions.

Students never need this folder; it drives nbgrader (configured by
``nbgrader_config.py``) with nbgrader's own machinery:

- ``python -m grading.release`` (``make release``) regenerates every student
  version in ``notebooks/assignments/`` from ``solutions/``.
- ``python -m grading.grade ID SUBMISSIONS`` (``make grade``) collects a
  folder of notebooks or an LMS zip (``grading.intake`` checks what comes
  in), autogrades each submission under time limits with its kernel in a
  sandbox (``grading.sandbox``) and watched for tampering
  (``grading.tamper``), several at once, writes feedback and exports the
  grades;
- ``python -m grading.verify ID`` checks that the report and the gradebook
  agree (``make grade`` runs it at the end).

``book/instructors.md`` walks through the whole cycle.
"""
