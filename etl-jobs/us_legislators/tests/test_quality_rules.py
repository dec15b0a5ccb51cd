"""Each quality rule catches its case and not the valid row, with Spark's ANSI mode on and off."""

from __future__ import annotations

from typing import Any

import pytest
from pyspark.sql import SparkSession
from us_legislators.steps import quality, schemas, transforms

from .conftest import TAG, ansi_mode, by_tag, raw_rows, references

pytestmark = pytest.mark.spark

Override = dict[str, str | None]
# (input, rule expected, override of that input's valid row): each row breaks exactly that rule.
BROKEN: list[tuple[str, str, Override]] = [
    ("persons", "missing_id", {"id": None}),
    ("persons", "missing_id", {"id": "   "}),
    ("persons", "missing_name", {"name": ""}),
    ("persons", "unparseable_birth_date", {"birth_date": "05/03/1950"}),
    ("persons", "unparseable_birth_date", {"birth_date": "1950-02-30"}),
    ("persons", "unparseable_birth_date", {"birth_date": "1950-5-3"}),
    ("persons", "unparseable_birth_date", {"birth_date": "1950-05-03T10:00"}),
    ("persons", "unparseable_death_date", {"death_date": "19"}),
    ("persons", "death_before_birth", {"death_date": "1949"}),
    ("persons", "death_before_birth", {"death_date": "1950-05-02"}),
    ("persons", "unparseable_identifiers", {"identifiers": "L000001"}),
    ("persons", "unparseable_identifiers", {"identifiers": '{"scheme": "bioguide"}'}),
    ("persons", "unparseable_identifiers", {"identifiers": "[1, 2]"}),
    ("persons", "unparseable_contact_details", {"contact_details": "[{"}),
    ("persons", "unparseable_links", {"links": "42"}),
    ("persons", "unparseable_other_names", {"other_names": '"Annie"'}),
    ("persons", "unparseable_images", {"images": '[["x"]]'}),
    ("persons", "malformed_json", {"id": None, "name": None, "corrupt_record": '{"id": "p1", "na'}),
    ("memberships", "missing_person_id", {"person_id": None}),
    ("memberships", "missing_organization_id", {"organization_id": ""}),
    ("memberships", "unparseable_start_date", {"start_date": "Jan 3, 2017"}),
    ("memberships", "unparseable_end_date", {"end_date": "2019-13"}),
    ("memberships", "end_before_start", {"end_date": "2016-12-31"}),
    ("memberships", "end_before_start", {"start_date": "2017-02", "end_date": "2017-01"}),
    ("memberships", "person_missing", {"person_id": "nobody"}),
    ("memberships", "person_quarantined", {"person_id": "pq"}),
    ("memberships", "organization_missing", {"organization_id": "nowhere"}),
    ("memberships", "organization_quarantined", {"organization_id": "oq"}),
    ("memberships", "party_missing", {"on_behalf_of_id": "party/whig"}),
    ("memberships", "party_quarantined", {"on_behalf_of_id": "oq"}),
    ("memberships", "malformed_json", {"person_id": None, "corrupt_record": "[1, 2]"}),
    ("organizations", "missing_id", {"id": ""}),
    ("organizations", "missing_name", {"name": None}),
    ("organizations", "unparseable_seats", {"seats": "many"}),
    ("organizations", "unparseable_seats", {"seats": "435.5"}),
    ("organizations", "unparseable_seats", {"seats": "1e20"}),
    ("organizations", "unparseable_seats", {"seats": "NaN"}),
    ("organizations", "unparseable_other_names", {"other_names": "[3]"}),
    ("organizations", "unparseable_identifiers", {"identifiers": "Q11701"}),
    ("organizations", "unparseable_links", {"links": '{"url": "https://house.gov"}'}),
    ("organizations", "malformed_json", {"id": None, "name": None, "corrupt_record": "not json"}),
]
# A JSON object or array where text is declared, one case per text key (but the key that tags the rows
# here, whose case is in test_bad_json_values).
BROKEN += [
    (dataset, f"unparseable_{field.name}", {field.name: '{"a": 1}' if i % 2 else '["a", "b"]'})
    for dataset in ("persons", "memberships", "organizations")
    for i, field in enumerate(schemas.fields(dataset))
    if field.hive_type == schemas.STRING and not field.partial_date and field.name != TAG[dataset]
]
# Edge values that are valid: (input, why, override).
ACCEPTED: list[tuple[str, str, Override]] = [
    ("persons", "the valid row", {}),
    ("persons", "birth year only", {"birth_date": "1950"}),
    ("persons", "birth month only", {"birth_date": "1950-05"}),
    ("persons", "death in the year of a birth day", {"death_date": "1950"}),
    ("persons", "leap day", {"birth_date": "1952-02-29"}),
    ("persons", "no dates", {"birth_date": None, "death_date": ""}),
    ("persons", "empty and absent nested values", {"identifiers": "[]", "links": None, "images": ""}),
    ("persons", "a number in a nested text field", {"identifiers": '[{"scheme": "x", "identifier": 5}]'}),
    ("persons", "name given as a number", {"name": "42"}),
    ("memberships", "the valid row", {}),
    ("memberships", "no party, no end", {"on_behalf_of_id": None, "end_date": None}),
    ("memberships", "ends the day it starts", {"end_date": "2017-01-03"}),
    ("memberships", "partial end in the start's year", {"end_date": "2017"}),
    ("memberships", "padded ids", {"person_id": " p1 ", "organization_id": "house "}),
    ("organizations", "the valid row", {}),
    ("organizations", "seats as a whole number with a fraction part", {"seats": "435.0"}),
    ("organizations", "seats padded", {"seats": " 100 "}),
    ("organizations", "no seats", {"seats": None}),
]


def _rows(dataset: str) -> list[tuple[str, Override]]:
    """(tag, override) of every row of an input in BROKEN then ACCEPTED, each with a unique tag and id."""
    rows = []
    for i, (d, _, override) in enumerate([*BROKEN, *ACCEPTED]):
        if d == dataset:
            own_id = {} if dataset == "memberships" else {"id": f"x{i}"}
            rows.append((f"row{i}", {**own_id, **override}))
    return rows


@pytest.fixture(scope="module", params=["true", "false"], ids=["ansi_on", "ansi_off"])
def classified(request: pytest.FixtureRequest, spark: SparkSession) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    with ansi_mode(spark, request.param):
        for dataset in ("persons", "memberships", "organizations"):
            rows = [{**override, TAG[dataset]: name} for name, override in _rows(dataset)]
            frame = raw_rows(spark, dataset, rows)
            result = transforms.to_conformed(
                frame, dataset=dataset, source_file="f.json", run_id="r", delivery_id="d",
                references=references(spark),
            )  # fmt: skip
            found[dataset] = by_tag(result.classified.collect(), dataset)
    return found


CASES = [(i, d, rule) for i, (d, rule, _) in enumerate(BROKEN)]


@pytest.mark.parametrize(("index", "dataset", "rule"), CASES, ids=[f"{d}-{r}-{i}" for i, d, r in CASES])
def test_quarantines_a_row_with_the_one_rule_it_breaks(
    classified: dict[str, dict[str, Any]], index: int, dataset: str, rule: str
) -> None:
    assert classified[dataset][f"row{index}"]["broken_rules"] == [rule]


@pytest.mark.parametrize(
    ("index", "dataset", "why"),
    [(len(BROKEN) + i, d, why) for i, (d, why, _) in enumerate(ACCEPTED)],
    ids=[f"{d}-{why}" for d, why, _ in ACCEPTED],
)
def test_accepts_a_valid_row(
    classified: dict[str, dict[str, Any]], index: int, dataset: str, why: str
) -> None:
    assert classified[dataset][f"row{index}"]["broken_rules"] == []


def test_every_rule_has_a_case() -> None:
    declared = {
        (d, r.name) for d in ("persons", "memberships", "organizations") for r in quality.rules_for(d)
    }
    covered = {(d, rule) for d, rule, _ in BROKEN}
    # duplicate_id needs two rows: test_quarantines_every_copy_of_a_duplicate_id
    assert declared - covered == {
        ("persons", "duplicate_id"),
        ("organizations", "duplicate_id"),
        *((dataset, f"unparseable_{tag}") for dataset, tag in TAG.items()),
    }


def test_keeps_partial_dates_as_delivered_and_parses_typed_values(
    classified: dict[str, dict[str, Any]],
) -> None:
    persons, orgs = classified["persons"], classified["organizations"]
    birth_year_only = next(t for t, o in _rows("persons") if o.get("birth_date") == "1950")
    assert persons[birth_year_only]["birth_date"] == "1950"
    assert persons[birth_year_only]["identifiers"][0].asDict() == {
        "scheme": "bioguide",
        "identifier": "L000001",
    }
    padded = next(t for t, o in _rows("organizations") if o.get("seats") == " 100 ")
    assert orgs[padded]["seats"] == 100


@pytest.mark.parametrize("ansi", ["true", "false"])
def test_quarantines_every_copy_of_a_duplicate_id(spark: SparkSession, ansi: str) -> None:
    with ansi_mode(spark, ansi):
        frame = raw_rows(
            spark, "persons", [{"id": "p1", "sort_name": "a"}, {"id": "p1", "sort_name": "b"}, {"id": "p2"}]
        )
        rows = transforms.to_conformed(
            frame, dataset="persons", source_file="f", run_id="r", delivery_id="d"
        ).classified.collect()
    assert sorted((r["id"], r["broken_rules"]) for r in rows) == [
        ("p1", ["duplicate_id"]),
        ("p1", ["duplicate_id"]),
        ("p2", []),
    ]
