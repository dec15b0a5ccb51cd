"""The post-deploy check against moto: upload the fixture, wait for the audit item's outcome."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import boto3
import pytest
from moto import mock_aws

from job_family.audit.runtime.item import TABLE_PARTITION_KEY
from job_family.release.runtime import smoke_test

REGION: Final = "eu-west-1"
KEY_PREFIX = "nyc_taxi/yellow_tripdata/smoke-test-"
FIXTURE = Path("trips_smoke.csv")  # a file fixture: only its suffix matters here


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch) -> Iterator[smoke_test.Target]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="raw", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket="raw", VersioningConfiguration={"Status": "Enabled"})
        key_arn = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
        boto3.client("dynamodb", region_name=REGION).create_table(
            TableName="audit",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": TABLE_PARTITION_KEY, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": TABLE_PARTITION_KEY, "AttributeType": "S"}],
        )
        role_arn = boto3.client("iam", region_name=REGION).create_role(
            RoleName="smoke", AssumeRolePolicyDocument="{}"
        )["Role"]["Arn"]
        yield smoke_test.Target(
            raw_bucket_name="raw", data_key_arn=key_arn, audit_table_name="audit", role_arn=role_arn
        )


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_succeeded_item_passes_the_check(target: smoke_test.Target) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    [key] = smoke_test.fixture_keys(FIXTURE, key_prefix=KEY_PREFIX, label="42")
    audit_id = smoke_test.upload_fixture(s3, target, key=key, body=b"a,b\n")
    dynamodb.put_item(
        TableName="audit",
        Item={TABLE_PARTITION_KEY: {"S": audit_id}, "status": {"S": "SUCCEEDED"}, "rows_read": {"N": "10"}},
    )

    head = s3.head_object(Bucket="raw", Key="nyc_taxi/yellow_tripdata/smoke-test-42.csv")
    verdict = smoke_test.wait_for_outcome(lambda: _item(dynamodb, audit_id), timeout_s=60, poll_s=1)

    assert head["ServerSideEncryption"] == "aws:kms"
    assert audit_id.endswith("#" + head["VersionId"])
    assert verdict == smoke_test.Verdict(True, "SUCCEEDED", "rows_read=10")


def test_failed_item_fails_the_check_with_its_cause() -> None:
    items: list[dict[str, Any] | None] = [
        None,
        {"status": {"S": "RUNNING"}},
        {"status": {"S": "FAILED"}, "failed_state": {"S": "RawToConformed"}, "cause": {"S": "boom"}},
    ]
    clock = Clock()

    verdict = smoke_test.wait_for_outcome(
        lambda: items.pop(0), timeout_s=600, poll_s=10, clock=clock, sleep=clock.sleep
    )

    assert verdict == smoke_test.Verdict(False, "FAILED", "failed_state=RawToConformed; cause=boom")
    assert clock.now == 20


def test_no_outcome_before_the_deadline_fails_the_check() -> None:
    clock = Clock()

    verdict = smoke_test.wait_for_outcome(
        lambda: {"status": {"S": "RUNNING"}}, timeout_s=60, poll_s=15, clock=clock, sleep=clock.sleep
    )

    assert verdict == smoke_test.Verdict(False, "RUNNING", "no outcome after 60 s")


def test_run_assumes_the_role_uploads_and_reports_rejection(
    target: smoke_test.Target, tmp_path: Path
) -> None:
    fixture_file = tmp_path / "trips_smoke.csv"
    fixture_file.write_text("a,b\n1,2\n")
    dynamodb = boto3.client("dynamodb", region_name=REGION)

    class RejectingSession:
        region_name = REGION

        def client(self, name: str) -> Any:
            return boto3.client(name, region_name=REGION)  # type: ignore[call-overload]

    original = smoke_test.upload_fixture

    def upload_then_reject(s3: Any, tgt: smoke_test.Target, *, key: str, body: bytes) -> str:
        audit_id = original(s3, tgt, key=key, body=body)
        dynamodb.put_item(
            TableName="audit",
            Item={TABLE_PARTITION_KEY: {"S": audit_id}, "status": {"S": "REJECTED"}, "reason": {"S": "bad"}},
        )
        return audit_id

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(smoke_test, "upload_fixture", upload_then_reject)
        verdict = smoke_test.run(
            target,
            session=RejectingSession(),
            fixture=fixture_file,
            key_prefix=KEY_PREFIX,
            label="7",
            timeout_s=5,
            poll_s=1,
        )

    assert verdict == smoke_test.Verdict(False, "REJECTED", "reason=bad")


def test_missing_outputs_are_named() -> None:
    with pytest.raises(SystemExit, match="AUDIT_TABLE_NAME, SMOKE_TEST_ROLE_ARN not set"):
        smoke_test.Target.from_environ({"RAW_BUCKET_NAME": "raw", "DATA_KEY_ARN": "arn"})


def test_label_must_be_a_safe_key_part() -> None:
    with pytest.raises(ValueError, match="label"):
        smoke_test.fixture_keys(FIXTURE, key_prefix=KEY_PREFIX, label="../x")


def test_a_folder_fixture_is_one_delivery_of_all_its_files(tmp_path: Path) -> None:
    for name in ("persons.json", "memberships.json"):
        (tmp_path / name).write_text("{}\n")

    keys = smoke_test.fixture_keys(tmp_path, key_prefix="us_legislators/deliveries/smoke-test-", label="9")

    assert sorted(keys) == [
        "us_legislators/deliveries/smoke-test-9/memberships.json",
        "us_legislators/deliveries/smoke-test-9/persons.json",
    ]


def _item(dynamodb: Any, audit_id: str) -> dict[str, Any] | None:
    item = dynamodb.get_item(TableName="audit", Key={TABLE_PARTITION_KEY: {"S": audit_id}}).get("Item")
    return dict(item) if item else None
