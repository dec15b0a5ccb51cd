"""bench's own logic (not its figures): sizes, the baseline's lake, ratios and target verdicts, the table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import _ratios, targets
from bench.cases import LAKE_DELIVERIES, fill_lake, parse_sizes


def test_sizes_read_as_counts_or_with_k_and_m() -> None:
    assert parse_sizes("100k, 1M,5m") == (100_000, 1_000_000, 5_000_000)
    with pytest.raises(SystemExit, match="use row counts like 100000,1000000 or 100k,1M"):
        parse_sizes("lots")


def test_the_lake_holds_one_delivery_per_month_under_earlier_ingestion_dates(tmp_path: Path) -> None:
    newest = tmp_path / "run" / "conformed" / "yellow_taxi_trip_record" / "year=2026" / "month=02" / "day=30"
    newest.mkdir(parents=True)
    (newest / "part-0.parquet").write_bytes(b"rows")
    fill_lake(tmp_path / "run", tmp_path / "lake")
    table = tmp_path / "lake" / "raw_to_conformed" / "conformed" / "yellow_taxi_trip_record"
    days = sorted(str(p.relative_to(table)) for p in table.glob("year=*/month=*/day=*"))
    assert len(days) == LAKE_DELIVERIES
    assert days[0] == "year=2025/month=03/day=28" and days[-1] == "year=2026/month=02/day=30"
    assert all((table / day / "part-0.parquet").read_bytes() == b"rows" for day in days)
    assert (newest / "part-0.parquet").exists()  # the first run's own output is left as it was


def _record(engine: str, walls: tuple[float, float], lake_pb: float | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {"engine": engine, "rows": 1_000_000, "format": "csv", "ratios": {}}
    record["raw_to_conformed"] = {"wall_s": walls[0]}
    record["conformed_to_purpose_built"] = {"wall_s": walls[1]}
    record["total"] = {"wall_s": sum(walls)}
    if lake_pb is not None:
        record["lake"] = {
            "conformed_to_purpose_built": {"wall_s": lake_pb},
            "total": {"wall_s": walls[0] + lake_pb},
        }
    return record


def test_ratios_and_verdicts_follow_the_issue_targets() -> None:
    ours, baseline, duckdb = (
        _record("ours", (8, 2)),
        _record("baseline", (40, 10), lake_pb=60),
        _record("duckdb", (1, 0.25)),
    )
    records = [ours, baseline, duckdb]
    _ratios(records)
    assert ours["ratios"]["total"] == {
        "ours_over_baseline": 0.2,
        "ours_over_duckdb": 8.0,
        "ours_over_baseline_lake": 0.1,
    }
    verdicts = {(v["target"].split("(")[-1], v["met"]) for v in targets(records)}
    assert verdicts == {
        ("first delivery)", True),
        (f"delivery {LAKE_DELIVERIES}, a year in the lake)", True),
        ("ours within 8x of DuckDB", True),
    }
    duckdb["total"]["wall_s"] = 1.2
    _ratios(records)
    assert [v["met"] for v in targets(records) if "DuckDB" in v["target"]] == [False]
