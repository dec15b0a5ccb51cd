"""The composed local environment: S3 upload -> EventBridge -> SQS -> the real handler, in the background."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from local_aws.environment import local_environment
from local_aws.tests.sample_app import ACCOUNT, AUDIT_TABLE_NAME, RAW_BUCKET_NAME, REGION

pytestmark = pytest.mark.synth


def test_an_upload_reaches_the_trigger_handler_through_the_deployed_rule_and_queue(
    sample_assembly: Path, tmp_path: Path
) -> None:
    with local_environment(work_dir=tmp_path, account_id=ACCOUNT, region=REGION) as env:
        env.deploy(sample_assembly)
        lambdas = env.start_event_sources(interval_s=0.05)
        env.aws.client("s3").put_object(Bucket=RAW_BUCKET_NAME, Key="incoming/new.csv", Body=b"fare,tip\n")
        dynamodb = env.aws.client("dynamodb")
        deadline = time.monotonic() + 20
        while not (items := dynamodb.scan(TableName=AUDIT_TABLE_NAME)["Items"]):
            assert time.monotonic() < deadline, "the handler never ran"
            time.sleep(0.1)
        env.stop_event_sources()

    (source,) = lambdas.event_sources
    assert [item["source"]["S"] for item in items] == [source.mapping.event_source_arn]
    assert sum(batch.deleted for batch in source.history) == 1
