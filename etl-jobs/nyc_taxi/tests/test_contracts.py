"""The framework's contract tests, run for nyc_taxi (see job_family/testing/contracts/)."""

from job_family.testing.contracts import *  # noqa: F403
