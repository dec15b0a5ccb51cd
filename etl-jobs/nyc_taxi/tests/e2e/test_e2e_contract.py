"""The framework's end-to-end contract, run for nyc_taxi (see job_family/testing/contracts/e2e.py)."""

from job_family.testing.contracts.e2e import *  # noqa: F403
