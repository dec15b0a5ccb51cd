"""The operator commands end to end on the embedded local AWS, against nyc_taxi (the family under test;
`ops` itself imports none): pause / upload / resume processes each file once; reprocess of three keys
(one of 200 characters) with a concurrency limit of one succeeds for all, never two at a time; erase
leaves no row of the erased file in any table and the purpose-built figures of its month as they were
when only the other file of that month was in the lake.

One deployed environment for the module, small files (each Glue run starts a Spark JVM: ~13 runs here).
The commands run through `ops.__main__.main` with `--endpoint-url` (and once as `python -m ops` in a
subprocess), reading the stack's outputs with `describe-stacks` as in AWS: local_aws deploys without
CloudFormation, so the fixture publishes the deployed stack's outputs as a CloudFormation stack first.
`OPS_E2E_ASSEMBLIES=<dir>` reuses cloud assemblies synthesized for `local` (`<dir>/infrastructure`,
`<dir>/nyc_taxi`) instead of synthesizing both apps.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from nyc_taxi.steps import sample_data

from job_family import naming, registry
from job_family.audit.runtime.item import Attr
from local_aws.demo import ENVIRONMENT, INFRASTRUCTURE_APP, synth_all
from local_aws.environment import LocalEnvironment, local_environment
from local_aws.flow import CatalogTable, DeployedFlow, Upload
from ops.__main__ import main
from ops.audit import history_executions
from ops.names import is_valid_name
from ops.tests.world import publish_outputs
from shared_config import load_config

pytestmark = pytest.mark.e2e

FAMILY = "nyc_taxi"
DATASET = "yellow_tripdata"
ROOT = Path(__file__).resolve().parents[3]
METRICS = "yellow_tripdata_daily_zone_metrics"
SETTLE_S = 2400  # the local Glue runs one job at a time; on a loaded machine a run takes minutes


@dataclass
class Lake:
    env: LocalEnvironment
    flow: DeployedFlow
    scratch: Path
    printed: list[str] = field(default_factory=list)

    def ops(self, action: str, *arguments: str) -> int:
        """`python -m ops <action> --family nyc_taxi --env local ...` in-process, at the embedded AWS."""
        argv = ["--endpoint-url", self.env.aws.endpoint_url, action, "--family", FAMILY, "--env", ENVIRONMENT]
        return main([*argv, *arguments], session=self.env.aws.session, say=self.printed.append)

    def output(self) -> str:
        text, self.printed[:] = "\n".join(self.printed), []
        return text

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.flow.run_query(sql, self.scratch / "query")[1]

    def settle(self, *uploads: Upload) -> list[dict[str, Any]]:
        items = self.flow.wait_until_settled(list(uploads), timeout_s=SETTLE_S)
        return [items[upload.object_id] for upload in uploads]


def _assemblies(base: Path) -> list[Path]:
    given = os.environ.get("OPS_E2E_ASSEMBLIES")
    root = Path(given) if given else base / "ops-assemblies"
    apps = {"infrastructure": INFRASTRUCTURE_APP, FAMILY: registry.app_root(FAMILY)}
    synth_all(
        {
            name: (app, root / name)
            for name, app in apps.items()
            if not (root / name / "manifest.json").is_file()
        }
    )
    return [root / name for name in apps]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lake]:
    settings = load_config()
    assert settings.local is not None
    built = _assemblies(tmp_path_factory.getbasetemp())
    work = tmp_path_factory.mktemp("ops_e2e")
    with local_environment(
        work_dir=work / "run", account_id=settings.local.account, region=settings.local.region
    ) as env:
        env.deploy(*built)
        stack_name = naming.stack_name(settings.prefix, ENVIRONMENT, FAMILY)
        flow = DeployedFlow.discover(env, stack_name=stack_name)
        publish_outputs(env.aws.client("cloudformation"), stack_name, flow.outputs)
        env.start_event_sources(interval_s=0.1)
        yield Lake(env, flow, work)


@dataclass(frozen=True)
class Files:
    other: Path  # B: March, stays
    long: Path  # C: April, uploaded under a 200-character key
    erased: Path  # A: March, erased at the end
    long_key: str


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    def write(name: str, month: str, seed: int, dirty: float) -> Path:
        folder = tmp_path_factory.mktemp(name)
        written: Path = sample_data.write(
            folder, rows=60, dataset=DATASET, file_format="csv", month=month, dirty=dirty, seed=seed
        )
        return written.rename(folder / f"{DATASET}_{month}_{name}.csv")

    prefix = f"{FAMILY}/{DATASET}/{DATASET}_2021-04_"
    long_key = prefix + "x" * (200 - len(prefix) - len(".csv")) + ".csv"
    return Files(
        other=write("other", "2021-03", 11, 0.1),
        long=write("long", "2021-04", 12, 0.1),
        erased=write("erased", "2021-03", 13, 0.25),
        long_key=long_key,
    )


def _upload(lake: Lake, path: Path, key: str | None = None) -> Upload:
    return lake.flow.upload(key or lake.flow.key_for(DATASET, path.name), path.read_bytes())


def _metrics_of_march(lake: Lake) -> list[tuple[Any, ...]]:
    return lake.query(
        f'SELECT * FROM "{lake.flow.database}"."{METRICS}" WHERE pickup_year = 2021 AND pickup_month = 3 ORDER BY ALL'
    )


@dataclass
class Paused:
    while_paused: dict[str, Any]
    uploads: dict[str, Upload]  # other, long, erased
    first_items: dict[str, dict[str, Any]]
    executions_after_resume: list[dict[str, Any]]
    march_with_other_only: list[tuple[Any, ...]]
    status_text: str
    cli_status: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def paused(lake: Lake, files: Files) -> Paused:
    """Pause, upload B and C, look, resume, settle; then record March's figures (B alone) and add A."""
    started = time.monotonic()
    assert lake.ops("pause") == 0
    lake.output()
    other, long = _upload(lake, files.other), _upload(lake, files.long, files.long_key)
    time.sleep(3)  # ~30 polls, had the poller not been paused
    sqs = lake.env.aws.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=lake.flow.outputs["IngestionQueueUrl"], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    while_paused = {
        "items": [lake.flow.audit_item(upload) for upload in (other, long)],
        "waiting": int(attributes["ApproximateNumberOfMessages"]),
        "executions": len(lake.flow.executions()),
    }
    assert lake.ops("status") == 0
    status_text = lake.output()
    cli_status = subprocess.run(
        [
            sys.executable,
            "-m",
            "ops",
            "--endpoint-url",
            lake.env.aws.endpoint_url,
            "status",
            "--family",
            FAMILY,
            "--env",
            ENVIRONMENT,
        ],
        cwd=ROOT,
        env={**os.environ, **lake.env.aws.environment()},
        capture_output=True,
        text=True,
        check=False,
    )
    assert lake.ops("resume") == 0
    first = dict(zip(("other", "long"), lake.settle(other, long), strict=True))
    executions = lake.flow.executions()
    march = _metrics_of_march(lake)
    erased = _upload(lake, files.erased)
    (first["erased"],) = lake.settle(erased)
    print(f"\npause, 2 uploads, resume, settle; then 1 more upload: {time.monotonic() - started:.0f} s")
    print(f"while paused: {while_paused}; after resume: {len(executions)} executions")
    print(status_text)
    return Paused(
        while_paused,
        {"other": other, "long": long, "erased": erased},
        first,
        executions,
        march,
        status_text,
        cli_status,
    )


def test_paused_arrivals_wait_in_the_queue_and_after_resume_each_is_processed_once(paused: Paused) -> None:
    assert paused.while_paused == {"items": [None, None], "waiting": 2, "executions": 0}
    assert "ingestion    PAUSED" in paused.status_text and "queue        2 waiting" in paused.status_text
    assert paused.cli_status.returncode == 0, paused.cli_status.stderr
    assert "ingestion    PAUSED" in paused.cli_status.stdout
    for name in ("other", "long"):
        item = paused.first_items[name]
        assert item[Attr.STATUS.value] == "SUCCEEDED", item
        assert [entry["status"] for entry in item[Attr.HISTORY.value]] == ["RECEIVED", "RUNNING", "SUCCEEDED"]
    names = sorted(execution["name"] for execution in paused.executions_after_resume)
    assert names == sorted(paused.first_items[name][Attr.EXECUTION_NAME.value] for name in ("other", "long"))


@dataclass
class Reprocessed:
    code: int
    text: str
    items: dict[str, dict[str, Any]]
    executions: list[dict[str, Any]]
    seconds: float


@pytest.fixture(scope="module")
def reprocessed(lake: Lake, paused: Paused) -> Reprocessed:
    started = time.monotonic()
    uploads = paused.uploads
    keys = ",".join(uploads[name].key for name in ("erased", "other", "long"))
    code = lake.ops(
        "reprocess", "--keys", keys, "--max-concurrent", "1", "--poll-s", "0.5", "--interval-s", "0"
    )
    text = lake.output()
    items = dict(
        zip(
            ("erased", "other", "long"),
            lake.settle(*(uploads[n] for n in ("erased", "other", "long"))),
            strict=True,
        )
    )
    names = {item[Attr.EXECUTION_NAME.value] for item in items.values()}
    executions = [e for e in lake.flow.executions() if e["name"] in names]
    seconds = time.monotonic() - started
    print(f"\nreprocess of 3 keys, one at a time, settled: {seconds:.0f} s")
    print(text)
    return Reprocessed(code, text, items, executions, seconds)


def test_reprocess_of_three_keys_one_at_a_time_succeeds_for_all_under_valid_new_names(
    reprocessed: Reprocessed, paused: Paused
) -> None:
    assert reprocessed.code == 0, reprocessed.text
    assert "at most 1 running at a time" in reprocessed.text
    assert len(paused.uploads["long"].key) == 200
    for name, item in reprocessed.items.items():
        assert item[Attr.STATUS.value] == "SUCCEEDED", (name, item)
        execution = item[Attr.EXECUTION_NAME.value]
        assert is_valid_name(execution) and execution.endswith("-r1"), execution
        assert execution != paused.first_items[name][Attr.EXECUTION_NAME.value]
        history = item[Attr.HISTORY.value]
        assert [entry["status"] for entry in history[-3:]] == ["RECEIVED", "RUNNING", "SUCCEEDED"]
        assert history[-3]["reprocessed_at"] == item["reprocessed_at"]
    runs = sorted(reprocessed.executions, key=lambda execution: execution["startDate"])
    assert [run["status"] for run in runs] == ["SUCCEEDED"] * 3
    for before, after in itertools.pairwise(runs):
        assert after["startDate"] >= before["stopDate"], "two reprocess runs overlapped"


@dataclass
class Erased:
    refused: int
    plan: str
    code: int
    text: str
    item: dict[str, Any]
    seconds: float
    rows_before: dict[str, int]  # table -> rows of the erased file before the erase
    rows_after: dict[str, int]
    march_with_it: list[tuple[Any, ...]]


def _sourced_tables(lake: Lake) -> list[CatalogTable]:
    """The tables keyed by the source file (nyc_taxi: each dataset's conformed and quarantine table)."""
    return [table for table in lake.flow.tables() if "source_key" in table.partition_keys]


def _rows_of(lake: Lake, source_key: str) -> dict[str, int]:
    """Rows of one source file in every table keyed by it, counted by query (DuckDB; 0 for an empty table)."""
    counts: dict[str, int] = {}
    for table in _sourced_tables(lake):
        counts[table.name] = 0
        if lake.flow.has_data(table):
            sql = (
                f'SELECT count(*) FROM "{table.database}"."{table.name}" WHERE source_key = \'{source_key}\''
            )
            counts[table.name] = int(lake.query(sql)[0][0])
    return counts


@pytest.fixture(scope="module")
def erased(lake: Lake, paused: Paused, reprocessed: Reprocessed, files: Files) -> Erased:
    key = paused.uploads["erased"].key
    rows_before = _rows_of(lake, files.erased.name)
    march_with_it = _metrics_of_march(lake)
    refused = lake.ops("erase", "--key", key)
    plan = lake.output()
    started = time.monotonic()
    code = lake.ops("erase", "--key", key, "--confirm", "--poll-s", "0.5")
    text = lake.output()
    seconds = time.monotonic() - started
    rows_after = _rows_of(lake, files.erased.name)
    print(
        f"\nerase with one recompute: {seconds:.0f} s; rows of the file before {rows_before}, after {rows_after}"
    )
    print(text)
    item = lake.flow.audit_item(paused.uploads["erased"])
    assert item is not None
    return Erased(refused, plan, code, text, item, seconds, rows_before, rows_after, march_with_it)


def test_erase_leaves_no_row_of_the_file_and_the_month_as_if_it_never_came(
    lake: Lake, erased: Erased, paused: Paused, files: Files
) -> None:
    assert erased.refused == 2 and "would erase" in erased.plan and "would recompute" in erased.plan
    assert erased.code == 0, erased.text
    source_key = files.erased.name
    s3, glue = lake.env.aws.client("s3"), lake.env.aws.client("glue")
    sourced = _sourced_tables(lake)
    assert {f"{DATASET}", f"{DATASET}_quarantine"} <= {table.name for table in sourced}
    # the file had rows in both (a quarter of its rows are dirty); none are left anywhere
    assert erased.rows_before[DATASET] > 0 and erased.rows_before[f"{DATASET}_quarantine"] > 0
    assert erased.rows_after == dict.fromkeys(erased.rows_before, 0)
    for table in sourced:
        bucket, _, prefix = table.location.removeprefix("s3://").partition("/")
        listed = s3.list_object_versions(Bucket=bucket, Prefix=prefix)
        keys = [v["Key"] for v in [*listed.get("Versions", []), *listed.get("DeleteMarkers", [])]]
        assert not [key for key in keys if f"source_key={source_key}/" in key], table.name
        found = glue.get_partitions(
            DatabaseName=table.database, TableName=table.name, Expression=f"source_key = '{source_key}'"
        )
        assert found["Partitions"] == [], table.name
    # March's figures: they counted the file, and now equal those of a lake that only had the other file
    after = _metrics_of_march(lake)
    assert erased.march_with_it != paused.march_with_other_only
    assert len(after) == len(paused.march_with_other_only) > 0
    for row, expected in zip(after, paused.march_with_other_only, strict=True):
        assert [pytest.approx(v) if isinstance(v, float) else v for v in row] == list(expected)
    # no version that counted it is left: neither the month's replaced files nor their staged copies
    metrics = next(table for table in lake.flow.tables() if table.name == METRICS)
    bucket, _, prefix = metrics.location.removeprefix("s3://").partition("/")
    listed = s3.list_object_versions(Bucket=bucket, Prefix=prefix)
    march = "/pickup_year=2021/pickup_month=3/"
    assert [v["Key"] for v in listed.get("Versions", []) if march in v["Key"] and not v["IsLatest"]] == []
    assert [v["Key"] for v in listed.get("DeleteMarkers", []) if march in v["Key"]] == []
    raw = s3.list_object_versions(Bucket=lake.flow.raw_bucket, Prefix=paused.uploads["erased"].key)
    assert "Versions" not in raw and "DeleteMarkers" not in raw
    reports = s3.list_objects_v2(
        Bucket=lake.flow.outputs["ConformedBucketName"], Prefix=f"{FAMILY}/_reports/"
    )
    left = {entry["Key"].split("/")[2] for entry in reports.get("Contents", [])}
    runs = set(history_executions(erased.item))
    assert runs and not runs & left and not any(run.startswith("erase-") for run in left)
    assert erased.item[Attr.STATUS.value] == "ERASED" and erased.item["erased_by"]
    assert erased.item["erased_at"] and erased.item[Attr.HISTORY.value][-1]["status"] == "ERASED"
    # the other files are untouched
    for name in ("other", "long"):
        item = lake.flow.audit_item(paused.uploads[name])
        assert item is not None and item[Attr.STATUS.value] == "SUCCEEDED", name
