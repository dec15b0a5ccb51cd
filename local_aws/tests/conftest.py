from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local_aws.deployer import Deployer, Deployment
from local_aws.server import LocalAws, start_local_aws
from local_aws.tests.sample_app import ACCOUNT, REGION, build_sample_app


@pytest.fixture(scope="session")
def sample_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample CDK app (stage `Local`: SampleInfra + SampleEtl), synthesized once per session."""
    return build_sample_app(tmp_path_factory.mktemp("sample") / "cdk.out")


@pytest.fixture(scope="module")
def deployed(sample_assembly: Path) -> Iterator[tuple[LocalAws, Deployment]]:
    """An embedded AWS with the sample app deployed, shared by one test module."""
    with start_local_aws(account_id=ACCOUNT, region=REGION) as aws:
        yield aws, Deployer(aws).deploy(sample_assembly)
