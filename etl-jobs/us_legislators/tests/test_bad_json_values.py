"""A bad value never fails a delivery: whatever JSON value a key holds (text, a number of any size, a
boolean, null, an object, an array, text that is JSON), the row is conformed or quarantined with the rule
that caught it, with Spark's ANSI mode on and off.

Each variant is one real record of the delivery (fixtures/smoke_delivery) with one key's value replaced;
a file per input holds them all and is read and classified as conform_delivery does it (`lake.reading`
+ `transforms.to_conformed`; memberships against the delivered persons and organizations), once per ANSI
mode.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession
from us_legislators.steps import conform_delivery, lake, transforms

from job_family.glue.runtime import job_runtime

from . import json_shapes
from .conftest import TAG, ansi_mode

pytestmark = pytest.mark.spark

KEEP = object()  # the record's own value, as the delivered file conforms it


@dataclass(frozen=True)
class Bad:
    """One variant: `key` of a real record of `dataset` set to the JSON `value`; the rules the row
    must break (none: conformed), and then the conformed value it must have (`parsed`)."""

    dataset: str
    key: str
    value: Any
    rules: tuple[str, ...] = ()
    parsed: Any = KEEP


ABSENT = object()  # the key removed from the record

BAD: tuple[Bad, ...] = (
    # text keys: numbers and booleans keep their JSON text; objects and arrays are not text
    Bad("persons", "name", 42, parsed="42"),
    Bad("persons", "name", -0.5, parsed="-0.5"),
    Bad("persons", "name", True, parsed="true"),
    Bad("persons", "name", "  Ann  ", parsed="Ann"),
    Bad("persons", "name", "Zoë \u00e9\u4e2d\U0001f600", parsed="Zoë \u00e9\u4e2d\U0001f600"),
    Bad("persons", "name", "line\nbreak\ttab \u0000nul", parsed="line\nbreak\ttab \u0000nul"),
    Bad("persons", "name", "x" * 5000, parsed="x" * 5000),
    Bad("persons", "name", "[Vacant]", parsed="[Vacant]"),
    Bad("persons", "name", None, ("missing_name",)),
    Bad("persons", "name", ABSENT, ("missing_name",)),
    Bad("persons", "name", "", ("missing_name",)),
    Bad("persons", "name", " \t ", ("missing_name",)),
    Bad("persons", "name", {"first": "Ann"}, ("unparseable_name",)),
    Bad("persons", "name", ["Ann", "Lee"], ("unparseable_name",)),
    Bad("persons", "gender", {"value": "male"}, ("unparseable_gender",)),
    Bad("persons", "gender", [], ("unparseable_gender",)),
    Bad("persons", "id", {"id": "x"}, ("unparseable_id",)),
    Bad("persons", "image", 7, parsed="7"),
    # dates
    Bad("persons", "birth_date", "1950", parsed="1950"),
    Bad("persons", "birth_date", "1950-05", parsed="1950-05"),
    Bad("persons", "birth_date", 1950, parsed="1950"),
    Bad("persons", "birth_date", "1950-02-29", ("unparseable_birth_date",)),
    Bad("persons", "birth_date", "05/03/1950", ("unparseable_birth_date",)),
    Bad("persons", "birth_date", "1950-05-03T00:00:00Z", ("unparseable_birth_date",)),
    Bad("persons", "birth_date", 19500503, ("unparseable_birth_date",)),
    Bad("persons", "birth_date", True, ("unparseable_birth_date",)),
    Bad("persons", "birth_date", {"year": 1950}, ("unparseable_birth_date",)),
    Bad("persons", "birth_date", ["1950"], ("unparseable_birth_date",)),
    Bad("persons", "death_date", "1900", ("death_before_birth",)),
    # nested values
    Bad("persons", "identifiers", [], parsed=[]),
    Bad("persons", "identifiers", None, parsed=None),
    Bad("persons", "identifiers", [{"scheme": "bioguide", "identifier": 7}], parsed=[{"scheme": "bioguide", "identifier": "7"}]),
    Bad("persons", "identifiers", [{"scheme": "x"}], parsed=[{"scheme": "x", "identifier": None}]),
    Bad("persons", "identifiers", [{"scheme": "x", "identifier": "y", "note": "extra"}], parsed=[{"scheme": "x", "identifier": "y"}]),
    Bad("persons", "identifiers", json.dumps([{"scheme": "x", "identifier": "y"}]), parsed=[{"scheme": "x", "identifier": "y"}]),
    Bad("persons", "identifiers", {"scheme": "x", "identifier": "y"}, ("unparseable_identifiers",)),
    Bad("persons", "identifiers", "bioguide:A000000", ("unparseable_identifiers",)),
    Bad("persons", "identifiers", [1, 2], ("unparseable_identifiers",)),
    Bad("persons", "identifiers", [["x", "y"]], ("unparseable_identifiers",)),
    Bad("persons", "identifiers", 5, ("unparseable_identifiers",)),
    Bad("persons", "links", [{"note": "n", "url": {"href": "u"}}], parsed=[{"note": "n", "url": '{"href":"u"}'}]),
    Bad("persons", "images", [None], parsed=[None]),
    # integers
    Bad("organizations", "seats", 435, parsed=435),
    Bad("organizations", "seats", "435", parsed=435),
    Bad("organizations", "seats", 435.0, parsed=435),
    Bad("organizations", "seats", 4.35e2, parsed=435),
    Bad("organizations", "seats", " 435 ", parsed=435),
    Bad("organizations", "seats", -1, parsed=-1),
    Bad("organizations", "seats", None, parsed=None),
    Bad("organizations", "seats", 435.5, ("unparseable_seats",)),
    Bad("organizations", "seats", 2147483648, ("unparseable_seats",)),
    Bad("organizations", "seats", 10**30, ("unparseable_seats",)),
    Bad("organizations", "seats", 1e308, ("unparseable_seats",)),
    Bad("organizations", "seats", "1e400", ("unparseable_seats",)),
    Bad("organizations", "seats", "NaN", ("unparseable_seats",)),
    Bad("organizations", "seats", "Infinity", ("unparseable_seats",)),
    Bad("organizations", "seats", "0x1b3", ("unparseable_seats",)),
    Bad("organizations", "seats", "435 seats", ("unparseable_seats",)),
    Bad("organizations", "seats", True, ("unparseable_seats",)),
    Bad("organizations", "seats", [435], ("unparseable_seats",)),
    Bad("organizations", "seats", {"n": 435}, ("unparseable_seats",)),
    Bad("organizations", "other_names", [{"name": "X", "lang": None, "note": 3}], parsed=[{"name": "X", "lang": None, "note": "3"}]),
    # memberships: dates, references
    Bad("memberships", "start_date", "2007-1-3", ("unparseable_start_date",)),
    Bad("memberships", "end_date", "2011", parsed="2011"),
    Bad("memberships", "end_date", "2006-12-31", ("end_before_start",)),
    Bad("memberships", "person_id", "nobody", ("person_missing",)),
    Bad("memberships", "person_id", None, ("missing_person_id",)),
    Bad("memberships", "person_id", 12, ("person_missing",)),
    Bad("memberships", "person_id", {"id": "x"}, ("unparseable_person_id",)),
    Bad("memberships", "on_behalf_of_id", "party/whig", ("party_missing",)),
    Bad("memberships", "on_behalf_of_id", None, parsed=None),
    Bad("memberships", "role", ["member"], ("unparseable_role",)),
)  # fmt: skip

# Whole lines after the variants, with the rules they break; an object line carries its tag (`L<n>`).
LINES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("persons", '{"id": "p-cut", "name": "Cut', ("malformed_json",)),
    ("persons", "[1, 2]", ("malformed_json",)),
    ("persons", "null", ("malformed_json",)),
    ("persons", '"just text"', ("malformed_json",)),
    ("persons", "42", ("malformed_json",)),
    ("persons", '{"sort_name": "L5"}', ("missing_id", "missing_name")),
    ("organizations", '{"id": "dup-key", "name": "A", "name": "B", "type": "L6"}', ()),
    ("organizations", '{"id": "nan", "name": "N", "seats": NaN, "type": "L7"}', ("unparseable_seats",)),
    # Spark's JSON parser takes single quotes (allowSingleQuotes): an object without organization_id
    (
        "memberships",
        "{'person_id': 'single quotes', 'area_id': 'L8'}",
        ("missing_organization_id", "person_missing"),
    ),
)
Variant = Bad | tuple[str, str, tuple[str, ...]]


def _variant_lines(dataset: str) -> list[tuple[Variant, dict[str, Any]]]:
    records = json_shapes.records(dataset)
    out: list[tuple[Variant, dict[str, Any]]] = []
    variants = [b for b in BAD if b.dataset == dataset]
    for i, bad in enumerate(variants):
        base = dict(records[i % len(records)])
        if dataset in ("persons", "organizations"):
            base["id"] = f"{base['id']}-{i}"  # each variant its own id (no duplicate_id)
        base[TAG[dataset]] = f"v{i}"  # a key no rule reads: tells the rows apart
        out.append((bad, base))
    out += [(line, {}) for line in LINES if line[0] == dataset]
    return out


def _tag(variant: Variant, base: dict[str, Any], dataset: str) -> str:
    """What a classified row of the variant is found by: its tag, or its line when it is malformed."""
    if isinstance(variant, Bad):
        return str(base[TAG[dataset]])
    tagged = re.search(r"L\d+", variant[1])
    return tagged.group(0) if tagged and "malformed_json" not in variant[2] else variant[1]


def _line(variant: Variant, base: dict[str, Any]) -> str:
    if not isinstance(variant, Bad):
        return variant[1]
    record = {k: v for k, v in base.items() if not (k == variant.key and variant.value is ABSENT)}
    if variant.value is not ABSENT:
        record[variant.key] = variant.value
    return json.dumps(record, ensure_ascii=False)


def _classify(
    spark: SparkSession, path: Path, dataset: str, references: dict[str, DataFrame]
) -> list[dict[str, Any]]:
    with lake.reading(spark, str(path)) as source:
        result = transforms.to_conformed(
            source,
            dataset=dataset,
            source_file=str(path),
            run_id="bad",
            delivery_id="d",
            references=references,
        )
        with job_runtime.session_conf(spark, conform_delivery.CLASSIFY_CONF):
            return [row.asDict(recursive=True) for row in result.classified.collect()]


def _references(spark: SparkSession, folder: Path) -> dict[str, DataFrame]:
    found = {}
    for dataset in ("persons", "organizations"):
        path = folder / f"{dataset}.json"
        path.write_bytes(json_shapes.delivered(dataset))
        with lake.reading(spark, str(path)) as source:
            result = transforms.to_conformed(
                source, dataset=dataset, source_file=str(path), run_id="r", delivery_id="d"
            )
            found[dataset] = spark.createDataFrame(
                transforms.id_status(result.classified).collect(), "id string, valid boolean"
            )
    return found


@pytest.mark.parametrize("ansi", ["false", "true"], ids=["ansi_off", "ansi_on"])
@pytest.mark.parametrize("dataset", json_shapes.INPUTS)
def test_every_json_value_is_conformed_or_quarantined_by_its_rule(
    spark: SparkSession, tmp_path: Path, dataset: str, ansi: str
) -> None:
    written = _variant_lines(dataset)
    path = tmp_path / f"{dataset}.json"
    path.write_text("".join(_line(v, b) + "\n" for v, b in written), encoding="utf-8")
    (tmp_path / "delivered").mkdir()
    with ansi_mode(spark, ansi):
        references = _references(spark, tmp_path / "delivered") if dataset == "memberships" else {}
        rows = _classify(spark, path, dataset, references)

    assert len(rows) == len(written)
    found = {row[TAG[dataset]] or row[transforms.CORRUPT_RECORD]: row for row in rows}
    failures = []
    for variant, base in written:
        row = found[_tag(variant, base, dataset)]
        if not isinstance(variant, Bad):
            if tuple(row[transforms.BROKEN_RULES]) != variant[2]:
                failures.append((variant[1], row[transforms.BROKEN_RULES], variant[2]))
            continue
        label = f"{variant.key}={variant.value!r}"[:80]
        if tuple(row[transforms.BROKEN_RULES]) != variant.rules:
            failures.append((label, row[transforms.BROKEN_RULES], variant.rules))
            continue
        if not variant.rules and variant.parsed is not KEEP and row[variant.key] != variant.parsed:
            failures.append((label, "parsed", row[variant.key], variant.parsed))
        if variant.rules and variant.value not in (None, ABSENT):
            assert row[transforms.quality.raw_name(variant.key)] is not None, label  # kept as text
    assert failures == []
