"""Tables, partitions and contracts as declared (pure Python: no Spark)."""

from __future__ import annotations

import inspect

import pytest
from us_legislators import queries
from us_legislators.spec import SPEC
from us_legislators.steps import build_memberships, conform_delivery, schemas

from job_family.spec import Zone

from .conftest import RULES


def test_declares_conformed_quarantine_joined_and_rule_tables() -> None:
    assert {(t.name, t.zone) for t in schemas.TABLES} == {
        ("persons", Zone.CONFORMED), ("memberships", Zone.CONFORMED), ("organizations", Zone.CONFORMED),
        ("persons_quarantine", Zone.QUARANTINE), ("memberships_quarantine", Zone.QUARANTINE),
        ("organizations_quarantine", Zone.QUARANTINE), ("legislator_memberships", Zone.PURPOSE_BUILT),
        ("members_per_party_and_chamber", Zone.PURPOSE_BUILT),
    }  # fmt: skip


def test_partitions_every_table_by_delivery_only() -> None:
    assert {t.partition_keys for t in schemas.TABLES} == {(("delivery_id", "string"),)}
    assert len({t.location("s3://zone") for t in schemas.TABLES if t.zone == Zone.CONFORMED}) == 3


@pytest.mark.parametrize("dataset", schemas.DATASET_NAMES)
def test_quarantine_keeps_every_value_as_text_with_the_rules_broken(dataset: str) -> None:
    spec = schemas.quarantine_table(dataset)
    types = dict(spec.columns)
    assert types.pop("broken_rules") == "array<string>"
    assert set(types.values()) == {"string"}
    assert list(types) == [
        *(f.name for f in schemas.fields(dataset)),
        "corrupt_record",
        "source_file",
        "run_id",
    ]


def test_conformed_tables_type_nested_values_and_numbers() -> None:
    persons = dict(schemas.conformed_table("persons").columns)
    assert persons["identifiers"] == "array<struct<scheme:string,identifier:string>>"
    assert persons["birth_date"] == "string"  # partial Popolo dates kept as delivered
    assert dict(schemas.conformed_table("organizations").columns)["seats"] == "int"


def test_joined_table_follows_join_legislators() -> None:
    columns = schemas.joined_table().column_names
    assert "person_id" not in columns and "org_id" not in columns
    assert {"id", "name", "organization_id", "org_name", "classification", "seats", "org_links"} <= set(
        columns
    )
    assert columns.count("other_names") == 1 and columns.count("identifiers") == 1  # the person's
    assert len(columns) == len(set(columns))


def test_every_sql_rule_is_declared_and_every_declaration_has_its_sql() -> None:
    assert {p.stem for p in RULES.glob("*.sql")} == set(schemas.PURPOSE_BUILT_RULES)


def test_accepts_json_lines_plain_jsonl_and_gzip_files() -> None:
    persons = SPEC.dataset("persons")
    assert [
        persons.format_of(n) is not None for n in ("persons.json", "persons.jsonl", "persons.json.gz")
    ] == [True] * 3
    assert persons.format_of("persons.csv") is None


def test_step_scripts_take_exactly_their_declared_arguments() -> None:
    for step, module in ((SPEC.step("conform_delivery"), conform_delivery), (SPEC.step("build_memberships"), build_memberships)):  # fmt: skip
        parameters = inspect.signature(module.run).parameters
        keywords = {n for n, p in parameters.items() if p.kind is p.KEYWORD_ONLY and p.default is p.empty}
        assert keywords == set(step.names), step.name
        assert step.module == module.__name__


def test_named_queries_read_declared_columns() -> None:
    found = queries.named_queries("db")
    assert len(found) == 3 and all('"db".' in q.sql for q in found)
    assert {q.table for q in found} <= {t.name for t in schemas.TABLES}


def test_unknown_names_are_refused_with_what_to_do() -> None:
    with pytest.raises(ValueError, match="a delivery holds persons, memberships, organizations"):
        schemas.fields("votes")
    with pytest.raises(ValueError, match="declare its columns in PURPOSE_BUILT_RULES"):
        schemas.purpose_built_table("votes_per_day")
