"""The test suite itself: in CI it never fails by chance."""

from __future__ import annotations

import os

from hypothesis import settings


def test_ci_profile_draws_the_same_examples_every_run() -> None:
    ci = settings.get_profile("ci")
    assert ci.derandomize and ci.deadline is None
    if os.environ.get("CI") and not os.environ.get("HYPOTHESIS_PROFILE"):
        assert settings.default.derandomize
