"""Builders for the us_legislators tests: one valid row per input (as the text the framework reads),
and Spark's ANSI mode set for a block. The SparkSession is the root conftest's `spark` fixture."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from us_legislators.spec import SPEC
from us_legislators.steps import schemas

from job_family.testing.family import FamilyUnderTest
from job_family.testing.fixtures import *  # noqa: F403  (synth fixtures built from the family)

APP_ROOT = Path(__file__).resolve().parents[1]
RULES = APP_ROOT / "rules"

VALID: dict[str, dict[str, str | None]] = {
    "persons": {
        "id": "p1",
        "name": "Ann Lee",
        "given_name": "Ann",
        "family_name": "Lee",
        "sort_name": "Lee, Ann",
        "gender": "female",
        "birth_date": "1950-05-03",
        "death_date": None,
        "image": "https://example.org/l000001.jpg",
        "images": '[{"url": "https://example.org/l000001.jpg"}]',
        "identifiers": '[{"scheme": "bioguide", "identifier": "L000001"}]',
        "contact_details": '[{"type": "twitter", "value": "RepLee"}]',
        "links": '[{"note": "Wikipedia (en)", "url": "https://en.wikipedia.org/wiki/Ann_Lee"}]',
        "other_names": None,
    },
    "memberships": {
        "person_id": "p1",
        "organization_id": "house",
        "on_behalf_of_id": "party/d",
        "legislative_period_id": "term/115",
        "role": "representative",
        "area_id": "ocd-division/country:us/state:ny/cd:2",
        "start_date": "2017-01-03",
        "end_date": "2019-01-03",
    },
    "organizations": {
        "id": "house",
        "name": "House of Representatives",
        "classification": "legislature",
        "identifiers": '[{"scheme": "wikidata", "identifier": "Q11701"}]',
        "other_names": '[{"name": "US House", "lang": "en", "note": "short"}]',
        "links": None,
        "image": None,
        "seats": "435",
        "type": "lower house",
    },
}
# The column each test row is told apart by (it breaks no rule whatever its value).
TAG = {"persons": "sort_name", "memberships": "area_id", "organizations": "type"}


def raw_rows(spark: SparkSession, dataset: str, rows: list[Mapping[str, str | None]]) -> DataFrame:
    """A frame like a read input file: one text column per key, then corrupt_record."""
    keys = [f.key for f in schemas.fields(dataset)]
    columns = [*keys, schemas.CORRUPT_RECORD]
    data = [tuple({**VALID[dataset], **row}.get(c) for c in columns) for row in rows]
    return spark.createDataFrame(data, ", ".join(f"`{c}` string" for c in columns))


def references(spark: SparkSession) -> dict[str, DataFrame]:
    """Ids the memberships are checked against: conformed p1, house, party/d; quarantined pq and oq."""
    ids = "id string, valid boolean"
    return {
        "persons": spark.createDataFrame([("p1", True), ("pq", False)], ids),
        "organizations": spark.createDataFrame([("house", True), ("party/d", True), ("oq", False)], ids),
    }


@contextmanager
def ansi_mode(spark: SparkSession, enabled: str) -> Iterator[None]:
    """Spark's ANSI SQL mode for the block (expressions read it when they are built: build and run inside)."""
    before = spark.conf.get("spark.sql.ansi.enabled")
    spark.conf.set("spark.sql.ansi.enabled", enabled)
    try:
        yield
    finally:
        spark.conf.set("spark.sql.ansi.enabled", str(before))


def by_tag(rows: list[Any], dataset: str) -> dict[str, Any]:
    return {row[TAG[dataset]]: row for row in rows}


@pytest.fixture(scope="session")
def family_under_test() -> FamilyUnderTest:
    """us_legislators names itself once for the framework's fixtures and contract tests."""
    return FamilyUnderTest(SPEC, APP_ROOT)
