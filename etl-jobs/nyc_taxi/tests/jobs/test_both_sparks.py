"""Same data, same tables on both Glue runtimes: nyc_taxi's two steps (on the framework's job runtime)
run on Spark 3.5 (Glue 5.1) and on Spark 4.1 (Glue 6.0, where ANSI SQL is on by default) over the same
files, and every table they write is compared row for row, quarantine reasons included. A family can
move from 5.1 to 6.0 by changing `glue_version` and running this."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest
from nyc_taxi.steps import sample_data

from job_family import runtimes

pytestmark = pytest.mark.spark

APP = Path(__file__).resolve().parents[2]
TLC_SAMPLE = APP / "tests" / "fixtures" / "yellow_tripdata_2021-01_head50.csv"
STEPS = ("raw_to_conformed", "conformed_to_purpose_built")


def _run_steps(glue_version: str, source: Path, out: Path) -> dict[str, Any]:
    """Both steps through `make run-job`'s runner, in a process whose `pyspark` is that runtime's."""
    path = [runtimes.python_path(glue_version), str(APP), str(runtimes.REPOSITORY_ROOT)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p), "PYARROW_IGNORE_TIMEZONE": "1"}
    reports = {}
    upstream = source
    for step in STEPS:
        target = out / step
        command = [sys.executable, "-m", "job_family.glue.runtime.local_run", "--family", "nyc_taxi", step,
                   "--input", str(upstream), "--output", str(target), "--run-id", "both-sparks",
                   "--driver-memory", "1g"]  # fmt: skip
        subprocess.run(command, env=env, check=True, capture_output=True, text=True)
        reports[step] = json.loads((target / "run_report.json").read_text())
        upstream = target
    return reports


def _tables(out: Path) -> dict[str, list[tuple[Any, ...]]]:
    folders = {
        "conformed": out / "raw_to_conformed" / "conformed",
        "quarantine": out / "raw_to_conformed" / "quarantine",
        "purpose_built": out / "conformed_to_purpose_built" / "purpose_built",
    }
    return {
        name: []
        if not any(folder.rglob("*.parquet"))
        else duckdb.sql(
            f"SELECT * EXCLUDE (run_id) FROM read_parquet('{folder}/**/*.parquet', hive_partitioning = true, "
            "union_by_name = true) ORDER BY ALL"
            if name != "purpose_built"
            else f"SELECT * FROM read_parquet('{folder}/**/*.parquet', hive_partitioning = true) ORDER BY ALL"
        ).fetchall()
        for name, folder in folders.items()
    }


def test_both_runtimes_write_the_same_tables_and_reports(tmp_path: Path) -> None:
    # generated rows breaking every rule (30 %) beside valid ones, then the real TLC rows
    path = sample_data.write(
        tmp_path / "in",
        rows=2000,
        dataset="yellow_tripdata",
        file_format="csv",
        month="2021-01",
        dirty=0.3,
        seed=5,
    )
    with path.open("a", encoding="utf-8") as trips:
        trips.writelines(TLC_SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[1:])
    spark35 = _run_steps("5.1", path, tmp_path / "glue-5.1")
    spark41 = _run_steps("6.0", path, tmp_path / "glue-6.0")

    assert spark35["raw_to_conformed"]["spark_version"].startswith("3.5")
    assert spark41["raw_to_conformed"]["spark_version"].startswith("4.1")
    for key in ("rows_read", "rows_conformed", "rows_quarantined", "quarantined_by_rule", "partitions"):
        assert spark35["raw_to_conformed"][key] == spark41["raw_to_conformed"][key], key
    assert (
        spark35["conformed_to_purpose_built"]["rows_by_rule"]
        == spark41["conformed_to_purpose_built"]["rows_by_rule"]
    )
    first, second = _tables(tmp_path / "glue-5.1"), _tables(tmp_path / "glue-6.0")
    assert all(first.values()), "every table has rows"
    assert first == second
