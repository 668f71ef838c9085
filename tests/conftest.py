"""Hypothesis profiles for the suite.

"full" is what `make test` and CI run; "quick" is for a fast local loop
(`make test-quick`, or HYPOTHESIS_PROFILE=quick). Both are derandomised so
that a failure reproduces on every machine.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_common = dict(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("full", max_examples=2000, **_common)
settings.register_profile("quick", max_examples=100, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "full"))
