"""The framework's end-to-end contract, run for us_legislators on the embedded local AWS."""

from job_family.testing.contracts.e2e import *  # noqa: F403
