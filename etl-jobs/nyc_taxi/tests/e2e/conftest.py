"""The lake of an nyc_taxi end-to-end module: the family deployed on its own embedded local AWS, one
per test module (a module's runs and faults never reach another's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from job_family.testing.contracts.e2e import LocalFamily, deployed_families
from job_family.testing.family import FamilyUnderTest


@pytest.fixture(scope="module")
def lake(
    request: pytest.FixtureRequest,
    family_under_test: FamilyUnderTest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalFamily]:
    module = request.module.__name__.rsplit(".", 1)[-1]
    with deployed_families(
        [family_under_test],
        work_dir=tmp_path_factory.mktemp(f"e2e_{module}"),
        assemblies=tmp_path_factory.getbasetemp() / "assemblies",
    ) as deployed:
        yield deployed.families[family_under_test.spec.name]
