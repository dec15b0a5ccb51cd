"""Faults converge, end to end on the embedded local AWS (the real trigger, state machine and Glue scripts):

- a raw_to_conformed run killed in the middle of writing leaves the readers of the tables (the Glue
  catalog's partitions, as Athena reads them) with the file's previous complete state or none of it,
  never a half; uploading the file again yields exactly the tables of one clean run of it, with nothing
  left under any staging prefix;
- a backfill of twelve monthly files uploaded at once: every file SUCCEEDED and processed once, the
  Glue jobs' concurrent-run limit (MaxConcurrentRuns, which moto enforces as Glue does) hit on the way
  and retried by the state machine.

The kill is "kill the run's process" (`GlueJobRunner.processes`): the local Glue run's Python process,
as a lost driver or a stopped job is on Glue; the local runner then stops the run's Spark JVM too.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from nyc_taxi.steps import sample_data, schemas

from job_family.audit.runtime.item import Attr, Status
from job_family.testing.contracts.e2e import LocalFamily
from local_aws.flow import Upload

pytestmark = pytest.mark.e2e

DATASET = "yellow_tripdata"
LINEAGE = {"run_id", "source_file"}
STAGING_MARKS = ("_staging_", "/_temporary", ".spark-staging", "/_in_flight/")


def _file(folder: Path, *, month: str, rows: int, seed: int, name: str = "") -> Path:
    path = sample_data.write(
        folder, rows=rows, dataset=DATASET, file_format="csv", month=month, dirty=0.1, seed=seed
    )
    return path.rename(path.with_name(name)) if name else path


def _objects(lake: LocalFamily, bucket: str, prefix: str = "") -> dict[str, str]:
    """key -> ETag of every object under a prefix."""
    s3 = lake.env.aws.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {entry["Key"]: entry["ETag"] for page in pages for entry in page.get("Contents", [])}


def _conformed_bucket(lake: LocalFamily) -> str:
    location = lake.flow.catalog_table(schemas.conformed_table(DATASET).name).location
    return location.removeprefix("s3://").split("/", 1)[0]


def catalog_rows(
    lake: LocalFamily, table: str, source_key: str, scratch: Path
) -> list[tuple[Any, ...]] | None:
    """What a catalog reader (Athena) sees of one file in a table: the rows under the table's registered
    partitions of that `source_key` (without lineage columns), sorted; None when it has no partition."""
    import duckdb

    glue, s3 = lake.env.aws.client("glue"), lake.env.aws.client("s3")
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName=lake.flow.database, TableName=table)
    partitions = [p for page in pages for p in page["Partitions"] if p["Values"][-1] == source_key]
    if not partitions:
        return None
    files = []
    for number, partition in enumerate(partitions):
        bucket, _, prefix = partition["StorageDescriptor"]["Location"].removeprefix("s3://").partition("/")
        for key in _objects(lake, bucket, prefix.rstrip("/") + "/"):
            if key.endswith(".parquet"):
                target = scratch / table / str(number) / key.rsplit("/", 1)[-1]
                target.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, key, str(target))
                files.append(target.as_posix())
    if not files:
        return []
    relation = duckdb.read_parquet(files, union_by_name=True)
    columns = [c for c in relation.columns if c not in LINEAGE]
    return sorted(relation.select(", ".join(f'"{c}"' for c in columns)).fetchall(), key=repr)


def tables_of(lake: LocalFamily, source_key: str, scratch: Path) -> dict[str, list[tuple[Any, ...]] | None]:
    return {
        table: catalog_rows(lake, table, source_key, scratch)
        for table in (schemas.conformed_table(DATASET).name, schemas.quarantine_table(DATASET).name)
    }


def leftovers(lake: LocalFamily) -> list[str]:
    """Objects under any staging prefix, in any of the family's buckets, but for the empty directory
    objects the s3a file system keeps for a folder it emptied (`<folder>/`, 0 bytes) when their name
    holds no source's."""
    s3 = lake.env.aws.client("s3")
    found = []
    for bucket in {_conformed_bucket(lake), lake.flow.purpose_built_bucket}:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                key = entry["Key"]
                if not any(mark in f"/{key}" for mark in STAGING_MARKS):
                    continue
                folder = key.endswith("/") and entry["Size"] == 0
                if not folder or DATASET in key.rsplit("/_in_flight/", 1)[-1]:
                    found.append(f"{bucket}/{key}")
    return sorted(found)


def _kill_while_writing(lake: LocalFamily, upload: Upload, timeout_s: float = 600) -> dict[str, Any]:
    """Wait for the upload's raw_to_conformed run to start writing its staging folder, kill its process;
    what was seen when it was killed."""
    deadline = time.monotonic() + timeout_s
    conformed = _conformed_bucket(lake)
    while time.monotonic() < deadline:
        item = lake.flow.audit_item(upload) or {}
        execution = item.get(Attr.EXECUTION_NAME.value)
        records = [
            record
            for record in lake.env.glue.runs
            if execution
            and record.arguments.get("--run_id") == execution
            and lake.flow.job_names.get(record.job_name, "").endswith("RawToConformed")
        ]
        process = lake.env.glue.processes.get(records[-1].run_id) if records else None
        if process is not None:
            staged = [
                key
                for key in _objects(lake, conformed, f"{lake.flow.family}/_reports/{execution}/")
                if "_staging_raw_to_conformed/" in key
            ]
            if staged:
                process.kill()
                return {"execution": execution, "run_id": records[-1].run_id, "staged_objects": len(staged)}
        time.sleep(0.05)
    raise AssertionError(f"the raw_to_conformed run of {upload.key} never started writing")


def test_a_run_killed_while_writing_leaves_the_previous_state_and_reprocessing_converges(
    lake: LocalFamily, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "yellow_tripdata_2021-05.csv"
    key = lake.flow.key_for(DATASET, name)
    # the file's first version, settled: the previous complete state
    first = _file(tmp_path / "v1", month="2021-05", rows=2_000, seed=11, name=name)
    (item,) = lake.settle(lake.flow.upload(key, first.read_bytes()))
    assert item[Attr.STATUS.value] == Status.SUCCEEDED, item
    before = tables_of(lake, name, tmp_path / "before")
    conformed_objects = _objects(lake, _conformed_bucket(lake), f"{lake.flow.family}/conformed/")
    assert all(rows for rows in before.values())

    # a corrected, larger version: its run is killed while it writes
    second = _file(tmp_path / "v2", month="2021-05", rows=60_000, seed=12, name=name)
    upload = lake.flow.upload(key, second.read_bytes())
    killed = _kill_while_writing(lake, upload)
    (item,) = lake.settle(upload)
    after_kill = tables_of(lake, name, tmp_path / "after_kill")

    assert item[Attr.STATUS.value] == Status.FAILED, item
    assert item[Attr.FAILED_STATE.value] == lake.spec.first_step.construct_id
    for table, rows in after_kill.items():
        assert rows in (before[table], None), f"{table}: a reader sees a half of the file"
    if after_kill == before:  # killed before publishing: not one object of the tables changed
        assert _objects(lake, _conformed_bucket(lake), f"{lake.flow.family}/conformed/") == conformed_objects
    left_by_the_kill = leftovers(lake)

    # re-processing: the same bytes again (a new object version is a new run), and one clean run of
    # them under another name to compare with
    again = lake.flow.upload(key, second.read_bytes())
    twin_name = "yellow_tripdata_2021-05-twin.csv"
    twin = lake.flow.upload(lake.flow.key_for(DATASET, twin_name), second.read_bytes())
    items = lake.settle(again, twin)
    assert [i[Attr.STATUS.value] for i in items] == [Status.SUCCEEDED, Status.SUCCEEDED], items
    after = tables_of(lake, name, tmp_path / "after")
    clean = tables_of(lake, twin_name, tmp_path / "clean")

    assert after == clean
    conformed_rows, quarantined_rows = (len(rows or []) for rows in after.values())
    assert conformed_rows == items[0][Attr.ROWS_CONFORMED.value]
    assert quarantined_rows == items[0][Attr.ROWS_QUARANTINED.value]
    assert conformed_rows + quarantined_rows == 60_000 == items[0][Attr.ROWS_READ.value]
    assert leftovers(lake) == []
    figures = {
        "killed": killed,
        "left_by_the_kill": len(left_by_the_kill),
        "rows_before": {t: len(r or []) for t, r in before.items()},
        "rows_after_kill": {t: None if r is None else len(r) for t, r in after_kill.items()},
        "rows_after_reprocess": {t: len(r or []) for t, r in after.items()},
    }
    with capsys.disabled():
        print("\nkill and reprocess: " + json.dumps(figures))


MONTHS = [f"2021-{month:02d}" for month in range(1, 13)]


def _concurrent_run_retries(lake: LocalFamily, execution_arn: str) -> int:
    sfn = lake.env.aws.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return sum(
        "ConcurrentRunsExceeded" in json.dumps(event, default=str)
        for event in events
        if "Failed" in event["type"]
    )


def test_a_backfill_of_twelve_monthly_files_succeeds_each_processed_once(
    lake: LocalFamily, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {month: _file(tmp_path, month=month, rows=300, seed=100 + i) for i, month in enumerate(MONTHS)}
    executions_before = {e["executionArn"] for e in lake.flow.executions()}
    uploads = [
        lake.flow.upload(lake.flow.key_for(DATASET, path.name), path.read_bytes()) for path in files.values()
    ]
    items = lake.settle(*uploads)

    not_succeeded = {  # what failed, first: the whole items are long
        item[Attr.KEY.value]: {
            a: item.get(a) for a in (Attr.STATUS, Attr.FAILED_STATE, Attr.ERROR, Attr.CAUSE, Attr.REASON)
        }
        for item in items
        if item[Attr.STATUS.value] != Status.SUCCEEDED
    }
    assert not not_succeeded, not_succeeded
    assert [item[Attr.STATUS.value] for item in items] == [Status.SUCCEEDED] * 12, items
    executions = [e for e in lake.flow.executions() if e["executionArn"] not in executions_before]
    assert len(executions) == 12 == len({item[Attr.EXECUTION_NAME.value] for item in items})
    retries = 0
    for item in items:
        runs = lake.flow.job_runs(item[Attr.EXECUTION_NAME.value])
        assert [state for _, state, _ in runs] == ["SUCCEEDED", "SUCCEEDED"], runs  # each step ran once
        arn = next(e["executionArn"] for e in executions if e["name"] == item[Attr.EXECUTION_NAME.value])
        retries += _concurrent_run_retries(lake, arn)
    assert retries > 0, "the backfill never met Glue's concurrent-run limit"
    rows = 0
    for path, item in zip(files.values(), items, strict=True):
        assert item[Attr.ROWS_READ.value] == 300
        tables = tables_of(lake, path.name, tmp_path / "read" / path.stem)
        conformed, quarantined = (len(found or []) for found in tables.values())
        assert (conformed, quarantined) == (
            item[Attr.ROWS_CONFORMED.value],
            item[Attr.ROWS_QUARANTINED.value],
        )
        rows += conformed + quarantined
    assert rows == 12 * 300
    assert leftovers(lake) == []
    figures = {"executions_started": len(executions), "glue_concurrent_run_retries": retries, "rows": rows}
    with capsys.disabled():
        print("\nbackfill: " + json.dumps(figures))
