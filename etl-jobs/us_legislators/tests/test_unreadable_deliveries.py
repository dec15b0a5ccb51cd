"""A delivery the step cannot read fails cleanly: one line naming the file, the problem and what to do (the
cause the audit item and the failure notification carry: `<ExceptionType>: <message>`, as
local_aws.glue_entry and Glue report it), nothing written to any table, an earlier good delivery
untouched, the raw files where they were, no staged copy left.

Each case is the real delivery (fixtures/smoke_delivery) with one input replaced by bad bytes, renamed,
removed or doubled."""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession
from us_legislators.steps import conform_delivery

from job_family.glue.runtime import storage
from local_aws.glue_entry import error_message

from . import json_shapes

pytestmark = pytest.mark.spark

Files = dict[str, bytes]


def _delivered() -> Files:
    return {f"{dataset}.json": json_shapes.delivered(dataset) for dataset in json_shapes.INPUTS}


def _replace(old: str, new: str, content: Callable[[], bytes]) -> Callable[[], Files]:
    def files() -> Files:
        found = {name: data for name, data in _delivered().items() if name != old}
        return {**found, new: content()}

    return files


def _records_bytes(dataset: str, times: int = 1) -> bytes:
    return json_shapes.delivered(dataset) * times


def _parquet() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = json_shapes.records("organizations")
    out = io.BytesIO()
    pq.write_table(pa.table({key: [str(r.get(key)) for r in records] for key in ("id", "name")}), out)
    return out.getvalue()


def _xlsx() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


def _without_key(dataset: str, key: str) -> bytes:
    rows = [{k: v for k, v in row.items() if k != key} for row in json_shapes.records(dataset)]
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


@dataclass(frozen=True)
class Unreadable:
    """A delivery the step cannot read: its files, the file the cause names, and words it must hold."""

    name: str
    files: Callable[[], Files]
    names: str  # the file (or the delivery folder, "") the cause starts with
    says: tuple[str, ...]


UNREADABLE: tuple[Unreadable, ...] = (
    Unreadable("empty_object", _replace("persons.json", "persons.json", lambda: b""), "persons.json",
               ("is empty (0 bytes)", "upload the complete file again")),
    Unreadable(
        "truncated_gzip",
        _replace("memberships.json", "memberships.json.gz",
                 lambda: gzip.compress(_records_bytes("memberships", 50), mtime=0)[:-400]),
        "memberships.json.gz",
        ("is not a readable gzip file", "upload the complete .json.gz again"),
    ),
    Unreadable(
        "plain_text_under_a_gz_name",
        _replace("persons.json", "persons.json.gz", lambda: _records_bytes("persons")),
        "persons.json.gz",
        ("is named .gz but is not gzip-compressed", "name a plain JSON Lines file *.json"),
    ),
    Unreadable(
        "gzip_under_a_json_name",
        _replace("persons.json", "persons.json", lambda: gzip.compress(_records_bytes("persons"), mtime=0)),
        "persons.json",
        ("is gzip-compressed but named .json", "name it *.json.gz"),
    ),
    Unreadable(
        "binary_under_a_json_name",
        _replace("organizations.json", "organizations.json", lambda: bytes(range(256)) * 4),
        "organizations.json",
        ("holds binary data, not JSON Lines text",),
    ),
    Unreadable("parquet_under_a_json_name", _replace("organizations.json", "organizations.json", _parquet),
               "organizations.json", ("is a Parquet file, not JSON Lines",)),
    Unreadable("excel_workbook_under_a_json_name", _replace("persons.json", "persons.json", _xlsx),
               "persons.json", ("zip archive",)),
    Unreadable(
        "utf16_json_lines",
        _replace("persons.json", "persons.json", lambda: _records_bytes("persons").decode().encode("utf-16")),
        "persons.json",
        ("is UTF-16 text", "save it as JSON Lines UTF-8"),
    ),
    Unreadable(
        "windows_1252_json_lines",
        _replace("persons.json", "persons.json",
                 lambda: _records_bytes("persons").decode().replace("David", "Dávid").encode("cp1252")),
        "persons.json",
        ("is not UTF-8 text", "save it as UTF-8"),
    ),
    Unreadable(
        "pretty_printed_json_array",
        _replace("persons.json", "persons.json",
                 lambda: json.dumps(json_shapes.records("persons"), indent=2).encode()),
        "persons.json",
        ("holds no JSON object on any line", "write one JSON object per line"),
    ),
    Unreadable(
        "one_line_json_array",
        _replace("memberships.json", "memberships.json",
                 lambda: (json.dumps(json_shapes.records("memberships")) + "\n").encode()),
        "memberships.json",
        ("holds no JSON object on any line", "write one JSON object per line"),
    ),
    Unreadable(
        "csv_under_a_json_name",
        _replace("organizations.json", "organizations.json", lambda: b"id,name\nhouse,House\n"),
        "organizations.json",
        ("holds no JSON object on any line",),
    ),
    Unreadable(
        "required_key_absent_from_every_line",
        _replace("memberships.json", "memberships.json", lambda: _without_key("memberships", "person_id")),
        "memberships.json",
        ("lacks required key(s) person_id of Popolo memberships on every line", "deliver the memberships file"),
    ),
    Unreadable(
        "an_input_missing",
        lambda: {n: d for n, d in _delivered().items() if n != "organizations.json"},
        "",
        ("has no organizations file", "upload organizations.json or organizations.jsonl or organizations.json.gz"),
    ),
    Unreadable(
        "two_files_for_one_input",
        lambda: {**_delivered(), "persons.jsonl": _records_bytes("persons")},
        "",
        ("has 2 persons files (persons.json, persons.jsonl)", "keep one of them"),
    ),
)  # fmt: skip


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run(spark: SparkSession, root: Path, delivery: Path, run_id: str) -> dict[str, Any]:
    return conform_delivery.run(
        spark,
        source_path=f"{delivery}/",
        run_id=run_id,
        conformed_path=str(root / "conformed"),
        quarantine_path=str(root / "quarantine"),
        report_path=str(root / "_reports"),
        database="",
    )


@pytest.fixture(scope="module")
def lake(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tables holding an earlier good delivery."""
    root = tmp_path_factory.mktemp("lake")
    good = root / "raw" / "deliveries" / "good"
    good.mkdir(parents=True)
    for name, data in _delivered().items():
        (good / name).write_bytes(data)
    report = run(spark, root, good, "good-run")
    assert report["rows_read"] == 20 and report["rows_quarantined"] == 0
    return root


@pytest.mark.parametrize("case", UNREADABLE, ids=lambda c: c.name)
def test_an_unreadable_delivery_fails_cleanly_with_one_line(
    spark: SparkSession, lake: Path, case: Unreadable, capsys: pytest.CaptureFixture[str]
) -> None:
    delivery = lake / "raw" / "deliveries" / case.name.replace("_", "-")
    delivery.mkdir(parents=True)
    files = case.files()
    for name, data in files.items():
        (delivery / name).write_bytes(data)
    tables_before = {zone: _tree(lake / zone) for zone in ("conformed", "quarantine")}

    with pytest.raises(storage.UnreadableInputError) as caught:
        run(spark, lake, delivery, f"run-{case.name}")

    cause = error_message(caught.value)
    assert "\n" not in cause and "\r" not in cause
    named = f"{delivery}/{case.names}" if case.names else f"{delivery}/"
    assert cause.startswith(f"UnreadableInputError: {named} "), cause
    assert cause.endswith("; nothing was written"), cause
    for words in case.says:
        assert words in cause, (words, cause)
    assert len(cause) < 700
    # nothing written, the earlier delivery untouched, the raw files where they were, no staged copy
    assert {zone: _tree(lake / zone) for zone in ("conformed", "quarantine")} == tables_before
    assert {p.name: p.read_bytes() for p in delivery.iterdir()} == files
    run_folder = lake / "_reports" / f"run-{case.name}"
    assert not run_folder.exists() or not [
        p for p in run_folder.rglob("*") if p.is_file() and not p.name.endswith(".crc")
    ]
    with capsys.disabled():
        print(f"\n{case.name}: {cause.replace(str(lake), '<lake>')}")
