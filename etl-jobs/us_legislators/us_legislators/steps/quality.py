"""Data-quality rules as named data.

A rule is a name, a sentence saying what it catches, and a predicate over one classified row that is
true when the row breaks it. A row breaking any rule goes to quarantine with the names of every rule it
broke; all the others go to the conformed table. Predicates are null-safe and never raise, with ANSI
SQL on or off: values are parsed with `try_cast` and `from_json` (null on failure), and a rule that
cannot be evaluated (its input is null) is not broken, so a value that does not parse is reported once,
by its `unparseable_<column>` rule, and not again by the rules that read it. A line that is not JSON
breaks `malformed_json` and nothing else.

The rules see, per declared field, the parsed value under the conformed name and the delivered text
under `raw_name(name)`; `corrupt_record` (the line, when it was not a JSON object); `ID_COPIES` (rows
of the file with the same id); and `reference_status(rule)`: `missing` / `quarantined` / null for each
reference a membership makes (`schemas.REFERENCES`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column
from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)

from us_legislators.steps import schemas

RAW_PREFIX = "_raw_"
ID_COPIES = "_id_copies"
MISSING, QUARANTINED = "missing", "quarantined"
BLANK = r"^\s*$"  # nothing but white space (spaces, tabs, line breaks)


def raw_name(name: str) -> str:
    """The column holding the text a file had for conformed column `name`."""
    return f"{RAW_PREFIX}{name}"


def reference_status(rule: str) -> str:
    return f"_ref_{rule}"


def _first_day(name: str) -> Column:
    """The first day a validated Popolo date can mean: `1950` -> 1950-01-01, `1950-05` -> 1950-05-01."""
    return F.expr(f"try_cast(`{name}` AS date)")


def _last_day(name: str) -> Column:
    """The last day a validated Popolo date can mean: `1950` -> 1950-12-31, `1950-05` -> 1950-05-31."""
    first = _first_day(name)
    length = F.length(F.col(name))
    return (
        F.when(length == 4, F.date_add(F.add_months(first, 12), -1))
        .when(length == 7, F.last_day(first))
        .otherwise(first)
    )


@dataclass(frozen=True)
class QualityRule:
    name: str
    description: str
    broken: Callable[[], Column]

    def check(self) -> Column:
        """True when the row breaks the rule; never null. Only `malformed_json` looks at malformed lines."""
        broken = F.coalesce(self.broken(), F.lit(False))
        if self.name == MALFORMED_JSON.name:
            return broken
        return F.col(schemas.CORRUPT_RECORD).isNull() & broken


MALFORMED_JSON = QualityRule(
    "malformed_json",
    "the line is not a JSON object (kept whole in corrupt_record)",
    lambda: F.col(schemas.CORRUPT_RECORD).isNotNull(),
)


def _missing(field: schemas.Field) -> QualityRule:
    # an empty or blank value is missing too; a value that is there but not text is unparseable_<field>
    def broken() -> Column:
        raw = F.col(raw_name(field.name))
        return raw.isNull() | raw.rlike(BLANK)

    return QualityRule(f"missing_{field.name}", f"{field.key} is absent, null or empty", broken)


def _unparseable(field: schemas.Field) -> QualityRule:
    if field.partial_date:
        kind = "a date (YYYY-MM-DD, YYYY-MM or YYYY)"
    elif field.nested:
        kind = f"a JSON array of {field.hive_type.removeprefix('array<')[:-1]}"
    elif field.hive_type == schemas.STRING:
        kind = "text, a number or a boolean (it is a JSON object or array)"
    else:
        kind = f"a whole number that fits {field.hive_type}"

    def broken() -> Column:
        raw = F.col(raw_name(field.name))
        return raw.isNotNull() & ~raw.rlike(BLANK) & F.col(field.name).isNull()

    return QualityRule(f"unparseable_{field.name}", f"{field.key} is not {kind}", broken)


def _before(later: str, earlier: str) -> Callable[[], Column]:
    """`later` surely ends before `earlier` begins, whatever day each partial date means."""
    return lambda: _last_day(later) < _first_day(earlier)


DUPLICATE_ID = QualityRule(
    "duplicate_id",
    "another row of the same file has the same id (every copy is quarantined)",
    lambda: F.col("id").isNotNull() & (F.col(ID_COPIES) > 1),
)

ROW_RULES: dict[str, tuple[QualityRule, ...]] = {
    "persons": (
        QualityRule(
            "death_before_birth", "death_date is before birth_date", _before("death_date", "birth_date")
        ),
    ),
    "memberships": (
        QualityRule("end_before_start", "end_date is before start_date", _before("end_date", "start_date")),
    ),
}


def _reference_rules(reference: schemas.Reference) -> tuple[QualityRule, ...]:
    def has(value: str) -> Callable[[], Column]:
        return lambda: F.col(reference_status(reference.rule)) == value

    return (
        QualityRule(
            f"{reference.rule}_missing",
            f"{reference.column} is given but no row of {reference.dataset} has that id",
            has(MISSING),
        ),
        QualityRule(
            f"{reference.rule}_quarantined",
            f"{reference.column} names a row of {reference.dataset} that was quarantined",
            has(QUARANTINED),
        ),
    )


def rules_for(dataset: str) -> tuple[QualityRule, ...]:
    """Every rule a row of `dataset` is checked against, in the order they are reported."""
    declared = schemas.fields(dataset)
    return (
        MALFORMED_JSON,
        *(_missing(f) for f in declared if f.required),
        *((DUPLICATE_ID,) if dataset in schemas.UNIQUE_ID else ()),
        *(_unparseable(f) for f in declared),
        *ROW_RULES.get(dataset, ()),
        *(rule for ref in schemas.REFERENCES.get(dataset, ()) for rule in _reference_rules(ref)),
    )
