"""nyc_taxi end to end on the embedded local AWS, beyond the framework's contract
(`test_e2e_contract.py`): what the lake's tables hold after a run, that a file uploaded again leaves
them unchanged, and the real TLC sample's figures.

Both apps synthesized with the pinned CDK CLI for `local` (once per test session), deployed from their
cloud assemblies; the real trigger handler, state machine and Glue scripts (on local PySpark) do the
work. One deployed environment serves the module (each Glue run starts a Spark JVM).
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from nyc_taxi.steps import sample_data, schemas

from job_family.audit.runtime.item import Attr, Status
from job_family.testing.contracts.e2e import LocalFamily
from local_aws.flow import Upload

DATASET = "yellow_tripdata"
ROWS = 300
MONTH = (2021, 3)  # the generated file's month: the TLC sample's is January
TLC_SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "yellow_tripdata_2021-01_head50.csv"


@pytest.fixture(scope="module")
def generated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_data.write(
        tmp_path_factory.mktemp("sample"),
        rows=ROWS,
        dataset=DATASET,
        file_format="csv",
        month=f"{MONTH[0]}-{MONTH[1]:02d}",
        dirty=0.1,
        seed=7,
    )


@pytest.fixture(scope="module")
def first_runs(lake: LocalFamily, generated_file: Path) -> dict[str, tuple[Upload, dict[str, Any]]]:
    """The generated dirty file and the real TLC sample, uploaded together and settled."""
    uploads = {
        path.name: lake.flow.upload(lake.flow.key_for(DATASET, path.name), path.read_bytes())
        for path in (generated_file, TLC_SAMPLE)
    }
    items = lake.settle(*uploads.values())
    return {name: (upload, item) for (name, upload), item in zip(uploads.items(), items, strict=True)}


def table(lake: LocalFamily, spec: schemas.TableSpec) -> str:
    return f'"{lake.flow.database}"."{spec.name}"'


def _outputs(lake: LocalFamily, source_key: str) -> dict[str, list[tuple[Any, ...]]]:
    """The file's conformed rows (without their run id), its quarantined rules and its month's metrics."""
    conformed = schemas.conformed_table(DATASET)
    columns = [name for name in conformed.column_names if name != "run_id"]
    metrics = schemas.purpose_built_table(DATASET, "daily_zone_metrics")
    quarantine = schemas.quarantine_table(DATASET)
    month = f"pickup_year = {MONTH[0]} AND pickup_month = {MONTH[1]}"
    return {
        "conformed": lake.query(
            f"SELECT {', '.join(columns)} FROM {table(lake, conformed)} "
            f"WHERE source_key = '{source_key}' ORDER BY ALL"
        ),
        "quarantine": lake.query(
            f"SELECT source_key, broken_rules FROM {table(lake, quarantine)} "
            f"WHERE source_key = '{source_key}' ORDER BY ALL"
        ),
        "purpose_built": lake.query(f"SELECT * FROM {table(lake, metrics)} WHERE {month} ORDER BY ALL"),
    }


@pytest.mark.e2e
def test_a_dirty_file_lands_in_the_tables_with_the_counts_of_its_audit_item(
    lake: LocalFamily, first_runs: dict[str, tuple[Upload, dict[str, Any]]], generated_file: Path
) -> None:
    _, item = first_runs[generated_file.name]
    conformed = table(lake, schemas.conformed_table(DATASET))
    quarantine = table(lake, schemas.quarantine_table(DATASET))
    metrics = table(lake, schemas.purpose_built_table(DATASET, "daily_zone_metrics"))
    of_file = f"WHERE source_key = '{generated_file.name}'"

    ((conformed_rows, conformed_amount),) = lake.query(
        f"SELECT count(*), sum(total_amount) FROM {conformed} {of_file}"
    )
    ((quarantined_rows,),) = lake.query(f"SELECT count(*) FROM {quarantine} {of_file}")
    ((trips, metrics_amount),) = lake.query(
        f"SELECT sum(trips), sum(total_amount) FROM {metrics} "
        f"WHERE pickup_year = {MONTH[0]} AND pickup_month = {MONTH[1]}"
    )

    assert item[Attr.STATUS.value] == Status.SUCCEEDED, item
    assert item[Attr.ROWS_READ.value] == ROWS
    assert item[Attr.ROWS_QUARANTINED.value] > 0
    assert conformed_rows == item[Attr.ROWS_CONFORMED.value]
    assert quarantined_rows == item[Attr.ROWS_QUARANTINED.value]
    assert trips == conformed_rows
    assert float(metrics_amount) == pytest.approx(float(conformed_amount), abs=0.01)


@pytest.mark.e2e
def test_the_real_tlc_sample_gives_its_own_figures(
    lake: LocalFamily, first_runs: dict[str, tuple[Upload, dict[str, Any]]]
) -> None:
    """49 trips of 2021-01-01, all valid: the metrics agree with the CSV read in plain Python."""
    _, item = first_runs[TLC_SAMPLE.name]
    with TLC_SAMPLE.open(newline="") as handle:
        trips = list(csv.DictReader(handle))
    per_day = Counter(datetime.fromisoformat(trip["tpep_pickup_datetime"]).date() for trip in trips)
    total = sum((Decimal(trip["total_amount"]) for trip in trips), Decimal(0))
    metrics = table(lake, schemas.purpose_built_table(DATASET, "daily_zone_metrics"))

    rows = lake.query(
        f"SELECT pickup_date, sum(trips), sum(total_amount) FROM {metrics} "
        "WHERE pickup_year = 2021 AND pickup_month = 1 GROUP BY pickup_date ORDER BY pickup_date"
    )

    assert item[Attr.STATUS.value] == Status.SUCCEEDED, item
    assert (
        item[Attr.ROWS_READ.value],
        item[Attr.ROWS_CONFORMED.value],
        item[Attr.ROWS_QUARANTINED.value],
    ) == (
        len(trips),
        len(trips),
        0,
    )
    assert len(trips) == 49
    assert {day: count for day, count, _ in rows} == dict(per_day)
    assert sum((Decimal(str(amount)) for _, _, amount in rows), Decimal(0)) == total


@pytest.mark.e2e
def test_uploading_the_same_file_again_leaves_the_tables_unchanged(
    lake: LocalFamily, first_runs: dict[str, tuple[Upload, dict[str, Any]]], generated_file: Path
) -> None:
    upload, _ = first_runs[generated_file.name]
    before = _outputs(lake, generated_file.name)

    again = lake.flow.upload(upload.key, generated_file.read_bytes())
    (item,) = lake.settle(again)
    after = _outputs(lake, generated_file.name)

    assert again.object_id != upload.object_id  # a new object version: a new run
    assert item[Attr.STATUS.value] == Status.SUCCEEDED, item
    assert after == before
    assert all(before.values())


def test_the_sample_files_the_demo_uploads_start_with_the_real_tlc_sample(tmp_path: Path) -> None:
    """`FamilySpec.sample_files` (no AWS, not e2e): the real sample first (the class archive records its
    workload), then a generated 3,000-trip February file."""
    from nyc_taxi.spec import SPEC

    assert SPEC.sample_files is not None
    (first_dataset, first), (second_dataset, second) = SPEC.sample_files(tmp_path)

    assert (first_dataset, second_dataset) == (DATASET, DATASET)
    assert first.parent == second.parent == tmp_path
    assert first.read_bytes() == TLC_SAMPLE.read_bytes()
    assert second.name == "yellow_tripdata_2021-02.csv"
    assert sum(1 for _ in second.open()) == 3001
