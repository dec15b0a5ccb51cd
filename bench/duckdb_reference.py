"""The single-machine reference: the same two steps as our Spark jobs, in DuckDB SQL.

raw -> conformed applies the same parsing and the same quality rules as `nyc_taxi.steps.conform`
and `quality` (generated from the same `schemas.raw_columns` and rule constants), and writes the same
layout: conformed Parquet by pickup_year/pickup_month/source_key, quarantine (text + broken_rules) by
source_key. conformed -> purpose-built runs the app's own `rules/*.sql` over the touched months, with
Spark's `unix_timestamp(x)` spelled `epoch(x)`.

    python -m bench.duckdb_reference raw_to_conformed --input <file> --output <dir>
    python -m bench.duckdb_reference conformed_to_purpose_built --input <dir> --output <dir2>
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import duckdb
import nyc_taxi.steps.conform as conform
import nyc_taxi.steps.quality as quality
import nyc_taxi.steps.schemas as schemas

from bench.cases import step_arguments

APP_ROOT = Path(__file__).resolve().parents[1] / "etl-jobs" / "nyc_taxi"
RULES = APP_ROOT / "rules"
ZONES = APP_ROOT / "reference" / "taxi_zone_lookup.csv"
DATASET = "yellow_tripdata"
REPORT = "bench_report.json"
_US_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _parsed(text: str, hive_type: str) -> str:
    if hive_type == schemas.INT:
        d = f"TRY_CAST({text} AS DOUBLE)"
        return (
            f"CASE WHEN {d} IS NOT NULL AND {d} = floor({d}) AND {d} BETWEEN -2147483648 AND 2147483647 "
            f"THEN CAST({d} AS INTEGER) END"
        )
    if hive_type == schemas.DOUBLE:
        d = f"TRY_CAST({text} AS DOUBLE)"
        return f"CASE WHEN isfinite({d}) THEN {d} END"
    if hive_type == schemas.TIMESTAMP:
        fallbacks = ", ".join(f"try_strptime(trim({text}), '{fmt}')" for fmt in _US_FORMATS)
        return f"coalesce(TRY_CAST(trim({text}) AS TIMESTAMP), {fallbacks})"
    if hive_type == schemas.STRING:
        return f"trim({text})"
    return f"TRY_CAST({text} AS {hive_type.upper()})"


def _rules(file_month: quality.FileMonth | None) -> list[tuple[str, str]]:
    """(rule name, SQL true when broken) in `quality.rules_for` order, over `<name>` and `_raw_<name>`."""
    raw = {c.name: _quote(quality.raw_name(c.name)) for c in schemas.raw_columns(DATASET)}

    def missing(name: str) -> str:
        return f"{raw[name]} IS NULL OR trim({raw[name]}) = ''"

    def zone(name: str) -> str:
        return f"{raw[name]} IS NULL OR NOT ({name} BETWEEN {quality.ZONE_ID_MIN} AND {quality.ZONE_ID_MAX})"

    rules = [
        (
            f"unparseable_{c.name}",
            f"{raw[c.name]} IS NOT NULL AND trim({raw[c.name]}) <> '' AND {c.name} IS NULL",
        )
        for c in schemas.raw_columns(DATASET)
        if c.hive_type != schemas.STRING
    ]
    if file_month is None:
        outside = "false"
    else:
        earliest = file_month.start - quality.FILE_MONTH_TOLERANCE
        latest = file_month.end + quality.FILE_MONTH_TOLERANCE
        outside = f"pickup_datetime < TIMESTAMP '{earliest}' OR pickup_datetime >= TIMESTAMP '{latest}'"
    rules += [
        # DuckDB's strict CSV reader refuses a row with more values than the header, and the bench's files
        # hold one spelling of each column: neither row rule can break here
        ("malformed_row", "false"),
        ("conflicting_values", "false"),
        ("pickup_missing", missing("pickup_datetime")),
        ("dropoff_missing", missing("dropoff_datetime")),
        ("dropoff_before_pickup", "dropoff_datetime < pickup_datetime"),
        ("negative_distance", "trip_distance < 0"),
        ("negative_fare", "fare_amount < 0"),
        (
            "passenger_count_out_of_range",
            f"NOT (passenger_count BETWEEN {quality.PASSENGERS_MIN} AND {quality.PASSENGERS_MAX})",
        ),
        ("pickup_zone_out_of_range", zone("pickup_location_id")),
        ("dropoff_zone_out_of_range", zone("dropoff_location_id")),
        ("pickup_outside_file_month", outside),
    ]
    expected = [rule.name for rule in quality.rules_for(DATASET)]
    if [name for name, _ in rules] != expected:
        raise RuntimeError(f"DuckDB rules {[n for n, _ in rules]} drifted from quality.rules_for: {expected}")
    return rules


def _read(source: Path) -> str:
    if source.suffix == ".parquet":
        return f"read_parquet('{source}')"
    return f"read_csv('{source}', header = true, all_varchar = true)"


def raw_to_conformed(con: duckdb.DuckDBPyConnection, source: Path, output: Path) -> dict[str, Any]:
    present = {
        row[0].lower(): row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {_read(source)}").fetchall()
    }
    specs = schemas.raw_columns(DATASET)
    texts = []
    for c in specs:
        column = present.get(c.published.lower())
        value = f"CAST({_quote(column)} AS VARCHAR)" if column else "CAST(NULL AS VARCHAR)"
        texts.append(f"{value} AS {_quote(quality.raw_name(c.name))}")
    parsed = [f"{_parsed(_quote(quality.raw_name(c.name)), c.hive_type)} AS {c.name}" for c in specs]
    rules = _rules(conform.file_month_from_name(str(source)))
    broken = (
        "list_filter(["
        + ", ".join(f"CASE WHEN coalesce(({sql}), false) THEN '{name}' END" for name, sql in rules)
        + "], lambda x: x IS NOT NULL)"
    )
    key = conform.source_key(str(source), dataset=DATASET)
    con.execute(
        f"""CREATE TEMP TABLE classified AS
        SELECT *, {broken} AS broken_rules, year(pickup_datetime) AS pickup_year,
               month(pickup_datetime) AS pickup_month
        FROM (SELECT {", ".join(parsed)}, * FROM (SELECT {", ".join(texts)} FROM {_read(source)}))"""
    )
    lineage = f"'{source}' AS source_file, 'bench' AS run_id"
    conformed = output / "conformed" / DATASET
    quarantine = output / "quarantine" / DATASET
    typed = ", ".join(c.name for c in specs)
    conformed.parent.mkdir(parents=True, exist_ok=True)
    quarantine.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"""COPY (SELECT {typed}, {lineage}, pickup_year, pickup_month, '{key}' AS source_key
        FROM classified WHERE len(broken_rules) = 0)
        TO '{conformed}' (FORMAT parquet, PARTITION_BY (pickup_year, pickup_month, source_key), OVERWRITE_OR_IGNORE)"""
    )
    as_text = ", ".join(f"{_quote(quality.raw_name(c.name))} AS {c.name}" for c in specs)
    con.execute(
        f"""COPY (SELECT {as_text}, broken_rules, {lineage}, '{key}' AS source_key
        FROM classified WHERE len(broken_rules) > 0)
        TO '{quarantine}' (FORMAT parquet, PARTITION_BY (source_key), OVERWRITE_OR_IGNORE)"""
    )
    rows, good, bad = con.execute(
        "SELECT count(*), count(*) FILTER (len(broken_rules) = 0), count(*) FILTER (len(broken_rules) > 0) "
        "FROM classified"
    ).fetchone() or (0, 0, 0)
    months = con.execute(
        "SELECT DISTINCT pickup_year, pickup_month FROM classified WHERE len(broken_rules) = 0 ORDER BY 1, 2"
    ).fetchall()
    return {
        "step": "raw_to_conformed",
        "rows_read": rows,
        "rows_conformed": good,
        "rows_quarantined": bad,
        "partitions": [{"pickup_year": y, "pickup_month": m} for y, m in months],
    }


def conformed_to_purpose_built(
    con: duckdb.DuckDBPyConnection, upstream: Path, output: Path
) -> dict[str, Any]:
    months = json.loads((upstream / REPORT).read_text())["partitions"]
    folders = [
        f"'{upstream}/conformed/{DATASET}/pickup_year={m['pickup_year']}/pickup_month={m['pickup_month']}/*/*.parquet'"
        for m in months
    ]
    con.execute(
        f"CREATE VIEW conformed_trips AS SELECT * FROM read_parquet([{', '.join(folders)}], hive_partitioning = true)"
    )
    con.execute(
        f"""CREATE VIEW taxi_zones AS SELECT CAST(LocationID AS INTEGER) AS location_id, Borough AS borough,
        Zone AS zone, service_zone FROM read_csv('{ZONES}', header = true, all_varchar = true)"""
    )
    rows_by_rule = {}
    for path in sorted(RULES.glob("*.sql")):
        sql = path.read_text().replace("unix_timestamp(", "epoch(")
        target = output / "purpose_built" / f"{DATASET}_{path.stem}"
        target.parent.mkdir(parents=True, exist_ok=True)
        con.execute(f"CREATE TEMP TABLE out_{path.stem} AS {sql}")
        con.execute(
            f"COPY out_{path.stem} TO '{target}' "
            "(FORMAT parquet, PARTITION_BY (pickup_year, pickup_month), OVERWRITE_OR_IGNORE)"
        )
        rows_by_rule[path.stem] = (con.execute(f"SELECT count(*) FROM out_{path.stem}").fetchone() or (0,))[0]
    return {"step": "conformed_to_purpose_built", "rows_by_rule": rows_by_rule, "partitions": months}


def main(argv: list[str] | None = None) -> None:
    args = step_arguments("duckdb_reference", __doc__, argv)
    started = time.monotonic()
    output = args.output.resolve()
    output.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if args.step == "raw_to_conformed":
        report = raw_to_conformed(con, args.input.resolve(), output)
    else:
        report = conformed_to_purpose_built(con, args.input.resolve(), output)
    report["seconds"] = round(time.monotonic() - started, 3)
    (output / REPORT).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
