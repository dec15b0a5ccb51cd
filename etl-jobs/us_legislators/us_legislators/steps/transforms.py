"""Pure DataFrame transforms of the us_legislators steps (no I/O, no awsglue).

Step 1, per input (`to_conformed`):
1. `align_columns` matches a file's keys to the declared fields case-insensitively, adds the optional
   ones a file lacks as nulls, reports the unexpected ones (and drops them), and stops on a missing
   required key.
2. `classify` parses every value into its conformed type, keeping the text it came from, and tags
   each row with the names of the quality rules it broke (`quality.rules_for`). Memberships are
   checked against the ids of the persons and organizations of the same delivery (`id_status`).
3. `split` gives the conformed rows (typed) and the quarantined ones (text, with `broken_rules`).
`observe_counts` gathers rows read (before classification), conformed, quarantined and per rule while
one action runs, so the step can check rows read == conformed + quarantined before writing anything.

Step 2: `join_memberships` (seed 004's JoinLegislators) over the conformed rows of one delivery.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame, Observation, Window
from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)
from pyspark.sql.types import ArrayType, StringType

from us_legislators.steps import quality, schemas

BROKEN_RULES = schemas.BROKEN_RULES
CORRUPT_RECORD = schemas.CORRUPT_RECORD
ROW_COUNTS = ("rows_read", "rows_conformed", "rows_quarantined")
_PARTIAL_DATE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"


class MissingKeysError(ValueError):
    """A file lacks keys its input requires."""


@dataclass(frozen=True)
class AlignedColumns:
    frame: DataFrame
    extra_columns: tuple[str, ...]
    missing_optional_columns: tuple[str, ...]


@dataclass(frozen=True)
class ConformedResult:
    classified: DataFrame
    rules: tuple[str, ...]
    extra_columns: tuple[str, ...]
    missing_optional_columns: tuple[str, ...]
    rows_read: Observation


def align_columns(raw: DataFrame, *, dataset: str) -> AlignedColumns:
    """The declared fields (text) and `corrupt_record`, from a frame with one column per JSON key.

    Keys match case-insensitively and in any order; several spellings of one key are merged (first
    non-null). A file with no JSON object at all (empty, or every line malformed) has no keys to check.
    """
    declared = schemas.fields(dataset)
    by_lower: dict[str, list[str]] = {}
    for column in raw.columns:
        if column != CORRUPT_RECORD:
            by_lower.setdefault(column.strip().lower(), []).append(column)
    missing_required = [f.key for f in declared if f.required and f.key.lower() not in by_lower]
    if by_lower and missing_required:
        raise MissingKeysError(
            f"the {dataset} file lacks required key(s) {', '.join(missing_required)} on every line; found "
            f"{', '.join(sorted(raw.columns))}. Expected Popolo {dataset} "
            f"({', '.join(f.key for f in declared)}): check that the file is named {dataset}.json "
            "in the delivery and holds one JSON object per line"
        )
    selected: list[Column] = []
    missing_optional: list[str] = []
    for field in declared:
        present = by_lower.get(field.key.lower())
        if present is None:
            missing_optional.append(field.key)
            selected.append(F.lit(None).cast(StringType()).alias(field.name))
        else:
            values = [F.col(f"`{name}`").cast(StringType()) for name in present]
            selected.append((values[0] if len(values) == 1 else F.coalesce(*values)).alias(field.name))
    corrupt = F.col(CORRUPT_RECORD) if CORRUPT_RECORD in raw.columns else F.lit(None).cast(StringType())
    known = {f.key.lower() for f in declared}
    extra = tuple(sorted(c for key, names in by_lower.items() if key not in known for c in names))
    return AlignedColumns(
        raw.select(*selected, corrupt.alias(CORRUPT_RECORD)), extra, tuple(missing_optional)
    )


def _parsed(field: schemas.Field) -> Column:
    """The conformed value of a field's text, or null when it does not parse (never an error)."""
    text = F.nullif(F.trim(F.col(field.name)), F.lit(""))
    if field.partial_date:
        valid = text.rlike(_PARTIAL_DATE) & F.expr(f"try_cast(trim(`{field.name}`) AS date)").isNotNull()
        return F.when(valid, text)
    if field.nested:
        # an array as declared; an object (which from_json would take for a one-element array), a
        # scalar or elements of another shape give null
        parsed = F.from_json(text, field.hive_type)
        return F.when(text.startswith("["), parsed)
    if field.hive_type == schemas.INT:
        number = F.expr(f"try_cast(trim(`{field.name}`) AS double)")
        whole = F.expr(f"try_cast(try_cast(trim(`{field.name}`) AS double) AS int)")
        return F.when(whole == number, whole)
    return text


def id_status(classified: DataFrame) -> DataFrame:
    """(`id`, `valid`) once per id of a classified input: valid when some row with that id conformed."""
    return (
        classified.where(F.col("id").isNotNull())
        .groupBy("id")
        .agg(F.max(F.size(BROKEN_RULES) == 0).alias("valid"))
    )


def _check_references(frame: DataFrame, dataset: str, references: Mapping[str, DataFrame]) -> DataFrame:
    for ref in schemas.REFERENCES.get(dataset, ()):
        if ref.dataset not in references:
            raise ValueError(f"{dataset} rows are checked against {ref.dataset}: pass its id_status(...)")
        ref_id, ref_valid = f"_ref_id_{ref.rule}", f"_ref_valid_{ref.rule}"
        ids = references[ref.dataset].select(F.col("id").alias(ref_id), F.col("valid").alias(ref_valid))
        frame = frame.join(F.broadcast(ids), F.col(ref.column) == F.col(ref_id), "left")
        status = (
            F.when(F.col(ref.column).isNull(), F.lit(None).cast(StringType()))
            .when(F.col(ref_id).isNull(), F.lit(quality.MISSING))
            .when(~F.col(ref_valid), F.lit(quality.QUARANTINED))
        )
        frame = frame.withColumn(quality.reference_status(ref.rule), status).drop(ref_id, ref_valid)
    return frame


def classify(
    aligned: DataFrame, *, dataset: str, references: Mapping[str, DataFrame] | None = None
) -> tuple[DataFrame, tuple[quality.QualityRule, ...]]:
    """Parsed columns, their text under `quality.raw_name(...)`, `corrupt_record` and `broken_rules`
    (array of rule names, empty when the row is valid; in rule order)."""
    declared = schemas.fields(dataset)
    frame = aligned.select(
        *[_parsed(f).alias(f.name) for f in declared],
        *[F.col(f.name).alias(quality.raw_name(f.name)) for f in declared],
        CORRUPT_RECORD,
    )
    if dataset in schemas.UNIQUE_ID:
        frame = frame.withColumn(quality.ID_COPIES, F.count(F.lit(1)).over(Window.partitionBy("id")))
    frame = _check_references(frame, dataset, references or {})
    rules = quality.rules_for(dataset)
    checks = [rule.check() for rule in rules]
    # array_except(..., [null]) drops the rules a row keeps, in rule order (no lambda: stays compiled)
    names = F.array_except(
        F.array(*[F.when(check, F.lit(rule.name)) for check, rule in zip(checks, rules, strict=True)]),
        F.array(F.lit(None).cast(StringType())),
    )
    broken = F.when(functools.reduce(operator.or_, checks), names).otherwise(
        F.array().cast(ArrayType(StringType()))
    )
    helpers = [c for c in frame.columns if c == quality.ID_COPIES or c.startswith("_ref_")]
    return frame.withColumn(BROKEN_RULES, broken).drop(*helpers), rules


def to_conformed(
    raw: DataFrame,
    *,
    dataset: str,
    source_file: str,
    run_id: str,
    delivery_id: str,
    references: Mapping[str, DataFrame] | None = None,
) -> ConformedResult:
    aligned = align_columns(raw, dataset=dataset)
    rows_read = Observation(f"{dataset}_read")
    counted = aligned.frame.observe(rows_read, F.count(F.lit(1)).alias("rows"))
    classified, rules = classify(counted, dataset=dataset, references=references)
    lineage = {"source_file": F.lit(source_file), "run_id": F.lit(run_id), "delivery_id": F.lit(delivery_id)}
    # the text of a valid row is never written: keep it only on quarantined rows
    invalid = F.size(BROKEN_RULES) > 0
    text = {
        quality.raw_name(f.name): F.when(invalid, F.col(quality.raw_name(f.name)))
        for f in schemas.fields(dataset)
    }
    return ConformedResult(
        classified=classified.withColumns({**lineage, **text}),
        rules=tuple(rule.name for rule in rules),
        extra_columns=aligned.extra_columns,
        missing_optional_columns=aligned.missing_optional_columns,
        rows_read=rows_read,
    )


def split(classified: DataFrame, *, dataset: str) -> tuple[DataFrame, DataFrame]:
    """(conformed, quarantine) rows of a classified frame (`to_conformed`'s, or the same columns read
    back from where the step staged them), each in its table's columns then `delivery_id`."""
    is_valid = F.size(BROKEN_RULES) == 0
    conformed_spec = schemas.conformed_table(dataset)
    conformed = classified.where(is_valid).select(
        *conformed_spec.column_names, *conformed_spec.partition_names
    )
    quarantine_spec = schemas.quarantine_table(dataset)
    text = {f.name: F.col(quality.raw_name(f.name)).alias(f.name) for f in schemas.fields(dataset)}
    quarantine = classified.where(~is_valid).select(
        *[text.get(name, F.col(name)) for name in quarantine_spec.column_names],
        *quarantine_spec.partition_names,
    )
    return conformed, quarantine


@dataclass(frozen=True)
class Counts:
    rows_read: int
    rows_conformed: int
    rows_quarantined: int
    quarantined_by_rule: dict[str, int]

    def reconciles(self) -> bool:
        return self.rows_read == self.rows_conformed + self.rows_quarantined

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def observe_counts(result: ConformedResult) -> tuple[DataFrame, Callable[[], Counts]]:
    """The classified frame with its counts gathered while an action on it runs (no pass of their own),
    and a function returning them once that action has finished. Rows read are counted before
    classification (and its joins), so a row lost or repeated on the way fails the reconciliation."""
    broken = F.col(BROKEN_RULES)
    valid = F.size(broken) == 0
    observation = Observation("classified_counts")
    observed = result.classified.observe(
        observation,
        F.count_if(valid).alias("conformed"),
        F.count_if(~valid).alias("quarantined"),
        *[
            F.count_if(F.array_contains(broken, F.lit(r))).alias(f"rule_{i}")
            for i, r in enumerate(result.rules)
        ],
    )

    def counts() -> Counts:
        metrics = observation.get
        by_rule = {rule: int(metrics[f"rule_{i}"]) for i, rule in enumerate(result.rules)}
        return Counts(
            rows_read=int(result.rows_read.get["rows"]),
            rows_conformed=int(metrics["conformed"]),
            rows_quarantined=int(metrics["quarantined"]),
            quarantined_by_rule={rule: rows for rule, rows in sorted(by_rule.items()) if rows},
        )

    return observed, counts


def count(result: ConformedResult) -> Counts:
    """`observe_counts` over a pass of their own (nothing is written)."""
    observed, counts = observe_counts(result)
    observed.write.format("noop").mode("overwrite").save()
    return counts()


def total_counts(per_input: Mapping[str, Counts]) -> dict[str, Any]:
    """The report's rows_* summed over the inputs, and quarantined_by_rule summed by rule name."""
    by_rule: Counter[str] = Counter()
    for counts in per_input.values():
        by_rule.update(counts.quarantined_by_rule)
    totals = {key: sum(getattr(c, key) for c in per_input.values()) for key in ROW_COUNTS}
    return {**totals, "quarantined_by_rule": dict(sorted(by_rule.items()))}


def join_memberships(
    persons: DataFrame, memberships: DataFrame, organizations: DataFrame, *, run_id: str
) -> DataFrame:
    """JoinLegislators over conformed rows: persons.id = memberships.person_id, then
    organizations (renamed, `schemas.ORG_RENAMES`) org_id = organization_id; person_id and org_id
    dropped. Step 1 quarantined every membership whose person or organization is not conformed, so
    these inner joins drop nothing; step 2 checks that. Lineage is the membership's."""
    lineage = [name for name, _ in schemas.LINEAGE] + ["delivery_id"]
    people = persons.drop(*lineage)
    orgs = organizations.drop(*lineage, *schemas.ORG_DROPPED)
    orgs = orgs.select(*[F.col(c).alias(schemas.ORG_RENAMES.get(c, c)) for c in orgs.columns])
    joined = (
        people.join(memberships, people["id"] == memberships["person_id"])
        .join(orgs, orgs["org_id"] == memberships["organization_id"])
        .drop("person_id", "org_id")
        .withColumn("run_id", F.lit(run_id))
    )
    spec = schemas.joined_table()
    return joined.select(*spec.column_names, *spec.partition_names)
