"""`nbgrader validate`: each source passes its own tests, hidden ones included,
and each untouched student version fails them.

nbgrader's Validator runs here in-process (the command line would start
nbgrader again for each notebook), with the same configuration and limits
`make grade` uses.
"""

from __future__ import annotations

import pytest
from _submissions import ROOT

from grading.course import (
    assignment_ids,
    limits,
    load_config,
    read_json,
    release_notebook,
    source_notebook,
    use_environment,
)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("assignment", assignment_ids(ROOT))
def test_nbgrader_validate_passes_the_source_and_fails_the_student_version(assignment):
    use_environment()
    from nbgrader.validator import Validator

    source = source_notebook(ROOT, assignment)
    cell = limits(read_json(source))["cell"]
    config = load_config(ROOT, {"Execute": {"timeout": int(cell)}})
    validator = Validator(config=config)
    passed = validator.validate(str(source))
    assert set(passed) <= {"passed"}, passed
    failed = validator.validate(str(release_notebook(ROOT, assignment)))
    assert failed.get("failed"), failed
    assert "changed" not in failed and "type_changed" not in failed
