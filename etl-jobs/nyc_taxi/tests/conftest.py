"""nyc_taxi names itself once for the framework's fixtures and contract tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from nyc_taxi.spec import SPEC

from job_family.testing.family import FamilyUnderTest
from job_family.testing.fixtures import *  # noqa: F403  (synth fixtures built from the family)


@pytest.fixture(scope="session")
def family_under_test() -> FamilyUnderTest:
    return FamilyUnderTest(SPEC, Path(__file__).resolve().parents[1])
