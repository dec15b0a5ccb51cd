"""The erase plan, from facts shaped like nyc_taxi's (per object) and us_legislators' (per delivery)."""

from __future__ import annotations

from typing import Any

from ops.deployed import CatalogTable, GlueTask
from ops.erasure import (
    EraseFacts,
    Run,
    Version,
    describe,
    escape_partition_value,
    noncurrent,
    partition_folder,
    plan,
)

CONFORMED = "s3://conformed/nyc_taxi/conformed/yellow_tripdata/"
QUARANTINE = "s3://conformed/nyc_taxi/quarantine/yellow_tripdata/"
GREEN = "s3://conformed/nyc_taxi/conformed/green_tripdata/"
METRICS = "s3://purpose-built/nyc_taxi/yellow_tripdata_daily_zone_metrics/"
TABLES = [
    CatalogTable("green_tripdata_conformed", GREEN, ("pickup_year", "pickup_month", "source_key")),
    CatalogTable("yellow_tripdata_conformed", CONFORMED, ("pickup_year", "pickup_month", "source_key")),
    CatalogTable("yellow_tripdata_daily_zone_metrics", METRICS, ("pickup_year", "pickup_month")),
    CatalogTable("yellow_tripdata_quarantine", QUARANTINE, ("source_key",)),
]
TASKS = [
    GlueTask(
        "RawToConformed",
        "raw-job",
        {"--source_path.$": "$.source_path", "--dataset.$": "$.dataset", "--run_id.$": "$$.Execution.Name"},
    ),
    GlueTask(
        "ConformedToPurposeBuilt", "pb-job", {"--dataset.$": "$.dataset", "--run_id.$": "$$.Execution.Name"}
    ),
]
KEY = "nyc_taxi/yellow_tripdata/trips_2021-03.csv"


def _version(uri: str, version: str = "v1", *, latest: bool = True, marker: bool = False) -> Version:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return Version(bucket, key, version, latest, "2026-11-29T10:00:00.000Z", marker)


def _run(run_id: str, months: list[dict[str, int]]) -> Run:
    reports: dict[str, dict[str, Any]] = {
        "raw_to_conformed": {
            "step": "raw_to_conformed",
            "run_id": run_id,
            "dataset": "yellow_tripdata",
            "source_path": f"s3://raw/{KEY}",
            "source_key": "trips_2021-03.csv",
            "partitions": months,
            "outputs": {"conformed": CONFORMED, "quarantine": QUARANTINE},
        },
        "conformed_to_purpose_built": {
            "step": "conformed_to_purpose_built",
            "run_id": run_id,
            "dataset": "yellow_tripdata",
            "partitions": months,
            "outputs": {"daily_zone_metrics": METRICS},
        },
    }
    prefix = f"s3://conformed/nyc_taxi/_reports/{run_id}/"
    return Run(run_id, reports, (_version(prefix + "raw_to_conformed.json"), _version(prefix + "x.json")))


def _item(**extra: Any) -> dict[str, Any]:
    return {
        "object_id": f"s3://raw/{KEY}#v1",
        "bucket": "raw",
        "key": KEY,
        "version_id": "v1",
        "dataset": "yellow_tripdata",
        "file_format": "csv",
        "status": "SUCCEEDED",
        "updated_at": "2026-11-29T10:00:00.000Z",
        "received_at": "2026-11-29T09:00:00.000Z",
        "execution_name": "yellow_tripdata-trips_2021-03-0123456789abcdef-r1",
        "history": [
            {"status": "RECEIVED", "at": "1"},
            {"status": "RECEIVED", "execution_name": "yellow_tripdata-trips_2021-03-0123456789abcdef-r1"},
        ],
        **extra,
    }


def _facts(**overrides: Any) -> EraseFacts:
    march = {"pickup_year": 2021, "pickup_month": 3}
    april = {"pickup_year": 2021, "pickup_month": 4}
    conformed_march = f"{CONFORMED}pickup_year=2021/pickup_month=3/source_key=trips_2021-03.csv/"
    conformed_april = f"{CONFORMED}pickup_year=2021/pickup_month=4/source_key=trips_2021-03.csv/"
    quarantine = f"{QUARANTINE}source_key=trips_2021-03.csv/"
    facts = EraseFacts(
        subject=KEY,
        raw_bucket="raw",
        reports_prefix="s3://conformed/nyc_taxi/_reports/",
        raw_versions=[_version(f"s3://raw/{KEY}", "v1", latest=False), _version(f"s3://raw/{KEY}", "v2")],
        items=[_item()],
        runs=[
            _run("yellow_tripdata-trips_2021-03-0123456789abcdef", [march]),
            _run("yellow_tripdata-trips_2021-03-0123456789abcdef-r1", [march, april]),
        ],
        tables=TABLES,
        glue_tasks=TASKS,
        catalog_partitions={
            "yellow_tripdata_conformed": [(("2021", "3", "trips_2021-03.csv"), conformed_march)],
            "yellow_tripdata_quarantine": [(("trips_2021-03.csv",), quarantine)],
        },
        folder_versions={
            conformed_march: [_version(conformed_march + "part-0.parquet")],
            # on S3 but no longer in the catalog: found from the reports' months
            conformed_april: [_version(conformed_april + "part-0.parquet")],
            quarantine: [_version(quarantine + "part-0.parquet")],
        },
    )
    for name, value in overrides.items():
        setattr(facts, name, value)
    return facts


def test_it_deletes_the_source_partitions_from_the_catalog_and_those_only_on_s3() -> None:
    erase = plan(_facts(), recompute_run_id="erase-x")

    folders = {
        (p.table, p.folder.removeprefix(CONFORMED).removeprefix(QUARANTINE), p.values)
        for p in erase.partitions
    }
    assert folders == {
        (
            "yellow_tripdata_conformed",
            "pickup_year=2021/pickup_month=3/source_key=trips_2021-03.csv/",
            ("2021", "3", "trips_2021-03.csv"),
        ),
        ("yellow_tripdata_conformed", "pickup_year=2021/pickup_month=4/source_key=trips_2021-03.csv/", None),
        ("yellow_tripdata_quarantine", "source_key=trips_2021-03.csv/", ("trips_2021-03.csv",)),
    }
    assert not any(p.table.startswith("green") for p in erase.partitions)
    assert erase.blockers == []


def test_it_recomputes_the_purpose_built_months_every_run_touched_as_the_state_machine_runs_the_step() -> (
    None
):
    erase = plan(_facts(), recompute_run_id="erase-x")

    assert erase.recompute is not None
    assert [task.state for task in erase.recompute.tasks] == ["ConformedToPurposeBuilt"]
    assert erase.recompute.arguments == ({"--dataset": "yellow_tripdata", "--run_id": "erase-x"},)
    upstream = erase.recompute.reports["raw_to_conformed"]
    assert upstream["partitions"] == [
        {"pickup_month": 3, "pickup_year": 2021},
        {"pickup_month": 4, "pickup_year": 2021},
    ]
    assert upstream["run_id"] == "erase-x" and upstream["dataset"] == "yellow_tripdata"
    assert erase.recompute.folders == (
        f"{METRICS}pickup_year=2021/pickup_month=3/",
        f"{METRICS}pickup_year=2021/pickup_month=4/",
    )


def test_spark_staging_leftovers_of_its_partitions_go_and_those_of_other_files_stay() -> None:
    staged = f"{CONFORMED}.spark-staging-5e1f/_temporary/0/task_1/pickup_year=2021/pickup_month=3/"
    mine = _version(f"{staged}source_key=trips_2021-03.csv/part-0.parquet", latest=False)
    marker = _version(f"{staged}source_key=trips_2021-03.csv/part-0.parquet", "v2", marker=True)
    other = _version(f"{staged}source_key=trips_2021-03.csv.bak/part-0.parquet", latest=False)
    temporary = _version(f"{QUARANTINE}_temporary/0/source_key=trips_2021-03.csv/part-0.parquet")

    erase = plan(
        _facts(
            staging_versions={
                "yellow_tripdata_conformed": [mine, marker, other],
                "yellow_tripdata_quarantine": [temporary],
            }
        ),
        recompute_run_id="erase-x",
    )

    assert erase.leftovers == [mine, marker, temporary]
    assert erase.recompute is not None
    assert (f"{METRICS}.spark-staging-", "pickup_year=2021/pickup_month=4/") in erase.recompute.staging
    assert (f"{METRICS}_temporary/", "pickup_year=2021/pickup_month=3/") in erase.recompute.staging
    assert "write leftovers (Spark staging) holding its rows below those tables (3 object versions)" in (
        "\n".join(describe(erase, done=False))
    )


def test_it_removes_every_run_folder_and_marks_every_item() -> None:
    erase = plan(_facts(), recompute_run_id="erase-x")

    assert [run.run_id for run in erase.runs] == [
        "yellow_tripdata-trips_2021-03-0123456789abcdef",
        "yellow_tripdata-trips_2021-03-0123456789abcdef-r1",
    ]
    assert [v.version_id for v in erase.raw_versions] == ["v1", "v2"]
    assert [item["object_id"] for item in erase.items] == [f"s3://raw/{KEY}#v1"]
    assert not erase.nothing_left


def test_a_running_run_blocks_the_erase() -> None:
    erase = plan(_facts(running=["yellow_tripdata-trips-r2"]), recompute_run_id="erase-x")

    assert erase.blockers == [
        "its run yellow_tripdata-trips-r2 is RUNNING; wait for it to end (make status), or make pause first"
    ]


def test_a_run_without_report_is_named_in_a_warning() -> None:
    item = _item(history=[{"status": "RECEIVED", "execution_name": "lost-run"}])

    erase = plan(_facts(items=[item]), recompute_run_id="erase-x")

    assert any("run lost-run left no report" in warning for warning in erase.warnings)


def test_an_erased_source_leaves_nothing_to_do() -> None:
    erased = _item(status="ERASED")

    erase = plan(
        _facts(raw_versions=[], items=[erased], runs=[], catalog_partitions={}, folder_versions={}),
        recompute_run_id="erase-x",
    )

    assert erase.nothing_left and erase.recompute is None


def test_a_delivery_keyed_everywhere_by_its_id_is_deleted_without_recompute() -> None:
    tables = [
        CatalogTable("persons", "s3://c/us/conformed/persons/", ("delivery_id",)),
        CatalogTable("memberships", "s3://p/us/memberships/", ("delivery_id",)),
    ]
    reports: dict[str, dict[str, Any]] = {
        "conform_delivery": {"step": "conform_delivery", "delivery_id": "d1", "partitions": [{"delivery_id": "d1"}],
                             "outputs": {"persons": "s3://c/us/conformed/persons/"}},
        "build_memberships": {"step": "build_memberships", "delivery_id": "d1",
                              "outputs": {"memberships": "s3://p/us/memberships"}},
    }  # fmt: skip
    tasks = [GlueTask("ConformDelivery", "j1", {}), GlueTask("BuildMemberships", "j2", {})]
    facts = EraseFacts(
        subject="us/deliveries/d1/",
        raw_bucket="raw",
        reports_prefix="s3://c/us/_reports/",
        raw_versions=[],
        items=[],
        runs=[Run("delivery-d1-0123456789abcdef", reports, ())],
        tables=tables,
        glue_tasks=tasks,
        folder_versions={
            "s3://c/us/conformed/persons/delivery_id=d1/": [
                _version("s3://c/us/conformed/persons/delivery_id=d1/a")
            ],
            "s3://p/us/memberships/delivery_id=d1/": [_version("s3://p/us/memberships/delivery_id=d1/a")],
        },
    )

    erase = plan(facts, recompute_run_id="erase-x")

    assert erase.recompute is None
    assert sorted(p.table for p in erase.partitions) == ["memberships", "persons"]


def test_only_current_objects_survive_the_purge_of_a_recomputed_partition() -> None:
    versions = [
        _version("s3://p/t/a.parquet", "old", latest=False),
        _version("s3://p/t/a.parquet", "new"),
        _version("s3://p/t/b.parquet", "gone", latest=False),
        _version("s3://p/t/b.parquet", "marker", marker=True),
    ]

    dropped = {(v.key, v.version_id) for v in noncurrent(versions)}

    assert dropped == {("t/a.parquet", "old"), ("t/b.parquet", "gone"), ("t/b.parquet", "marker")}


def test_partition_folders_escape_values_as_hive_does() -> None:
    table = CatalogTable("t", "s3://b/t/", ("source_key",))

    assert escape_partition_value("a b:c=d/e%") == "a b%3Ac%3Dd%2Fe%25"
    assert partition_folder(table, {"source_key": "x:y"}) == "s3://b/t/source_key=x%3Ay/"
    assert partition_folder(table, {"other": "1"}) is None


def test_the_plan_says_what_it_would_delete() -> None:
    lines = "\n".join(describe(plan(_facts(), recompute_run_id="erase-x"), done=False))

    assert "raw object versions (2), would delete:" in lines
    assert "table partitions holding its rows (3), would delete:" in lines
    assert "would recompute without it, as run erase-x: ConformedToPurposeBuilt (job pb-job)" in lines
    assert "audit items to mark ERASED (kept as the record) (1):" in lines
