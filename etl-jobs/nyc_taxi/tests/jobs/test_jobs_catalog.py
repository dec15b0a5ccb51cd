"""Catalog upkeep against moto's Glue: partitions added, then updated, removed; clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from nyc_taxi.steps import raw_to_conformed, schemas
from pyspark.sql import SparkSession

from job_family.glue.runtime import catalog

from .test_jobs_raw_to_conformed import write_csv

DATABASE = "nyc_taxi"
LOCATION = "s3://conformed/nyc_taxi/conformed/yellow_tripdata/"
PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}


@pytest.fixture
def glue(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto Glue with the database and the tables declared from schemas.TABLES (as the catalog unit does)."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        client = boto3.client("glue")
        client.create_database(DatabaseInput={"Name": DATABASE})
        for spec in schemas.TABLES:
            client.create_table(
                DatabaseName=DATABASE,
                TableInput={
                    "Name": spec.name,
                    "StorageDescriptor": {
                        "Columns": [{"Name": n, "Type": t} for n, t in spec.glue_columns()],
                        "Location": spec.location(f"s3://bucket/{spec.zone.value}"),
                        **PARQUET,
                    },
                    "PartitionKeys": [{"Name": n, "Type": t} for n, t in spec.glue_partition_keys()],
                },
            )
        yield client


def partitions(glue: Any, table: str) -> dict[tuple[str, ...], str]:
    found = glue.get_partitions(DatabaseName=DATABASE, TableName=table)["Partitions"]
    return {tuple(p["Values"]): p["StorageDescriptor"]["Location"] for p in found}


def test_adds_partitions_with_the_table_storage_descriptor(glue: Any) -> None:
    spec = schemas.conformed_table("yellow_tripdata")
    change = catalog.upsert_partitions(
        glue, database=DATABASE, spec=spec, location=LOCATION,
        partitions=[{"pickup_year": 2021, "pickup_month": 1, "source_key": "a.csv"}],
    )  # fmt: skip
    assert (change.created, change.updated) == (1, 0)
    assert partitions(glue, spec.name) == {
        ("2021", "1", "a.csv"): f"{LOCATION}pickup_year=2021/pickup_month=1/source_key=a.csv/"
    }
    stored = glue.get_partitions(DatabaseName=DATABASE, TableName=spec.name)["Partitions"][0]
    assert stored["StorageDescriptor"]["SerdeInfo"] == PARQUET["SerdeInfo"]
    assert [c["Name"] for c in stored["StorageDescriptor"]["Columns"]] == list(spec.column_names)


def test_adding_existing_partitions_updates_them_idempotently(glue: Any) -> None:
    spec = schemas.purpose_built_table("yellow_tripdata", "daily_zone_metrics")
    months = [{"pickup_year": 2021, "pickup_month": m} for m in (1, 2)]
    catalog.upsert_partitions(glue, database=DATABASE, spec=spec, location="s3://old/t/", partitions=months)
    again = catalog.upsert_partitions(
        glue, database=DATABASE, spec=spec, location="s3://new/t/", partitions=months
    )
    assert (again.created, again.updated) == (0, 2)
    assert partitions(glue, spec.name) == {
        ("2021", "1"): "s3://new/t/pickup_year=2021/pickup_month=1/",
        ("2021", "2"): "s3://new/t/pickup_year=2021/pickup_month=2/",
    }


def test_deletes_partitions_and_tolerates_ones_already_gone(glue: Any) -> None:
    spec = schemas.quarantine_table("yellow_tripdata")
    catalog.upsert_partitions(
        glue, database=DATABASE, spec=spec, location=LOCATION, partitions=[{"source_key": "a"}]
    )
    change = catalog.delete_partitions(
        glue, database=DATABASE, spec=spec, partitions=[{"source_key": "a"}, {"source_key": "never"}]
    )
    assert change.deleted == 2
    assert partitions(glue, spec.name) == {}


def test_missing_table_names_the_table_and_the_fix(glue: Any) -> None:
    glue.delete_table(DatabaseName=DATABASE, Name="green_tripdata")
    with pytest.raises(
        catalog.CatalogError, match=r"nyc_taxi\.green_tripdata is not in the Glue catalog: deploy"
    ):
        catalog.upsert_partitions(
            glue, database=DATABASE, spec=schemas.conformed_table("green_tripdata"), location=LOCATION,
            partitions=[{"pickup_year": 2021, "pickup_month": 1, "source_key": "a"}],
        )  # fmt: skip


def test_no_database_skips_without_building_a_client() -> None:
    def factory() -> Any:
        raise AssertionError("must not be called")

    assert catalog.apply(factory, database="", updates=[])["skipped"] is True


@pytest.mark.spark
def test_raw_to_conformed_keeps_the_catalog_current_across_reruns(
    spark: SparkSession, tmp_path: Path, glue: Any
) -> None:
    path = tmp_path / "yellow_tripdata_2021-01.csv"
    write_csv(
        path,
        {},
        {"tpep_pickup_datetime": "2020-12-31 23:30:00", "tpep_dropoff_datetime": "2020-12-31 23:40:00"},
    )
    arguments = {
        "dataset": "yellow_tripdata", "conformed_path": str(tmp_path / "conformed"),
        "quarantine_path": str(tmp_path / "quarantine"), "report_path": str(tmp_path / "_reports"),
        "database": DATABASE, "glue_factory": lambda: glue,
    }  # fmt: skip
    first = raw_to_conformed.run(spark, source_path=str(path), run_id="a", **arguments)
    assert first["catalog"]["tables"][0] == {
        "table": "yellow_tripdata",
        "created": 2,
        "updated": 0,
        "deleted": 0,
    }
    write_csv(path, {}, {"fare_amount": "-1"})
    second = raw_to_conformed.run(spark, source_path=str(path), run_id="b", **arguments)
    assert second["catalog"]["tables"] == [
        # the file's partitions were withdrawn before its folders changed: January is registered again
        {"table": "yellow_tripdata", "created": 1, "updated": 0, "deleted": 1},
        {"table": "yellow_tripdata_quarantine", "created": 1, "updated": 0, "deleted": 0},
    ]
    assert list(partitions(glue, "yellow_tripdata")) == [("2021", "1", "yellow_tripdata_2021-01.csv")]
    assert list(partitions(glue, "yellow_tripdata_quarantine")) == [("yellow_tripdata_2021-01.csv",)]
