"""The scripts' argument handling, the local runner's input checks, and the sample-data generator."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from pathlib import Path

import pytest
from nyc_taxi.jobs.runtime import job_runtime, local_run, sample_data
from nyc_taxi.jobs.runtime.arguments import CONFORMED_TO_PURPOSE_BUILT, RAW_TO_CONFORMED
from pyspark.sql import SparkSession

from .test_jobs_raw_to_conformed import run as run_raw


def _argv(names: tuple[str, ...]) -> list[str]:
    return [item for name in names for item in (f"--{name}", f"value-{name}")]


@pytest.mark.parametrize("contract", [RAW_TO_CONFORMED, CONFORMED_TO_PURPOSE_BUILT], ids=lambda c: c.step)
def test_local_arguments_are_exactly_the_contract_and_ignore_glue_extras(contract: object) -> None:
    assert isinstance(contract, type(RAW_TO_CONFORMED))
    argv = [*_argv(contract.names), "--job-bookmark-option", "job-bookmark-disable", "--TempDir", "s3://t/"]
    args = job_runtime.parse_local_args(contract, argv)
    assert {k: v for k, v in args.items() if k != "JOB_NAME"} == {n: f"value-{n}" for n in contract.names}


def test_a_missing_contract_argument_stops_the_script() -> None:
    argv = _argv(tuple(n for n in RAW_TO_CONFORMED.names if n != "source_path"))
    with pytest.raises(SystemExit):
        job_runtime.parse_local_args(RAW_TO_CONFORMED, argv)


def test_an_empty_database_is_a_valid_local_value() -> None:
    argv = [*_argv(tuple(n for n in RAW_TO_CONFORMED.names if n != "database")), "--database", ""]
    assert job_runtime.parse_local_args(RAW_TO_CONFORMED, argv)["database"] == ""


def test_run_job_purpose_built_step_needs_a_raw_to_conformed_output(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="INPUT is the OUTPUT folder of a STEP=raw_to_conformed run"):
        local_run.main(
            ["conformed_to_purpose_built", "--input", str(tmp_path), "--output", str(tmp_path / "o")]
        )


def test_run_job_needs_a_dataset_it_can_tell(tmp_path: Path) -> None:
    trips = tmp_path / "trips.csv"
    trips.write_text("a\n")
    with pytest.raises(SystemExit, match=r"cannot tell the dataset of trips\.csv"):
        local_run.main(["raw_to_conformed", "--input", str(trips), "--output", str(tmp_path / "o")])


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("file_format", ["csv", "csv.gz"])
def test_sample_data_is_deterministic_per_seed(tmp_path: Path, file_format: str) -> None:
    def write(folder: str, seed: int) -> Path:
        return sample_data.write(
            tmp_path / folder, rows=300, dataset="green_tripdata", file_format=file_format, month="2021-02",
            dirty=0.1, seed=seed,
        )  # fmt: skip

    first, again, other = write("a", 7), write("b", 7), write("c", 8)
    assert first.name == f"green_tripdata_2021-02.{file_format}"
    assert _digest(first) == _digest(again) != _digest(other)


def test_sample_data_uses_real_zone_ids_and_the_published_header(tmp_path: Path) -> None:
    path = sample_data.write(
        tmp_path, rows=500, dataset="yellow_tripdata", file_format="csv", month="2021-01", dirty=0, seed=1
    )
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert reader.fieldnames == sample_data.published_columns("yellow_tripdata")
    assert {int(r["PULocationID"]) for r in rows} <= set(sample_data.zone_ids())
    assert len({r["PULocationID"] for r in rows}) > 100


def test_sample_data_refuses_a_dirty_share_outside_0_1() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        list(sample_data.generate(rows=1, dataset="yellow_tripdata", month="2021-01", dirty=5, seed=1))


@pytest.mark.spark
@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_each_generated_defect_is_quarantined_by_its_rule(
    spark: SparkSession, tmp_path: Path, file_format: str
) -> None:
    trips = sample_data.generate(
        rows=400,
        dataset="yellow_tripdata",
        month="2021-01",
        dirty=0.25,
        seed=3,
        text_defects=file_format == "csv",
    )
    made = Counter(rule for _, rule in trips if rule)
    path = sample_data.write(
        tmp_path / "in", rows=400, dataset="yellow_tripdata", file_format=file_format, month="2021-01",
        dirty=0.25, seed=3,
    )  # fmt: skip
    report = run_raw(spark, tmp_path / "out", str(path))
    assert report["quarantined_by_rule"] == dict(sorted(made.items()))
    assert report["rows_quarantined"] == sum(made.values())
    assert report["rows_conformed"] == 400 - sum(made.values())


@pytest.mark.spark
def test_the_script_main_passes_exactly_the_contract_arguments_to_the_job(
    spark: SparkSession, tmp_path: Path
) -> None:
    from nyc_taxi.jobs.runtime import raw_to_conformed
    from nyc_taxi.jobs.runtime.arguments import report_key

    from .conftest import FIXTURES

    values = {
        "conformed_path": str(tmp_path / "conformed"),
        "quarantine_path": str(tmp_path / "quarantine"),
        "report_path": str(tmp_path / "reports"),
        "database": "",
        "source_path": str(FIXTURES / "yellow_tripdata_2021-01_head50.csv"),
        "dataset": "yellow_tripdata",
        "run_id": "run-1",
    }
    assert set(values) == set(RAW_TO_CONFORMED.names)
    argv = [item for name, value in values.items() for item in (f"--{name}", value)]
    report = raw_to_conformed.main([*argv, "--JOB_ID", "j_1", "--TempDir", "s3://ignored/"])
    assert report["run_id"] == "run-1"
    assert report["rows_read"] == 49 == report["rows_conformed"] + report["rows_quarantined"]
    assert Path(report_key(values["report_path"], "run-1", RAW_TO_CONFORMED.step)).exists()
