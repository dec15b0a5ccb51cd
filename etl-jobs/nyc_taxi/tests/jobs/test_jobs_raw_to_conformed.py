"""raw_to_conformed on files: CSV, gzip, Parquet, the run report, re-processing, a second file."""

from __future__ import annotations

import csv
import gzip
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from nyc_taxi.steps import raw_to_conformed
from pyspark.sql import SparkSession
from pyspark.sql import functions as F  # noqa: N812

from .conftest import VALID_YELLOW, raw_rows

pytestmark = pytest.mark.spark

PU, DO = "tpep_pickup_datetime", "tpep_dropoff_datetime"
DECEMBER_EVE = {PU: "2020-12-31 23:30:00", DO: "2020-12-31 23:45:00"}


def write_csv(path: Path, *overrides: dict[str, str | None], gz: bool = False) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(VALID_YELLOW)
    opener: Any = gzip.open if gz else open
    with opener(path, "wt", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for override in overrides:
            writer.writerow({**VALID_YELLOW, **override})
    return str(path)


def run(spark: SparkSession, out: Path, source: str, run_id: str = "run-1", **kwargs: Any) -> dict[str, Any]:
    return raw_to_conformed.run(
        spark,
        source_path=source,
        dataset="yellow_tripdata",
        run_id=run_id,
        conformed_path=str(out / "conformed"),
        quarantine_path=str(out / "quarantine"),
        report_path=str(out / "_reports"),
        database=kwargs.pop("database", ""),
        **kwargs,
    )


def conformed(spark: SparkSession, out: Path) -> list[Any]:
    return spark.read.parquet(str(out / "conformed" / "yellow_tripdata")).collect()


def test_csv_run_writes_conformed_quarantine_and_report(spark: SparkSession, tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "raw" / "yellow_tripdata" / "yellow_tripdata_2021-01.csv",
        {}, {"trip_distance": "-2"}, {PU: "soon"}, {},
    )  # fmt: skip
    report = run(spark, tmp_path / "out", source)
    assert (report["rows_read"], report["rows_conformed"], report["rows_quarantined"]) == (4, 2, 2)
    assert report["rows_read"] == report["rows_conformed"] + report["rows_quarantined"]
    assert report["rows_written"] == 2
    assert report["quarantined_by_rule"] == {"negative_distance": 1, "unparseable_pickup_datetime": 1}
    assert report["partitions"] == [{"pickup_year": 2021, "pickup_month": 1}]
    assert report["file_month"] == "2021-01"
    assert set(report["durations_s"]) >= {"read_and_classify", "write_conformed", "total"}
    written = json.loads((tmp_path / "out/_reports/run-1/raw_to_conformed.json").read_text())
    assert {k: v for k, v in written.items() if k != "durations_s"} == {
        k: v for k, v in report.items() if k != "durations_s"
    }
    assert len(conformed(spark, tmp_path / "out")) == 2
    quarantine = spark.read.parquet(str(tmp_path / "out/quarantine/yellow_tripdata")).collect()
    assert sorted(r["broken_rules"][0] for r in quarantine) == [
        "negative_distance",
        "unparseable_pickup_datetime",
    ]
    assert {r["source_key"] for r in quarantine} == {"yellow_tripdata_2021-01.csv"}


def test_gzip_csv_reads_like_plain_csv(spark: SparkSession, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "yellow_tripdata_2021-01.csv.gz", {}, {"fare_amount": "-1"}, gz=True)
    report = run(spark, tmp_path / "out", source)
    assert (report["format"], report["rows_conformed"], report["rows_quarantined"]) == ("csv", 1, 1)


def test_parquet_with_tlc_types_and_capitalised_airport_fee(spark: SparkSession, tmp_path: Path) -> None:
    text = raw_rows(spark, "yellow_tripdata", {}, {"PULocationID": "300"})
    typed = text.select(
        F.col("VendorID").cast("long"),
        F.col(PU).cast("timestamp"),
        F.col(DO).cast("timestamp"),
        F.col("passenger_count").cast("double"),
        F.col("trip_distance").cast("double"),
        F.col("RatecodeID").cast("double"),
        "store_and_fwd_flag",
        F.col("PULocationID").cast("int"),
        F.col("DOLocationID").cast("int"),
        F.col("payment_type").cast("long"),
        *[F.col(c).cast("double") for c in ("fare_amount", "extra", "mta_tax", "tip_amount", "tolls_amount")],
        *[F.col(c).cast("double") for c in ("improvement_surcharge", "total_amount", "congestion_surcharge")],
        F.col("airport_fee").cast("double").alias("Airport_fee"),
    )
    source = str(tmp_path / "yellow_tripdata_2021-01.parquet")
    typed.coalesce(1).write.parquet(source)
    report = run(spark, tmp_path / "out", source)
    assert (report["format"], report["rows_conformed"], report["rows_quarantined"]) == ("parquet", 1, 1)
    assert report["quarantined_by_rule"] == {"pickup_zone_out_of_range": 1}
    assert report["extra_columns"] == []
    row = conformed(spark, tmp_path / "out")[0]
    assert row["passenger_count"] == 1 and str(row["fare_amount"]) == "10.50"


def test_reprocessing_a_file_replaces_its_rows_without_duplicates(
    spark: SparkSession, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "yellow_tripdata_2021-01.csv", {}, {}, {"fare_amount": "-3"})
    first = run(spark, tmp_path / "out", source, run_id="first")
    second = run(spark, tmp_path / "out", source, run_id="second")
    rows = conformed(spark, tmp_path / "out")
    assert len(rows) == 2 == first["rows_conformed"] == second["rows_conformed"]
    assert {r["run_id"] for r in rows} == {"second"}
    assert spark.read.parquet(str(tmp_path / "out/quarantine/yellow_tripdata")).count() == 1


def test_a_second_file_in_the_same_month_never_deletes_the_first(spark: SparkSession, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "yellow_tripdata_2021-01.csv", {}, {})
    second = write_csv(tmp_path / "yellow_tripdata_2021-01-late.csv", {}, {}, {})
    run(spark, tmp_path / "out", first, run_id="a")
    run(spark, tmp_path / "out", second, run_id="b")
    run(spark, tmp_path / "out", first, run_id="a2")  # and re-processing the first keeps the second
    by_key: dict[str, int] = {}
    for row in conformed(spark, tmp_path / "out"):
        by_key[row["source_key"]] = by_key.get(row["source_key"], 0) + 1
    assert by_key == {"yellow_tripdata_2021-01.csv": 2, "yellow_tripdata_2021-01-late.csv": 3}


def test_reprocessing_a_corrected_file_removes_months_and_quarantine_it_no_longer_has(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "yellow_tripdata_2021-01.csv"
    write_csv(path, {}, DECEMBER_EVE, {"trip_distance": "-1"})
    first = run(spark, tmp_path / "out", str(path), run_id="v1")
    assert first["partitions"] == [
        {"pickup_year": 2020, "pickup_month": 12},
        {"pickup_year": 2021, "pickup_month": 1},
    ]
    write_csv(path, {}, {})
    second = run(spark, tmp_path / "out", str(path), run_id="v2")
    assert second["partitions_removed"] == [{"pickup_year": 2020, "pickup_month": 12}]
    # the purpose-built job must recompute the emptied month too
    assert second["partitions"] == first["partitions"]
    assert [(r["pickup_year"], r["pickup_month"]) for r in conformed(spark, tmp_path / "out")] == [
        (2021, 1)
    ] * 2
    assert not (tmp_path / "out/quarantine/yellow_tripdata/source_key=yellow_tripdata_2021-01.csv").exists()


def test_a_file_with_only_invalid_rows_writes_only_quarantine(spark: SparkSession, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "yellow_tripdata_2021-01.csv", {PU: None}, {"DOLocationID": "0"})
    report = run(spark, tmp_path / "out", source)
    assert (report["rows_conformed"], report["rows_quarantined"], report["partitions"]) == (0, 2, [])


def test_without_a_database_catalog_upkeep_is_skipped_and_logged(
    spark: SparkSession, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def no_aws() -> Any:
        raise AssertionError("a run without a database must not build a Glue client")

    source = write_csv(tmp_path / "yellow_tripdata_2021-01.csv", {})
    with caplog.at_level(logging.INFO, logger="job_family.glue.runtime.catalog"):
        report = run(spark, tmp_path / "out", source, glue_factory=no_aws)
    assert report["catalog"] == {"skipped": True, "reason": "no database given", "tables": []}
    assert "catalog upkeep skipped: no database given" in caplog.text


def test_unsupported_file_type_is_refused_before_reading(spark: SparkSession, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"name it \*\.csv, \*\.csv\.gz or \*\.parquet"):
        run(spark, tmp_path / "out", str(tmp_path / "yellow_tripdata_2021-01.xlsx"))


def _run_folder(out: Path) -> list[str]:
    return sorted(p.name for p in (out / "_reports" / "run-1").iterdir() if not p.name.endswith(".crc"))


def test_the_staged_copy_is_removed_when_the_run_ends(spark: SparkSession, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "raw" / "yellow_tripdata" / "yellow_tripdata_2021-01.csv", {}, {PU: "x"})
    run(spark, tmp_path / "out", source)
    assert _run_folder(tmp_path / "out") == ["raw_to_conformed.json"]


def test_counts_that_do_not_reconcile_write_nothing_and_remove_the_staged_copy(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nyc_taxi.steps import conform

    real_observe = conform.observe_counts

    def one_row_short(classified: Any, rules: tuple[str, ...]) -> tuple[Any, Any]:
        observed, counts = real_observe(classified, rules)

        def short() -> conform.Counts:
            real = counts()
            return conform.Counts(
                real.rows_classified, real.rows_conformed - 1, real.rows_quarantined,
                real.quarantined_by_rule, real.partitions,
            )  # fmt: skip

        return observed, short

    monkeypatch.setattr(conform, "observe_counts", one_row_short)
    source = write_csv(tmp_path / "raw" / "yellow_tripdata" / "yellow_tripdata_2021-01.csv", {}, {})
    with pytest.raises(raw_to_conformed.ReconciliationError, match="read 2 rows but classified 1 conformed"):
        run(spark, tmp_path / "out", source)
    assert not (tmp_path / "out" / "conformed").exists()
    assert not (tmp_path / "out" / "quarantine").exists()
    assert _run_folder(tmp_path / "out") == []


def test_csv_header_is_read_by_name_bom_gzip_and_quoted_names_included(
    spark: SparkSession, tmp_path: Path
) -> None:
    from job_family.glue.runtime import storage

    plain = tmp_path / "bom.csv"
    plain.write_text(
        '\ufeffVendorID, tpep_pickup_datetime ,"a,b"\n1,2021-01-01 00:00:00,x\n', encoding="utf-8"
    )
    with storage.reading(spark, str(plain)) as source:
        assert [c.name for c in source.columns] == ["VendorID", " tpep_pickup_datetime ", "a,b"]
        assert source.physical_schema()[2] == {"name": "a,b", "type": "text"}
        assert source.details["byte_order_mark"] is True
        assert source.frame.collect()[0][source.columns[2].field] == "x"
    packed = Path(write_csv(tmp_path / "yellow_tripdata_2021-01.csv.gz", {}, gz=True))
    with storage.reading(spark, str(packed)) as source:
        assert [c.name for c in source.columns] == list(VALID_YELLOW)
        assert source.details["compression"] == "gzip"


def test_csv_names_that_repeat_are_one_column_and_an_empty_file_is_unreadable(
    spark: SparkSession, tmp_path: Path
) -> None:
    from job_family.glue.runtime import storage

    empty = tmp_path / "raw" / "yellow_tripdata" / "yellow_tripdata_2021-01.csv"
    empty.parent.mkdir(parents=True)
    empty.write_text("")
    with pytest.raises(
        storage.UnreadableInputError, match=r"yellow_tripdata_2021-01\.csv is empty \(0 bytes\)"
    ):
        run(spark, tmp_path / "out", str(empty))
    source = write_csv(tmp_path / "raw" / "yellow_tripdata" / "yellow_tripdata_2021-02.csv", {})
    Path(source).write_text(Path(source).read_text().replace("RatecodeID", "vendorid", 1))
    # VendorID and vendorid name one column; the file then lacks RatecodeID
    with pytest.raises(
        storage.UnreadableInputError, match=r"lacks required column\(s\) RatecodeID of yellow"
    ):
        run(spark, tmp_path / "out", source)


def test_a_csv_larger_than_a_split_is_read_split_unless_a_quoted_value_spans_lines(
    spark: SparkSession, tmp_path: Path
) -> None:
    """Quoted line breaks need whole-file parsing (one task); a plain file larger than a split is read
    split, line by line, when a scan finds no line with an odd number of quotes."""
    from job_family.glue.runtime import job_runtime, storage

    rows = [{}, {"trip_distance": "-2"}, *[{} for _ in range(30)]]
    plain = Path(write_csv(tmp_path / "plain" / "yellow_tripdata_2021-01.csv", *rows))
    plain.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes().replace(b"\n", b"\r\n"))
    quoted = Path(
        write_csv(
            tmp_path / "quoted" / "yellow_tripdata_2021-01.csv", *rows[:-1], {"store_and_fwd_flag": "N\nN"}
        )
    )
    with job_runtime.session_conf(spark, {"spark.sql.files.maxPartitionBytes": "1000"}):
        with storage.reading(spark, str(plain)) as source:
            assert source.details["multiline"] is False
            assert source.frame.rdd.getNumPartitions() > 1
        report = run(spark, tmp_path / "out_plain", str(plain))
        assert (report["rows_read"], report["rows_conformed"], report["rows_quarantined"]) == (32, 31, 1)
        assert report["file"]["multiline"] is False and report["file"]["byte_order_mark"] is True
        with storage.reading(spark, str(quoted)) as source:
            assert source.details["multiline"] is True
        report = run(spark, tmp_path / "out_quoted", str(quoted))
        assert (report["rows_read"], report["rows_conformed"]) == (32, 31)


def test_a_run_of_a_file_removes_what_a_killed_run_of_it_left_in_its_staging_folder(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run killed before its end leaves its staging folder and its in-flight mark; the tables were not
    touched. The next run of the same file removes both; a run of another file leaves them alone."""
    from job_family.glue.runtime import arguments, storage

    source = write_csv(tmp_path / "raw" / "yellow_tripdata" / "yellow_tripdata_2021-01.csv", {}, {PU: "x"})
    other = write_csv(tmp_path / "raw" / "yellow_tripdata" / "yellow_tripdata_2021-02.csv", {})
    run(spark, tmp_path / "out", source, run_id="clean")
    before = sorted(map(str, conformed(spark, tmp_path / "out")))

    def killed(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyboardInterrupt("the run's process is killed while it publishes")

    monkeypatch.setattr(storage, "replace_partitions", killed)
    with pytest.raises(KeyboardInterrupt):
        run(spark, tmp_path / "out", source, run_id="killed")
    monkeypatch.undo()
    reports = tmp_path / "out" / "_reports"
    # what a process killed at that point leaves (its `finally` never runs): staged data and its mark
    staged = reports / "killed" / "_staging_raw_to_conformed" / "conformed"
    staged.mkdir(parents=True)
    (staged / "part-0.parquet").write_bytes(b"half")
    marks = Path(arguments.in_flight_folder(str(reports), "raw_to_conformed"))
    mark = marks / arguments.in_flight_mark("yellow_tripdata_2021-01.csv", "killed")
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.write_text("")
    assert sorted(map(str, conformed(spark, tmp_path / "out"))) == before  # the tables were not touched

    run(spark, tmp_path / "out", other, run_id="other")
    assert staged.exists() and mark.exists()  # another file's run leaves them alone
    run(spark, tmp_path / "out", source, run_id="again")
    assert not (reports / "killed" / "_staging_raw_to_conformed").exists()
    assert not mark.exists()
    leftovers = [
        p for p in reports.rglob("*") if p.is_file() and ("_staging_" in str(p) or "_in_flight" in str(p))
    ]
    assert leftovers == []
    rows = conformed(spark, tmp_path / "out")
    assert sorted(r["run_id"] for r in rows if r["source_key"] == "yellow_tripdata_2021-01.csv") == ["again"]
