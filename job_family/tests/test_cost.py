"""The cost estimate: Glue's billing rule, the families' configured capacity, and the published table."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from job_family import cost
from job_family.settings import ExecutionClass, GlueJobSettings, WorkerType, parse_settings

OPERATIONS = cost.REPOSITORY_ROOT / "docs" / "operations.md"


def _job(worker_type: str, workers: int) -> GlueJobSettings:
    return GlueJobSettings(worker_type=WorkerType(worker_type), worker_count=workers)


def test_a_run_is_billed_per_second_with_a_one_minute_minimum() -> None:
    assert cost.billed_seconds(0.4) == 60
    assert cost.billed_seconds(59.9) == 60
    assert cost.billed_seconds(60.2) == 61
    assert cost.billed_seconds(125) == 125


def test_dpu_hours_multiply_workers_dpu_per_worker_and_billed_time() -> None:
    jobs = {"first": _job("G.2X", 10), "second": _job("G.1X", 5)}

    hours = cost.run_dpu_hours(jobs, {"first": 360.0, "second": 10.0})

    # 20 DPU x 6 minutes + 5 DPU x the 1-minute minimum
    assert hours == Decimal(20 * 360 + 5 * 60) / 3600
    with pytest.raises(KeyError, match="no run time for step"):
        cost.run_dpu_hours(jobs, {"first": 1.0})


def test_flex_and_standard_differ_only_by_the_price_per_dpu_hour() -> None:
    settings = parse_settings({"environments": {"dev": {"jobs": {"first": {"worker_count": 2}}}}})
    workload = cost.Workload("probe", "1 file", (({"first": 3600.0}, Decimal(1)),), "a test")

    estimate = cost.estimate(workload, settings, "dev")

    assert estimate.dpu_hours == 2
    assert estimate.cost(ExecutionClass.STANDARD) == Decimal("0.88")
    assert estimate.cost(ExecutionClass.FLEX) == Decimal("0.58")
    assert estimate.configured == ExecutionClass.STANDARD


def test_a_month_of_a_family_is_its_runs_times_the_cost_of_one(tmp_path: Path) -> None:
    benchmark = json.loads(cost.BENCHMARK.read_text(encoding="utf-8"))
    by_label = {(w.family, w.label): w for w in cost.workloads(benchmark)}

    daily = by_label[("us_legislators", "a month of daily deliveries")]
    one = by_label[("us_legislators", "1 delivery")]
    month = by_label[
        ("nyc_taxi", next(label for f, label in by_label if label.startswith("a month") and f == "nyc_taxi"))
    ]

    assert daily.run_count == 30 and one.run_count == 1
    assert daily.runs[0][0] == one.runs[0][0]
    assert month.run_count == 2  # one yellow and one green file


def test_the_step_times_are_the_benchmark_local_measurements() -> None:
    benchmark = json.loads(cost.BENCHMARK.read_text(encoding="utf-8"))
    [record] = [
        r
        for r in benchmark["records"]
        if r["engine"] == "ours" and r["rows"] == 5_000_000 and r["format"] == "csv"
    ]
    assert cost.measured_step_seconds(benchmark, 5_000_000) == {
        "raw_to_conformed": record["raw_to_conformed"]["wall_s"],
        "conformed_to_purpose_built": record["conformed_to_purpose_built"]["wall_s"],
    }
    with pytest.raises(LookupError, match="run `make bench`"):
        cost.measured_step_seconds(benchmark, 7)


def test_the_table_covers_every_family_and_priced_environment_with_its_configured_class() -> None:
    text = cost.table()

    for family in ("nyc_taxi", "us_legislators"):
        assert f"**{family}**" in text
    assert "| dev (FLEX) |" in text and "| prod (STANDARD) |" in text
    assert "| local (" not in text
    assert "$0.44" in text and "$0.29" in text and cost.PRICES_AS_OF in text


def test_settings_file_name_is_the_app_s() -> None:
    from job_family.app import SETTINGS_FILE

    assert cost.SETTINGS_FILE == SETTINGS_FILE


def test_docs_operations_shows_what_the_command_prints_today() -> None:
    assert cost.table() in OPERATIONS.read_text(encoding="utf-8"), (
        "docs/operations.md 'What a run costs' is stale: paste the output of `python -m job_family.cost`"
    )
