"""The framework's contract tests, run for us_legislators (see job_family/testing/contracts/)."""

from job_family.testing.contracts import *  # noqa: F403
