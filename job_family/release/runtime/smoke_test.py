"""Post-deploy check: drop a fixture file (or delivery) into the raw bucket and wait for its audit item
to succeed.

    python -m job_family.release.runtime.smoke_test --region eu-west-1 --label 42 \
        --fixture etl-jobs/nyc_taxi/fixtures/yellow_tripdata_smoke.csv \
        --key-prefix nyc_taxi/yellow_tripdata/smoke-test- [--timeout-min 45]

Reads RAW_BUCKET_NAME, DATA_KEY_ARN, AUDIT_TABLE_NAME and SMOKE_TEST_ROLE_ARN from the environment
(the pipeline step sets them from the stack outputs). Exits 0 when the item reaches SUCCEEDED, 1 when
it reaches FAILED or REJECTED or the time runs out, printing what it saw.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from job_family.audit.runtime.item import TERMINAL_STATUSES, Attr, Status, delivery_object_id, object_id

SMOKE_TEST_LABEL = "smoke-test-"
REQUIRED_VARIABLES: tuple[str, ...] = (
    "RAW_BUCKET_NAME",
    "DATA_KEY_ARN",
    "AUDIT_TABLE_NAME",
    "SMOKE_TEST_ROLE_ARN",
)
_LABEL = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True, kw_only=True)
class Target:
    raw_bucket_name: str
    data_key_arn: str
    audit_table_name: str
    role_arn: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Target:
        missing = [name for name in REQUIRED_VARIABLES if not environ.get(name)]
        if missing:
            raise SystemExit(
                f"smoke test: {', '.join(missing)} not set; the pipeline step sets them from the stack outputs"
            )
        return cls(
            raw_bucket_name=environ["RAW_BUCKET_NAME"],
            data_key_arn=environ["DATA_KEY_ARN"],
            audit_table_name=environ["AUDIT_TABLE_NAME"],
            role_arn=environ["SMOKE_TEST_ROLE_ARN"],
        )


@dataclass(frozen=True)
class Verdict:
    passed: bool
    status: str
    detail: str


def _checked(label: str) -> str:
    if not _LABEL.fullmatch(label):
        raise ValueError(
            f"label {label!r} must be 1-64 letters, digits, '.', '_' or '-', e.g. the build number"
        )
    return label


def fixture_keys(fixture: Path, *, key_prefix: str, label: str) -> dict[str, Path]:
    """Object key -> file. A file fixture is one object `<key_prefix><label><suffixes>`; a folder
    fixture is a delivery `<key_prefix><label>/<file>` of every file in it."""
    name = f"{key_prefix}{_checked(label)}"
    if fixture.is_dir():
        return {f"{name}/{path.name}": path for path in sorted(fixture.iterdir()) if path.is_file()}
    return {f"{name}{''.join(fixture.suffixes)}": fixture}


def upload_fixture(s3: Any, target: Target, *, key: str, body: bytes) -> str:
    """Upload with the platform's data key (the raw bucket refuses anything else); return the object id."""
    response = s3.put_object(
        Bucket=target.raw_bucket_name,
        Key=key,
        Body=body,
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=target.data_key_arn,
    )
    return object_id(target.raw_bucket_name, key, response.get("VersionId"))


def wait_for_outcome(
    read_item: Callable[[], dict[str, Any] | None],
    *,
    timeout_s: float,
    poll_s: float = 15.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Verdict:
    """Poll the audit item until its status is terminal or `timeout_s` has passed."""
    deadline = clock() + timeout_s
    last = "no audit item yet"
    while True:
        item = read_item()
        if item is not None:
            status = item.get(Attr.STATUS.value, {}).get("S", "?")
            last = status
            if status in TERMINAL_STATUSES:
                detail = "; ".join(
                    f"{attr.value}={item[attr.value].get('S') or item[attr.value].get('N')}"
                    for attr in (Attr.ROWS_READ, Attr.ROWS_CONFORMED, Attr.ROWS_QUARANTINED, Attr.REASON,
                                 Attr.FAILED_STATE, Attr.ERROR, Attr.CAUSE)
                    if attr.value in item
                )  # fmt: skip
                return Verdict(status == Status.SUCCEEDED, status, detail)
        if clock() >= deadline:
            return Verdict(False, last, f"no outcome after {timeout_s:.0f} s")
        sleep(poll_s)


def run(
    target: Target,
    *,
    session: Any,
    fixture: Path,
    key_prefix: str,
    label: str,
    timeout_s: float,
    poll_s: float = 15.0,
) -> Verdict:
    credentials = session.client("sts").assume_role(
        RoleArn=target.role_arn, RoleSessionName=f"smoke-test-{label}"[:64]
    )["Credentials"]
    assumed = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=session.region_name,
    )
    s3 = assumed.client("s3")
    audit_ids = [
        upload_fixture(s3, target, key=key, body=path.read_bytes())
        for key, path in fixture_keys(fixture, key_prefix=key_prefix, label=label).items()
    ]
    if fixture.is_dir():  # a delivery: one audit item for all its files
        audit_ids = [delivery_object_id(target.raw_bucket_name, f"{key_prefix}{label}/")]
    (audit_id,) = audit_ids
    print(
        f"smoke test: uploaded {fixture.name} to s3://{target.raw_bucket_name}/{key_prefix}; waiting for {audit_id}"
    )
    dynamodb = assumed.client("dynamodb")

    def read_item() -> dict[str, Any] | None:
        found = dynamodb.get_item(
            TableName=target.audit_table_name,
            Key={Attr.OBJECT_ID.value: {"S": audit_id}},
            ConsistentRead=True,
        )
        item = found.get("Item")
        return dict(item) if item else None

    return wait_for_outcome(read_item, timeout_s=timeout_s, poll_s=poll_s)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--region", required=True, help="the target environment's region")
    parser.add_argument("--label", required=True, help="makes the fixture key unique, e.g. the build number")
    parser.add_argument("--timeout-min", type=float, default=45.0)
    parser.add_argument(
        "--fixture", required=True, type=Path, help="a file (one object) or a folder (a delivery)"
    )
    parser.add_argument("--key-prefix", required=True, help="e.g. nyc_taxi/yellow_tripdata/smoke-test-")
    args = parser.parse_args(argv)
    target = Target.from_environ(os.environ)
    verdict = run(
        target,
        session=boto3.Session(region_name=args.region),
        fixture=args.fixture,
        key_prefix=args.key_prefix,
        label=args.label,
        timeout_s=args.timeout_min * 60,
    )
    print(f"smoke test: {verdict.status} ({verdict.detail})")
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
