"""The scripts' argument handling and the local runner's input checks (the sample-data generator:
test_sample_data.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from nyc_taxi.spec import SPEC
from pyspark.sql import SparkSession

from job_family.glue.runtime import job_runtime, local_run

RAW_TO_CONFORMED = SPEC.step("raw_to_conformed")


def _argv(names: tuple[str, ...]) -> list[str]:
    return [item for name in names for item in (f"--{name}", f"value-{name}")]


@pytest.mark.parametrize("contract", SPEC.steps, ids=lambda c: c.name)
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
    with pytest.raises(SystemExit, match="is the OUTPUT folder of a STEP=raw_to_conformed run"):
        local_run.main(
            [
                "--family",
                "nyc_taxi",
                "conformed_to_purpose_built",
                "--input",
                str(tmp_path),
                "--output",
                str(tmp_path / "o"),
            ]
        )


def test_run_job_needs_a_dataset_it_can_tell(tmp_path: Path) -> None:
    trips = tmp_path / "trips.csv"
    trips.write_text("a\n")
    with pytest.raises(SystemExit, match=r"cannot tell the dataset of trips\.csv"):
        local_run.main(
            [
                "--family",
                "nyc_taxi",
                "raw_to_conformed",
                "--input",
                str(trips),
                "--output",
                str(tmp_path / "o"),
            ]
        )


@pytest.mark.spark
def test_the_script_main_passes_exactly_the_contract_arguments_to_the_job(
    spark: SparkSession, tmp_path: Path
) -> None:
    from nyc_taxi.steps import raw_to_conformed

    from job_family.glue.runtime.arguments import report_key

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
    assert Path(report_key(values["report_path"], "run-1", RAW_TO_CONFORMED.name)).exists()
