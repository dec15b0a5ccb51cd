"""Do the engines agree? Row counts (conformed, quarantined) and sum(total_amount), read back with DuckDB."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from bench.cases import DATASET


@dataclass(frozen=True)
class Totals:
    engine: str
    rows: int
    file_format: str
    conformed: int
    quarantined: int | None
    total_amount: str
    purpose_built_trips: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    return row[0] if row else None


def _glob(folder: Path) -> str | None:
    return f"'{folder}/**/*.parquet'" if any(folder.rglob("*.parquet")) else None


def purpose_built_trips(pb_out: Path) -> int:
    """Trips counted by the baseline's purpose-built table (the seed's `count` column)."""
    purpose = _glob(pb_out / "purpose_built" / "yellow_taxi_trip_record")
    if not purpose:
        return 0
    return int(
        _scalar(
            duckdb.connect(), f"SELECT sum(count) FROM read_parquet({purpose}, hive_partitioning = false)"
        )
        or 0
    )


def totals(engine: str, rows: int, file_format: str, raw_out: Path, pb_out: Path) -> Totals:
    con = duckdb.connect()
    if engine == "baseline":  # the seed keeps every row, untyped rules: no quarantine
        conformed = _glob(raw_out / "conformed" / "yellow_taxi_trip_record")
        purpose = _glob(pb_out / "purpose_built" / "yellow_taxi_trip_record")
        trips_column = "count"
    else:
        conformed = _glob(raw_out / "conformed" / DATASET)
        purpose = _glob(pb_out / "purpose_built" / f"{DATASET}_daily_zone_metrics")
        trips_column = "trips"
    quarantine = _glob(raw_out / "quarantine" / DATASET)
    source = f"read_parquet({conformed}, hive_partitioning = false)" if conformed else None
    count = _scalar(con, f"SELECT count(*) FROM {source}") if source else 0
    amount = (
        _scalar(con, f"SELECT CAST(sum(TRY_CAST(total_amount AS DECIMAL(18, 2))) AS VARCHAR) FROM {source}")
        if source
        else "0"
    )
    quarantined = (
        (
            _scalar(con, f"SELECT count(*) FROM read_parquet({quarantine}, hive_partitioning = false)")
            if quarantine
            else 0
        )
        if engine != "baseline"
        else None
    )
    trips = (
        _scalar(con, f"SELECT sum({trips_column}) FROM read_parquet({purpose}, hive_partitioning = false)")
        if purpose
        else None
    )
    return Totals(
        engine,
        rows,
        file_format,
        int(count),
        quarantined,
        str(Decimal(amount or 0)),
        int(trips) if trips else None,
    )


def agreement(results: list[Totals]) -> list[dict[str, Any]]:
    """Per size and format: do ours and DuckDB match exactly, and does the baseline see every row?"""
    checks = []
    keys = sorted({(t.rows, t.file_format) for t in results})
    for rows, file_format in keys:
        by_engine = {t.engine: t for t in results if (t.rows, t.file_format) == (rows, file_format)}
        ours, duck, base = by_engine.get("ours"), by_engine.get("duckdb"), by_engine.get("baseline")
        check: dict[str, Any] = {"rows": rows, "format": file_format}
        if ours and duck:
            check["ours_equals_duckdb"] = (
                ours.conformed,
                ours.quarantined,
                ours.total_amount,
                ours.purpose_built_trips,
            ) == (duck.conformed, duck.quarantined, duck.total_amount, duck.purpose_built_trips)
            check["reconciled"] = ours.conformed + (ours.quarantined or 0) == rows
        if base:
            check["baseline_rows"] = base.conformed
        checks.append(check)
    return checks
