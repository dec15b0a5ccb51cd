"""Schemas as code for the us_legislators job family: the three Popolo inputs as delivered, and every
table the steps write, as the framework's `TableSpec`s.

Pure Python (no pyspark import), so the CDK app declares the Glue tables from the same definitions the
steps write with. Types are Hive DDL strings, which Spark also accepts.

A delivery is `<raw>/us_legislators/deliveries/<delivery_id>/{persons,memberships,organizations}.json`
(or `.jsonl`, or `.json.gz`). Every table is partitioned by `delivery_id` (the delivery's folder name),
so re-processing a delivery replaces exactly its partitions and two deliveries never touch each other:
- conformed `persons`, `memberships`, `organizations` at `<conformed_path>/<table>/delivery_id=/`;
- quarantine `<input>_quarantine` at `<quarantine_path>/<input>/delivery_id=/`: every value as the text
  it had (nested values as their JSON text), the malformed line itself, and `broken_rules`;
- purpose-built `legislator_memberships` (seed 004's JoinLegislators result) and one table per rule in
  `rules/*.sql`, at `<purpose_built_path>/<table>/delivery_id=/`.

Popolo dates may be partial: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`. They stay text in the conformed tables,
exactly as delivered once validated (turning `1950` into `1950-01-01` would invent a precision the data
does not have); ISO text of this shape sorts and compares correctly in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

from job_family.spec import JSON_LINES, JSON_LINES_GZ, JSONL, DatasetSpec, TableSpec, Zone

STRING = "string"
INT = "int"
BIGINT = "bigint"
STRING_ARRAY = "array<string>"
IDENTIFIERS = "array<struct<scheme:string,identifier:string>>"
CONTACT_DETAILS = "array<struct<type:string,value:string>>"
LINKS = "array<struct<note:string,url:string>>"
OTHER_NAMES = "array<struct<name:string,lang:string,note:string>>"
IMAGES = "array<struct<url:string>>"


@dataclass(frozen=True)
class Field:
    """One JSON key as delivered (`key`), the conformed column it becomes (`name`, `hive_type`).

    A required key absent from a whole file stops the run with an error naming it; absent from one
    line (or empty), the row is quarantined by `missing_<name>`. `partial_date` marks Popolo dates
    (text, validated as `YYYY[-MM[-DD]]`).
    """

    key: str
    name: str
    hive_type: str
    required: bool = False
    description: str = ""
    partial_date: bool = False

    @property
    def nested(self) -> bool:
        return self.hive_type.startswith(("array<", "struct<"))


def _text(key: str, description: str, *, required: bool = False) -> Field:
    return Field(key, key, STRING, required, description)


def _date(key: str, description: str) -> Field:
    return Field(key, key, STRING, False, f"{description} (YYYY-MM-DD, YYYY-MM or YYYY)", partial_date=True)


PERSONS: tuple[Field, ...] = (
    _text("id", "person id (Popolo; memberships.person_id refers to it)", required=True),
    _text("name", "full name", required=True),
    _text("given_name", "given name"),
    _text("family_name", "family name"),
    _text("sort_name", "name to sort by"),
    _text("gender", "gender as delivered (e.g. male, female)"),
    _date("birth_date", "date of birth"),
    _date("death_date", "date of death"),
    _text("image", "URL of a portrait"),
    Field("images", "images", IMAGES, description="portraits (url)"),
    Field("identifiers", "identifiers", IDENTIFIERS, description="ids in other schemes (bioguide, ...)"),
    Field("contact_details", "contact_details", CONTACT_DETAILS, description="contact details (type, value)"),
    Field("links", "links", LINKS, description="web pages about the person (note, url)"),
    Field("other_names", "other_names", OTHER_NAMES, description="other names (name, lang, note)"),
)

MEMBERSHIPS: tuple[Field, ...] = (
    _text("person_id", "the member (persons.id)", required=True),
    _text("organization_id", "the chamber (organizations.id of a legislature)", required=True),
    _text("on_behalf_of_id", "the party (organizations.id of a party)"),
    _text("legislative_period_id", "the term, e.g. term/115"),
    _text("role", "role in the organization, e.g. member"),
    _text("area_id", "the constituency (an OCD division id)"),
    _date("start_date", "first day of the membership"),
    _date("end_date", "last day of the membership"),
)

ORGANIZATIONS: tuple[Field, ...] = (
    _text("id", "organization id (memberships.organization_id / on_behalf_of_id refer to it)", required=True),
    _text("name", "name", required=True),
    _text("classification", "kind of organization: legislature, party, ..."),
    Field("identifiers", "identifiers", IDENTIFIERS, description="ids in other schemes"),
    Field("other_names", "other_names", OTHER_NAMES, description="other names (name, lang, note)"),
    Field("links", "links", LINKS, description="web pages (note, url)"),
    _text("image", "URL of a logo"),
    Field("seats", "seats", INT, description="number of seats (a legislature)"),
    _text("type", "type as delivered"),
)

FIELDS: dict[str, tuple[Field, ...]] = {
    "persons": PERSONS,
    "memberships": MEMBERSHIPS,
    "organizations": ORGANIZATIONS,
}
_FORMATS = (JSON_LINES, JSONL, JSON_LINES_GZ)
DATASETS: tuple[DatasetSpec, ...] = tuple(
    DatasetSpec(name, formats=_FORMATS, description=f"Popolo {name}, JSON Lines") for name in FIELDS
)
DATASET_NAMES: tuple[str, ...] = tuple(FIELDS)
# The order step 1 conforms them in: memberships are checked against the conformed others.
CONFORM_ORDER: tuple[str, ...] = ("persons", "organizations", "memberships")
# Inputs whose `id` must be unique within the file.
UNIQUE_ID: tuple[str, ...] = ("persons", "organizations")


@dataclass(frozen=True)
class Reference:
    """A membership column naming a row of another input: `<rule>_missing` when no row of `dataset`
    has that id, `<rule>_quarantined` when every row having it was quarantined."""

    column: str
    dataset: str
    rule: str


REFERENCES: dict[str, tuple[Reference, ...]] = {
    "memberships": (
        Reference("person_id", "persons", "person"),
        Reference("organization_id", "organizations", "organization"),
        Reference("on_behalf_of_id", "organizations", "party"),
    ),
}

Columns = tuple[tuple[str, str], ...]
LINEAGE: Columns = (("source_file", STRING), ("run_id", STRING))
DELIVERY_PARTITION: Columns = (("delivery_id", STRING),)
BROKEN_RULES = "broken_rules"
CORRUPT_RECORD = "corrupt_record"

JOINED = "legislator_memberships"
# JoinLegislators: organizations without other_names / identifiers, id -> org_id, name -> org_name;
# their links and image would clash with the person's, so they become org_links and org_image.
ORG_RENAMES: dict[str, str] = {"id": "org_id", "name": "org_name", "links": "org_links", "image": "org_image"}
ORG_DROPPED: tuple[str, ...] = ("other_names", "identifiers")

PURPOSE_BUILT_RULES: dict[str, Columns] = {
    "members_per_party_and_chamber": (
        ("chamber_id", STRING),
        ("chamber", STRING),
        ("legislative_period_id", STRING),
        ("party_id", STRING),
        ("party", STRING),
        ("members", BIGINT),
        ("memberships", BIGINT),
    ),
}


def fields(dataset: str) -> tuple[Field, ...]:
    try:
        return FIELDS[dataset]
    except KeyError:
        raise ValueError(f"unknown input {dataset!r}: a delivery holds {', '.join(DATASET_NAMES)}") from None


def _table(
    name: str, zone: Zone, columns: Columns, description: str, *, folder: str = "", dataset: str
) -> TableSpec:
    return TableSpec(name, zone, folder or name, columns, DELIVERY_PARTITION, description, dataset)


def conformed_table(dataset: str) -> TableSpec:
    columns = (*((f.name, f.hive_type) for f in fields(dataset)), *LINEAGE)
    return _table(dataset, Zone.CONFORMED, columns, f"valid Popolo {dataset}, typed", dataset=dataset)


def quarantine_table(dataset: str) -> TableSpec:
    text = tuple((f.name, STRING) for f in fields(dataset))
    columns = (*text, (CORRUPT_RECORD, STRING), (BROKEN_RULES, STRING_ARRAY), *LINEAGE)
    description = f"{dataset} rows that broke a data-quality rule, as text, with the rules' names"
    return _table(
        f"{dataset}_quarantine", Zone.QUARANTINE, columns, description, folder=dataset, dataset=dataset
    )


def joined_table() -> TableSpec:
    """Persons, then memberships without person_id, then organizations as JoinLegislators leaves them."""
    persons = tuple((f.name, f.hive_type) for f in PERSONS)
    memberships = tuple((f.name, f.hive_type) for f in MEMBERSHIPS if f.name != "person_id")
    organizations = tuple(
        (ORG_RENAMES.get(f.name, f.name), f.hive_type)
        for f in ORGANIZATIONS
        if f.name not in ORG_DROPPED and f.name != "id"
    )
    columns = (*persons, *memberships, *organizations, *LINEAGE)
    description = "one row per membership with its person and organization (seed 004's JoinLegislators)"
    return _table(JOINED, Zone.PURPOSE_BUILT, columns, description, dataset="memberships")


def purpose_built_table(rule: str) -> TableSpec:
    if rule not in PURPOSE_BUILT_RULES:
        raise ValueError(
            f"no purpose-built schema for rule {rule!r}: declare its columns in PURPOSE_BUILT_RULES "
            "(us_legislators/steps/schemas.py) beside rules/<rule>.sql"
        )
    description = f"{rule.replace('_', ' ')} (rules/{rule}.sql)"
    return _table(rule, Zone.PURPOSE_BUILT, PURPOSE_BUILT_RULES[rule], description, dataset="memberships")


TABLES: tuple[TableSpec, ...] = (
    *(conformed_table(d) for d in DATASET_NAMES),
    *(quarantine_table(d) for d in DATASET_NAMES),
    joined_table(),
    *(purpose_built_table(rule) for rule in PURPOSE_BUILT_RULES),
)


def table(name: str) -> TableSpec:
    for spec in TABLES:
        if spec.name == name:
            return spec
    raise ValueError(f"unknown table {name!r}: declared tables are {', '.join(t.name for t in TABLES)}")
