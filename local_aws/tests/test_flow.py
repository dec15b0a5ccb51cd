"""Following uploads: every transition reported once, `received` never skipped for a claimed file; uploads
of one file or of a delivery, as the family's trigger expects them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from job_family.audit.runtime.item import delivery_object_id
from job_family.ingest.runtime.environment import FAMILY_LAYOUT
from job_family.ingest.runtime.layout import ArrivalLayout
from job_family.outputs import Output
from local_aws.deployer import Deployment
from local_aws.flow import DeployedFlow, FlowError, Upload, wait_until_settled
from local_aws.resources.base import LocalFunction
from local_aws.server import LocalAws, start_local_aws


class ScriptedFlow(DeployedFlow):
    """A flow whose progress is scripted per key (no AWS behind it)."""

    def __init__(self, script: dict[str, list[str]]) -> None:
        self._script: dict[str, Iterator[str]] = {key: iter(steps) for key, steps in script.items()}
        self._last: dict[str, str] = {}

    def progress(self, upload: Upload) -> str:
        self._last[upload.key] = next(self._script[upload.key], self._last.get(upload.key, "uploaded"))
        return self._last[upload.key]

    def audit_item(self, upload: Upload) -> dict[str, Any] | None:
        return {"status": self._last[upload.key]}


def _upload(key: str) -> Upload:
    return Upload(bucket="raw", key=key, version_id="v1", size_bytes=1)


def _follow(flow: ScriptedFlow, uploads: list[Upload], timeout_s: float = 5) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    flow.wait_until_settled(
        uploads, timeout_s=timeout_s, on_change=lambda u, where, _: seen.append((u.key, where))
    )
    return seen


def test_each_transition_is_reported_once_and_received_is_never_skipped() -> None:
    flow = ScriptedFlow(
        {"a.csv": ["uploaded", "uploaded", "job 1 Raw running", "job 1 Raw running", "SUCCEEDED"]}
    )

    seen = _follow(flow, [_upload("a.csv")])

    assert [where for _, where in seen] == ["uploaded", "received", "job 1 Raw running", "SUCCEEDED"]


def test_a_rejected_file_is_not_reported_as_received() -> None:
    flow = ScriptedFlow({"x.txt": ["uploaded", "REJECTED"], "b.csv": ["received", "FAILED"]})

    seen = _follow(flow, [_upload("x.txt"), _upload("b.csv")])

    assert [where for key, where in seen if key == "x.txt"] == ["uploaded", "REJECTED"]
    assert [where for key, where in seen if key == "b.csv"] == ["received", "FAILED"]


def test_files_that_never_settle_fail_naming_where_they_are() -> None:
    flow = ScriptedFlow({"slow.csv": ["job 2 Purpose running"]})

    with pytest.raises(FlowError, match=r"not settled after 0 s: \{'slow.csv': 'job 2 Purpose running'\}"):
        _follow(flow, [_upload("slow.csv")], timeout_s=0.1)


def test_uploads_of_several_families_are_followed_together() -> None:
    taxis = ScriptedFlow({"taxis/a.csv": ["uploaded", "job 1 Raw running", "SUCCEEDED"]})
    people = ScriptedFlow({"people/deliveries/d1/": ["uploaded", "received", "received", "FAILED"]})
    seen: list[tuple[str, str]] = []

    items = wait_until_settled(
        [(taxis, _upload("taxis/a.csv")), (people, _upload("people/deliveries/d1/"))],
        timeout_s=5,
        on_change=lambda upload, where, _: seen.append((upload.key, where)),
    )

    assert [where for key, where in seen if key == "taxis/a.csv"] == [
        "uploaded",
        "received",
        "job 1 Raw running",
        "SUCCEEDED",
    ]
    assert [where for key, where in seen if key.startswith("people/")] == ["uploaded", "received", "FAILED"]
    assert sorted(item["status"] for item in items.values()) == ["FAILED", "SUCCEEDED"]


# -- uploads on an embedded AWS (S3 and DynamoDB only; no deployment) ---------------------------------

BUCKET = "raw-zone"
TABLE = "audit"


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAws]:
    with start_local_aws(account_id="111111111111", region="eu-west-1") as aws:
        aws.client("s3").create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        aws.client("s3").put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        aws.client("dynamodb").create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "object_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "object_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield aws


def _flow(aws: LocalAws, *, trigger: str, family: str = "people", layout: str | None = None) -> DeployedFlow:
    deployment = Deployment()
    if layout is not None:
        deployment.records.functions["trigger-fn"] = LocalFunction(
            logical_id="Trigger", stack_name="s", name="trigger-fn", arn="arn", handler="h.handler",
            runtime="python3.14", environment={FAMILY_LAYOUT: layout}, timeout_s=30,
            code_bucket=None, code_key=None, inline_code=None,
        )  # fmt: skip
    env = SimpleNamespace(aws=aws, deployment=deployment)
    outputs = {
        Output.FAMILY.value: family,
        Output.TRIGGER.value: trigger,
        Output.RAW_BUCKET.value: BUCKET,
        Output.RAW_KEY_PREFIX.value: f"{family}/",
        Output.AUDIT_TABLE.value: TABLE,
        Output.TRIGGER_FUNCTION.value: "trigger-fn",
    }
    return DeployedFlow(env=env, stack_name="s", outputs=outputs, job_names={})  # type: ignore[arg-type]


def _keys(aws: LocalAws, prefix: str) -> list[str]:
    listed = aws.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(entry["Key"] for entry in listed)


def test_a_delivery_is_put_under_its_prefix_and_followed_as_the_delivery_audit_item(aws: LocalAws) -> None:
    flow = _flow(aws, trigger="per_delivery")

    upload = flow.upload_delivery("d1", {"persons.json": b"{}\n", "memberships.json": b"{}\n{}\n"})

    assert _keys(aws, "people/deliveries/d1/") == [
        "people/deliveries/d1/memberships.json",
        "people/deliveries/d1/persons.json",
    ]
    assert upload.key == "people/deliveries/d1/"
    assert upload.object_id == delivery_object_id(BUCKET, "people/deliveries/d1/")
    assert (upload.file_name, upload.size_bytes) == ("d1/", 9)
    assert [obj.file_name for obj in upload.objects] == ["persons.json", "memberships.json"]
    assert all(obj.version_id for obj in upload.objects)
    assert flow.progress(upload) == "uploaded"

    aws.client("dynamodb").put_item(
        TableName=TABLE,
        Item={"object_id": {"S": upload.object_id}, "status": {"S": "SUCCEEDED"}, "rows_read": {"N": "3"}},
    )
    assert flow.wait_until_settled([upload], timeout_s=5)[upload.object_id]["rows_read"] == 3


def test_the_deliveries_folder_is_the_one_the_deployed_trigger_was_given(aws: LocalAws) -> None:
    layout = ArrivalLayout(family="people", datasets=(), trigger="per_delivery", deliveries_folder="drops")

    flow = _flow(aws, trigger="per_delivery", layout=layout.to_json())

    assert flow.delivery_prefix("2024-06-01") == "people/drops/2024-06-01/"


def test_samples_are_uploaded_the_way_the_family_trigger_expects_them(aws: LocalAws, tmp_path: Path) -> None:
    (tmp_path / "persons.json").write_bytes(b"{}\n")
    (tmp_path / "memberships.json").write_bytes(b"{}\n")
    samples = [("persons", tmp_path / "persons.json"), ("memberships", tmp_path / "memberships.json")]

    per_object = _flow(aws, trigger="per_object", family="things").upload_samples(samples, delivery_id="x")
    (delivery,) = _flow(aws, trigger="per_delivery").upload_samples(samples, delivery_id="sample")

    assert [upload.key for upload in per_object] == [
        "things/persons/persons.json",
        "things/memberships/memberships.json",
    ]
    assert not any(upload.is_delivery for upload in per_object)
    assert [obj.key for obj in delivery.files] == [
        "people/deliveries/sample/persons.json",
        "people/deliveries/sample/memberships.json",
    ]


def test_a_family_triggered_per_delivery_has_no_per_object_keys(aws: LocalAws) -> None:
    with pytest.raises(
        FlowError, match=r"people is triggered per delivery: .* people/deliveries/<delivery id>/"
    ):
        _flow(aws, trigger="per_delivery").key_for("persons", "persons.json")


def test_the_named_query_shown_is_the_first_that_reads_purpose_built_tables_holding_data(
    aws: LocalAws,
) -> None:
    s3, glue, athena = aws.client("s3"), aws.client("glue"), aws.client("athena")
    s3.create_bucket(Bucket="built", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    glue.create_database(DatabaseInput={"Name": "db"})
    for name in ("green_metrics", "yellow_metrics"):
        glue.create_table(
            DatabaseName="db",
            TableInput={"Name": name, "StorageDescriptor": {"Location": f"s3://built/people/{name}/"}},
        )
    s3.put_object(Bucket="built", Key="people/yellow_metrics/pickup_month=1/part-0.parquet", Body=b"PAR1")
    athena.create_work_group(Name="wg")
    for name, table in (("a: green", "green_metrics"), ("b: yellow", "yellow_metrics")):
        athena.create_named_query(
            Name=name, Database="db", WorkGroup="wg", QueryString=f'SELECT * FROM "db"."{table}"'
        )
    flow = _flow(aws, trigger="per_object")
    flow.outputs |= {
        Output.DATABASE.value: "db",
        Output.WORKGROUP.value: "wg",
        Output.PURPOSE_BUILT_BUCKET.value: "built",
    }

    assert flow.purpose_built_query()["Name"] == "b: yellow"

    s3.delete_object(Bucket="built", Key="people/yellow_metrics/pickup_month=1/part-0.parquet")
    with pytest.raises(FlowError, match=r"hold data \(their tables are empty: a: green; b: yellow\)"):
        flow.purpose_built_query()
