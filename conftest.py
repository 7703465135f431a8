"""Repository-wide pytest setup: load faceswap_core.testing after coverage starts.

pyproject's addopts block the ``faceswap`` pytest11 entry point (``-p no:faceswap``)
because entry-point plugins are imported before pytest-cov starts measuring,
which would hide faceswap_core's module-level lines. Loading the same module
here, from the root conftest, keeps its fixtures available to tests/ and to
every plugin's tests/ while coverage sees the imports.
"""

from __future__ import annotations

from hypothesis import settings

pytest_plugins = ["faceswap_core.testing"]

# CI runs with --hypothesis-profile=ci: the same examples on every run, so a
# red CI is a real regression, not a new random draw. Locally, draws vary.
# No per-example deadline: speed is measured by the benchmarks, never asserted
# by a test, and a loaded 2-core machine would turn a deadline into a flake.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
