"""Hypothesis profiles for the suite.

"standard" is what `make test` and CI run: 200 examples a property, enough to
reach the edge cases the strategies aim at, within the suite's time budget.
"thorough" (2,000 a property) is the deep search `make bench` runs, and
"quick" is for a fast local loop (`make test-quick`). Choose one with
HYPOTHESIS_PROFILE. All are derandomised, so that a failure reproduces on
every machine.
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
settings.register_profile("thorough", max_examples=2000, **_common)
settings.register_profile("standard", max_examples=200, **_common)
settings.register_profile("quick", max_examples=50, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "standard"))
