"""End to end on the embedded local AWS: both apps synthesized with the pinned CDK CLI for `local`,
deployed from their cloud assemblies, files uploaded to the raw bucket, the real trigger handler,
state machine and Glue scripts (on local PySpark) doing the work.

One deployed environment serves the whole module (each Glue run starts a Spark JVM).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nyc_taxi.steps import sample_data, schemas

from job_family import naming
from job_family.audit.runtime.item import Attr, Status
from local_aws.demo import APPS, synth
from local_aws.environment import LocalEnvironment, local_environment
from local_aws.flow import DeployedFlow, NotificationCapture, Upload
from shared_config.loader import load_config

pytestmark = pytest.mark.e2e

FAMILY_APP = Path(__file__).resolve().parents[2]
DATASET = "yellow_tripdata"
ROWS = 300
SETTLE_TIMEOUT_S = 420


@dataclass
class Lake:
    env: LocalEnvironment
    flow: DeployedFlow
    notifications: NotificationCapture
    scratch: Path

    def settle(self, upload: Upload) -> dict[str, Any]:
        return self.flow.wait_until_settled([upload], timeout_s=SETTLE_TIMEOUT_S)[upload.object_id]

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.flow.run_query(sql, self.scratch)[1]

    def table(self, spec: schemas.TableSpec) -> str:
        return f'"{self.flow.database}"."{spec.name}"'

    def notifications_about(self, upload: Upload, *, count: int = 1) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 10
        while len(found := self.notifications.about(upload)) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return found


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    root = tmp_path_factory.mktemp("e2e")
    settings = load_config()
    assert settings.local is not None, "shared_config/environments.yaml needs a `local:` environment"
    # this family's own app folder, so a family made by `make new-job` deploys itself
    apps = {"infrastructure": APPS["infrastructure"], "nyc_taxi": FAMILY_APP}
    assemblies = [root / "assemblies" / name for name in apps]
    for app, out_dir in zip(apps.values(), assemblies, strict=True):
        synth(app, out_dir)
    with local_environment(
        work_dir=root / "run", account_id=settings.local.account, region=settings.local.region
    ) as env:
        env.deploy(*assemblies)
        flow = DeployedFlow.discover(env, stack_name=naming.stack_name(settings.prefix, "local", "nyc_taxi"))
        with flow.capture_notifications() as notifications:
            env.start_event_sources(interval_s=0.1)
            yield Lake(env, flow, notifications, root / "query")


@pytest.fixture(scope="module")
def generated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_data.write(
        tmp_path_factory.mktemp("sample"),
        rows=ROWS,
        dataset=DATASET,
        file_format="csv",
        month="2021-01",
        dirty=0.1,
        seed=7,
    )


@pytest.fixture(scope="module")
def first_run(lake: Lake, generated_file: Path) -> tuple[Upload, dict[str, Any]]:
    upload = lake.flow.upload(lake.flow.key_for(DATASET, generated_file.name), generated_file.read_bytes())
    return upload, lake.settle(upload)


def _outputs(lake: Lake) -> dict[str, list[tuple[Any, ...]]]:
    """Every conformed row (without its run id), every quarantined rule and every purpose-built row."""
    conformed = schemas.conformed_table(DATASET)
    columns = [name for name in conformed.column_names if name != "run_id"]
    metrics = schemas.purpose_built_table(DATASET, "daily_zone_metrics")
    quarantine = schemas.quarantine_table(DATASET)
    return {
        "conformed": lake.query(f"SELECT {', '.join(columns)} FROM {lake.table(conformed)} ORDER BY ALL"),
        "quarantine": lake.query(
            f"SELECT source_key, broken_rules FROM {lake.table(quarantine)} ORDER BY ALL"
        ),
        "purpose_built": lake.query(f"SELECT * FROM {lake.table(metrics)} ORDER BY ALL"),
    }


def test_a_file_with_dirty_rows_succeeds_with_counts_reconciled(
    lake: Lake, first_run: tuple[Upload, dict[str, Any]]
) -> None:
    upload, item = first_run
    conformed = lake.table(schemas.conformed_table(DATASET))
    quarantine = lake.table(schemas.quarantine_table(DATASET))
    metrics = lake.table(schemas.purpose_built_table(DATASET, "daily_zone_metrics"))

    ((conformed_rows, conformed_amount),) = lake.query(f"SELECT count(*), sum(total_amount) FROM {conformed}")
    ((quarantined_rows,),) = lake.query(f"SELECT count(*) FROM {quarantine}")
    ((trips, metrics_amount),) = lake.query(f"SELECT sum(trips), sum(total_amount) FROM {metrics}")

    assert item[Attr.STATUS.value] == Status.SUCCEEDED, item
    assert [entry["status"] for entry in item[Attr.HISTORY.value]] == ["RECEIVED", "RUNNING", "SUCCEEDED"]
    assert item[Attr.ROWS_READ.value] == ROWS
    assert item[Attr.ROWS_QUARANTINED.value] > 0
    assert item[Attr.ROWS_CONFORMED.value] + item[Attr.ROWS_QUARANTINED.value] == ROWS
    assert conformed_rows == item[Attr.ROWS_CONFORMED.value]
    assert quarantined_rows == item[Attr.ROWS_QUARANTINED.value]
    assert trips == conformed_rows
    assert float(metrics_amount) == pytest.approx(float(conformed_amount), abs=0.01)
    (notification,) = lake.notifications_about(upload)
    assert notification["message"]["status"] == Status.SUCCEEDED
    assert notification["message"][Attr.ROWS_READ.value] == ROWS


def test_the_same_event_delivered_twice_starts_one_execution(
    lake: Lake, first_run: tuple[Upload, dict[str, Any]]
) -> None:
    upload, item = first_run
    assert lake.env.lambdas is not None
    (source,) = lake.env.lambdas.event_sources
    handled_before = sum(batch.deleted for batch in source.history)
    detail = {
        "bucket": {"name": upload.bucket},
        "object": {"key": upload.key, "size": upload.size_bytes, "version-id": upload.version_id},
    }
    lake.env.aws.client("events").put_events(
        Entries=[{"Source": "aws.s3", "DetailType": "Object Created", "Detail": json.dumps(detail)}]
    )
    deadline = time.monotonic() + 20
    while sum(batch.deleted for batch in source.history) == handled_before:
        assert time.monotonic() < deadline, "the duplicate event never reached the trigger handler"
        time.sleep(0.1)

    executions = [
        execution
        for execution in lake.flow.executions()
        if execution["name"] == item[Attr.EXECUTION_NAME.value]
    ]
    assert len(executions) == 1
    assert lake.flow.audit_item(upload) == item


def test_reuploading_the_same_file_leaves_the_output_unchanged(
    lake: Lake, first_run: tuple[Upload, dict[str, Any]], generated_file: Path
) -> None:
    upload, _ = first_run
    before = _outputs(lake)

    again = lake.flow.upload(upload.key, generated_file.read_bytes())
    item = lake.settle(again)
    after = _outputs(lake)

    assert again.object_id != upload.object_id  # a new object version: a new run
    assert item[Attr.STATUS.value] == Status.SUCCEEDED, item
    assert after == before
    assert all(before.values())


def test_an_object_with_an_unknown_dataset_is_rejected_and_notified(lake: Lake) -> None:
    upload = lake.flow.upload(lake.flow.key_for("limousine_tripdata", "limousine_2021-01.csv"), b"a,b\n1,2\n")
    item = lake.settle(upload)

    assert item[Attr.STATUS.value] == Status.REJECTED
    assert "unknown dataset 'limousine_tripdata'" in item[Attr.REASON.value]
    assert Attr.EXECUTION_NAME.value not in item
    (notification,) = lake.notifications_about(upload)
    assert "REJECTED" in json.dumps(notification)


def test_a_file_the_job_cannot_read_ends_failed_with_the_cause_and_a_failure_notification(lake: Lake) -> None:
    upload = lake.flow.upload(lake.flow.key_for(DATASET, "corrupt_2021-03.parquet"), b"this is not parquet")
    item = lake.settle(upload)

    assert item[Attr.STATUS.value] == Status.FAILED, item
    assert item[Attr.FAILED_STATE.value] == "RawToConformed"
    assert item[Attr.CAUSE.value]
    runs = lake.flow.job_runs(item[Attr.EXECUTION_NAME.value])
    assert [state for _, state, _ in runs] == ["FAILED"]
    (error,) = [error for _, _, error in runs]
    assert error and error[:60] in item[Attr.CAUSE.value]
    (notification,) = lake.notifications_about(upload)
    assert notification["message"]["status"] == Status.FAILED
    assert notification["message"]["failed_state"] == "RawToConformed"
