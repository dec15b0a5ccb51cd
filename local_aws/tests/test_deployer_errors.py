"""Deployment errors name the problem and the fix (each test starts its own embedded AWS)."""

from __future__ import annotations

from pathlib import Path

import pytest

from local_aws.cloud_assembly import read_cloud_assembly
from local_aws.deployer import Deployer, DeployError
from local_aws.server import start_local_aws
from local_aws.tests.sample_app import ACCOUNT, RAW_BUCKET_PARAMETER, REGION

pytestmark = pytest.mark.synth


def test_an_unknown_resource_type_is_an_error_naming_it(sample_assembly: Path, tmp_path: Path) -> None:
    (stack,) = [s for s in read_cloud_assembly(sample_assembly) if s.stack_name == "Local-SampleInfra"]
    stack.template["Resources"]["Odd"] = {"Type": "AWS::Redshift::Cluster", "Properties": {}}
    try:
        with (
            start_local_aws(account_id=ACCOUNT, region=REGION) as aws,
            pytest.raises(
                DeployError, match=r"Odd: resource type AWS::Redshift::Cluster is not supported by local_aws"
            ),
        ):
            Deployer(aws).deploy_stack(stack)
    finally:
        del stack.template["Resources"]["Odd"]


def test_a_missing_ssm_input_says_which_app_to_deploy_first(sample_assembly: Path) -> None:
    with (
        start_local_aws(account_id=ACCOUNT, region=REGION) as aws,
        pytest.raises(
            DeployError,
            match=rf"reads SSM parameter {RAW_BUCKET_PARAMETER}.*deploy the app that publishes it first",
        ),
    ):
        Deployer(aws).deploy(sample_assembly, stacks=["Local-SampleEtl"])


def test_a_stack_for_another_account_is_refused_with_the_fix(sample_assembly: Path) -> None:
    with (
        start_local_aws(account_id="999999999999", region=REGION) as aws,
        pytest.raises(
            DeployError, match=r"targets account 111111111111.*start it with account_id='111111111111'"
        ),
    ):
        Deployer(aws).deploy(sample_assembly)
