"""What a family's tests hand the framework's contract tests: its spec and its app folder.

A family runs every contract test by naming itself once, in its `tests/conftest.py`:

    from job_family.testing.family import FamilyUnderTest
    from job_family.testing.fixtures import *  # noqa: F403  (synth fixtures built from the family)

    @pytest.fixture(scope="session")
    def family_under_test() -> FamilyUnderTest:
        return FamilyUnderTest(SPEC, Path(__file__).resolve().parents[1])

and in `tests/test_contracts.py`: `from job_family.testing.contracts import *  # noqa: F403`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from job_family.spec import FamilySpec


@dataclass(frozen=True)
class FamilyUnderTest:
    spec: FamilySpec
    app_root: Path
