"""`make run-job`'s warm driver: later runs reuse the JVM, never what an earlier run left in it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from job_family.glue.runtime import local_run

pytestmark = [pytest.mark.spark]

REPOSITORY = Path(__file__).resolve().parents[2]
TRIPS = REPOSITORY / "etl-jobs" / "nyc_taxi" / "tests" / "fixtures" / "yellow_tripdata_2021-01_head50.csv"
SUBMIT_ARGS = local_run.driver_submit_args("1g")
CLIENT = """import json, os, signal, sys
from pathlib import Path
from pyspark.sql import SparkSession
from job_family.glue.runtime import warm_spark

state, submit_args, mode = sys.argv[1:]
with warm_spark.attached(submit_args, state_root=Path(state)) as warm:
    spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
    seen = {
        "warm": warm,
        "application": spark.sparkContext.applicationId,
        "views": sorted(table.name for table in spark.catalog.listTables()),
        "partitions": spark.conf.get("spark.sql.shuffle.partitions"),
    }
    print(json.dumps(seen), flush=True)
    spark.range(3).createOrReplaceTempView("left_behind")
    spark.conf.set("spark.sql.shuffle.partitions", "3")
    if mode == "killed":
        os.kill(os.getpid(), signal.SIGKILL)
"""


def _client(state: Path, mode: str = "ok") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CLIENT, str(state), SUBMIT_ARGS, mode],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPOSITORY,
    )


def _daemon(state_root: Path) -> dict[str, Any]:
    (info,) = [json.loads(path.read_text()) for path in state_root.glob("*/driver.json")]
    return info  # type: ignore[no-any-return]


@pytest.fixture
def state_root(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    for path in tmp_path.glob("*/driver.json"):  # stop the daemons this test started
        pid = int(json.loads(path.read_text())["pid"])
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 60
        while path.exists() and time.monotonic() < deadline:
            time.sleep(0.2)


def test_a_second_run_reuses_the_jvm_with_nothing_of_the_first(state_root: Path) -> None:
    first = _client(state_root)
    daemon = _daemon(state_root)
    second = _client(state_root)

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    before, after = json.loads(first.stdout), json.loads(second.stdout)
    assert before["warm"] and after["warm"]
    assert _daemon(state_root)["pid"] == daemon["pid"]  # the same driver served both
    assert after["application"] != before["application"]  # each run has its own SparkContext
    assert (after["views"], after["partitions"]) == ([], before["partitions"])


def test_a_run_killed_half_way_leaves_a_driver_the_next_run_can_use(state_root: Path) -> None:
    killed = _client(state_root, mode="killed")
    daemon = _daemon(state_root)
    after = _client(state_root)

    assert killed.returncode == -signal.SIGKILL
    assert after.returncode == 0, after.stderr
    assert _daemon(state_root)["pid"] == daemon["pid"]
    assert json.loads(after.stdout)["views"] == []


def test_run_job_on_the_warm_driver_gives_the_tables_of_a_cold_run(state_root: Path, tmp_path: Path) -> None:
    def run_job(output: Path, *warm: str) -> dict[str, Any]:
        command = [
            sys.executable, "-m", "job_family.glue.runtime.local_run", "--family", "nyc_taxi",
            "raw_to_conformed", "--input", str(TRIPS), "--output", str(output), "--run-id", "same",
            "--driver-memory", "1g", *warm,
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPOSITORY / "etl-jobs" / "nyc_taxi")])}
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=REPOSITORY, env=env)
        assert done.returncode == 0, done.stderr[-2000:]
        report: dict[str, Any] = json.loads((output / "run_report.json").read_text())
        return report

    warm_args = ("--warm", "--warm-state", str(state_root))
    cold = run_job(tmp_path / "cold")
    warm = [run_job(tmp_path / f"warm-{n}", *warm_args) for n in range(2)]

    figures = ("rows_read", "rows_conformed", "rows_quarantined", "quarantined_by_rule", "partitions")
    assert [{name: report[name] for name in figures} for report in warm] == [
        {name: cold[name] for name in figures}
    ] * 2
    assert cold["rows_read"] == 49
    assert len(list(state_root.glob("*/driver.json"))) == 1  # both warm runs on one driver
