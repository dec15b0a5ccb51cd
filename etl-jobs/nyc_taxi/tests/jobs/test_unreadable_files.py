"""A file the job cannot read at all fails cleanly: one line naming the file, the problem and what to do
(the cause the audit item and the failure notification carry: `<ExceptionType>: <message>`, as
local_aws.glue_entry and Glue report it), nothing written to any table, an earlier good run of another
file untouched, the raw object where it was, no staged copy left."""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nyc_taxi.steps import raw_to_conformed
from pyspark.sql import SparkSession

from job_family.glue.runtime import storage
from local_aws.glue_entry import error_message

from . import file_shapes

pytestmark = pytest.mark.spark

DATASET = "yellow_tripdata"


def _csv(table: file_shapes.Table | None = None) -> bytes:
    path = io.BytesIO()
    text = file_shapes._csv_text(table or file_shapes.table(DATASET))
    path.write(text.encode())
    return path.getvalue()


def _parquet(change: Callable[[file_shapes.Table], file_shapes.Table] = lambda t: t, **types: Any) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = change(file_shapes.table(DATASET))
    arrays = []
    for column in table.columns:
        arrow = types.get(column) or file_shapes.arrow_type(table, column, {})
        arrays.append(
            types[column + "_values"]
            if column + "_values" in types
            else file_shapes.arrow_values(table, column, arrow)
        )
    out = io.BytesIO()
    pq.write_table(pa.table(arrays, names=list(table.columns)), out)
    return out.getvalue()


def _time_pickup() -> bytes:
    import datetime as dt

    import pyarrow as pa

    count = len(file_shapes.table(DATASET).rows)
    return _parquet(tpep_pickup_datetime_values=pa.array([dt.time(0, 30)] * count, pa.time64("us")))


def _struct_pickup() -> bytes:
    import pyarrow as pa

    count = len(file_shapes.table(DATASET).rows)
    return _parquet(tpep_pickup_datetime_values=pa.array([{"date": "2021-01-01", "time": "00:30"}] * count))


def _float16_parquet() -> bytes:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = io.BytesIO()
    pq.write_table(pa.table({"VendorID": pa.array(np.array([1, 2], dtype=np.float16))}), out)
    return out.getvalue()


def _corrupt_pages() -> bytes:
    """A whole Parquet file whose data pages are overwritten (its footer intact)."""
    data = bytearray(_parquet())
    for i in range(4, len(data) // 8):
        data[i] ^= 0x5A
    return bytes(data)


def _damaged_footer() -> bytes:
    """A whole Parquet file whose footer's bytes are overwritten (its length and `PAR1` intact)."""
    data = bytearray(_parquet())
    footer_length = int.from_bytes(data[-8:-4], "little")
    for i in range(len(data) - 8 - footer_length, len(data) - 8):
        data[i] ^= 0x5A
    return bytes(data)


def _cut(data: bytes) -> bytes:
    """The first three quarters: the header and many rows decompress, then the stream ends."""
    return data[: len(data) * 3 // 4]


def _xlsx() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


@dataclass(frozen=True)
class Unreadable:
    """A file the job cannot read: its name, bytes, and words its one-line cause must hold."""

    name: str
    file_name: str
    content: Callable[[], bytes]
    says: tuple[str, ...]


UNREADABLE: tuple[Unreadable, ...] = (
    Unreadable("empty_object_csv", "yellow_tripdata_2021-01.csv", lambda: b"", ("is empty (0 bytes)",)),
    Unreadable(
        "empty_object_parquet", "yellow_tripdata_2021-01.parquet", lambda: b"", ("is empty (0 bytes)",)
    ),
    Unreadable(
        "truncated_parquet",
        "yellow_tripdata_2021-01.parquet",
        lambda: _parquet()[:1000],
        ("is not a readable Parquet file", "truncated", "upload the complete Parquet file again"),
    ),
    Unreadable(
        "corrupt_parquet_pages",
        "yellow_tripdata_2021-01.parquet",
        _corrupt_pages,
        ("is not a readable Parquet file", "upload the complete Parquet file again"),
    ),
    Unreadable(
        "damaged_parquet_footer",
        "yellow_tripdata_2021-01.parquet",
        _damaged_footer,
        ("has a complete Parquet footer that Spark", "or the footer is damaged", "write the file again"),
    ),
    Unreadable(
        "text_under_a_parquet_name",
        "yellow_tripdata_2021-01.parquet",
        _csv,
        ("is not a readable Parquet file", "not Parquet"),
    ),
    Unreadable(
        "float16_parquet_spark_cannot_decode",
        "yellow_tripdata_2021-01.parquet",
        _float16_parquet,
        (
            "has a complete Parquet footer that Spark",
            "such as FLOAT16",
            "float32 or double instead of float16",
        ),
    ),
    Unreadable(
        "truncated_gzip",
        "yellow_tripdata_2021-01.csv.gz",
        lambda: _cut(gzip.compress(_csv() * 40, mtime=0)),
        ("is not a readable gzip file", "upload the complete .csv.gz again"),
    ),
    Unreadable(
        "truncated_gzip_in_its_header_line",
        "yellow_tripdata_2021-01.csv.gz",
        lambda: gzip.compress(_csv(), mtime=0)[:40],
        ("is not a readable gzip file",),
    ),
    Unreadable(
        "plain_text_under_a_gz_name",
        "yellow_tripdata_2021-01.csv.gz",
        _csv,
        ("is named .gz but is not gzip-compressed", "name a plain CSV file *.csv"),
    ),
    Unreadable(
        "gzip_under_a_csv_name",
        "yellow_tripdata_2021-01.csv",
        lambda: gzip.compress(_csv(), mtime=0),
        ("is gzip-compressed but named .csv", "name it *.csv.gz"),
    ),
    Unreadable(
        "binary_under_a_csv_name",
        "yellow_tripdata_2021-01.csv",
        lambda: bytes(range(256)) * 8,
        ("holds binary data, not CSV text",),
    ),
    Unreadable(
        "parquet_under_a_csv_name", "yellow_tripdata_2021-01.csv", _parquet, ("is a Parquet file, not CSV",)
    ),
    Unreadable("excel_workbook_under_a_csv_name", "yellow_tripdata_2021-01.csv", _xlsx, ("zip archive",)),
    Unreadable(
        "utf16_csv",
        "yellow_tripdata_2021-01.csv",
        lambda: _csv().decode().encode("utf-16"),
        ("is UTF-16 text", "save it as CSV UTF-8"),
    ),
    Unreadable(
        "only_blank_lines", "yellow_tripdata_2021-01.csv", lambda: b"\r\n \n\n", ("has no header line",)
    ),
    Unreadable(
        "missing_required_column",
        "yellow_tripdata_2021-01.csv",
        lambda: _csv(file_shapes.table(DATASET).drop("PULocationID")),
        ("lacks required column(s) PULocationID of yellow_tripdata", "(it has 17:"),
    ),
    Unreadable(
        "no_header_row",
        "yellow_tripdata_2021-01.csv",
        lambda: b"\n".join(_csv().splitlines()[1:]) + b"\n",
        (
            "has none of the yellow_tripdata column names on its header line (it starts: 1, 2021-01-01 00:30:10",
        ),
    ),
    Unreadable(
        "green_file_in_the_yellow_folder",
        "yellow_tripdata_2021-01.csv",
        lambda: _csv(file_shapes.table("green_tripdata")),
        (
            "lacks required column(s) tpep_pickup_datetime, tpep_dropoff_datetime",
            "under the folder of the dataset",
        ),
    ),
    Unreadable(
        "required_column_of_a_type_spark_cannot_read",
        "yellow_tripdata_2021-01.parquet",
        _time_pickup,
        (
            "stores column tpep_pickup_datetime as INT64 TIME(MICROS,true)",
            "store tpep_pickup_datetime as a timestamp",
        ),
    ),
    Unreadable(
        "required_column_nested",
        "yellow_tripdata_2021-01.parquet",
        _struct_pickup,
        ("stores column tpep_pickup_datetime as GROUP", "nested group"),
    ),
    Unreadable(
        "not_a_file_type_the_job_reads",
        "yellow_tripdata_2021-01.xlsx",
        _xlsx,
        ("is not a file type the job reads", "name it *.csv, *.csv.gz or *.parquet"),
    ),
)


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def lake(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tables holding an earlier good run of another file (December 2020)."""
    root = tmp_path_factory.mktemp("lake")
    good = root / "raw" / DATASET / "yellow_tripdata_2020-12.csv"
    good.parent.mkdir(parents=True)
    file_shapes.csv_writer()(file_shapes.table(DATASET), good)
    report = run(spark, root, good, "good-run")
    assert report["rows_read"] == 49
    return root


def run(spark: SparkSession, root: Path, source: Path, run_id: str) -> dict[str, Any]:
    return raw_to_conformed.run(
        spark,
        source_path=str(source),
        dataset=DATASET,
        run_id=run_id,
        conformed_path=str(root / "conformed"),
        quarantine_path=str(root / "quarantine"),
        report_path=str(root / "_reports"),
        database="",
    )


@pytest.mark.parametrize("case", UNREADABLE, ids=lambda c: c.name)
def test_an_unreadable_file_fails_cleanly_with_one_line(
    spark: SparkSession, lake: Path, case: Unreadable, capsys: pytest.CaptureFixture[str]
) -> None:
    source = lake / "raw" / DATASET / case.name / case.file_name
    source.parent.mkdir(parents=True)
    content = case.content()
    source.write_bytes(content)
    tables_before = {zone: _tree(lake / zone) for zone in ("conformed", "quarantine")}

    with pytest.raises(storage.UnreadableInputError) as caught:
        run(spark, lake, source, f"run-{case.name}")

    cause = error_message(caught.value)
    assert "\n" not in cause and "\r" not in cause
    assert cause.startswith(f"UnreadableInputError: {source} "), cause
    assert cause.endswith("; nothing was written"), cause
    for words in case.says:
        assert words in cause, (words, cause)
    assert len(cause) < 700
    # nothing written, the earlier run untouched, the raw object where it was, no staged copy left
    assert {zone: _tree(lake / zone) for zone in ("conformed", "quarantine")} == tables_before
    assert source.read_bytes() == content
    run_folder = lake / "_reports" / f"run-{case.name}"
    assert not run_folder.exists() or not [
        p for p in run_folder.rglob("*") if p.is_file() and not p.name.endswith(".crc")
    ]
    with capsys.disabled():
        print(f"\n{case.name}: {cause.replace(str(lake), '<lake>')}")


def test_a_good_file_after_a_failed_one_runs_normally(spark: SparkSession, lake: Path) -> None:
    source = lake / "raw" / DATASET / "again" / "yellow_tripdata_2021-01.csv"
    source.parent.mkdir(parents=True)
    source.write_bytes(b"")
    with pytest.raises(storage.UnreadableInputError):
        run(spark, lake, source, "again-1")
    file_shapes.csv_writer()(file_shapes.table(DATASET), source)
    report = run(spark, lake, source, "again-2")
    assert (report["rows_read"], report["rows_conformed"]) == (49, 49)
