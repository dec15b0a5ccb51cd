"""Pure DataFrame transforms of the us_legislators steps (no I/O, no awsglue).

Step 1, per input (`to_conformed`):
1. `align_columns` matches a file's keys (as the framework read them, `storage.InputFile`) to the
   declared fields case-insensitively, adds the optional ones a file lacks as nulls, reports the
   unexpected ones (and drops them), records what was done with each key (`storage.ColumnUse`), and
   stops on a required key absent from every line (`storage.UnreadableInputError`).
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
import itertools
import operator
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pyspark.sql import Column, DataFrame, Observation, Window
from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)
from pyspark.sql.types import ArrayType, DataType, StringType, StructType, _parse_datatype_string

from job_family.glue.runtime import job_runtime, storage
from us_legislators.steps import quality, schemas

BROKEN_RULES = schemas.BROKEN_RULES
CORRUPT_RECORD = schemas.CORRUPT_RECORD
ROW_COUNTS = ("rows_read", "rows_conformed", "rows_quarantined")
# Set while an action gathers observed counts over a plan with a shuffle (the duplicate-id window, the
# reference joins, a repartition): when the shuffle turns out empty, adaptive execution would replace
# what follows it by an empty relation, dropping the counts' collection with it (Spark 4.1 then fails
# to hand them over); without that rule the counts of an input with no rows are zeros.
COUNT_CONF = {
    "spark.sql.adaptive.optimizer.excludedRules": "org.apache.spark.sql.execution.adaptive.AQEPropagateEmptyRelation"
}
_PARTIAL_DATE = r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$"
_OBSERVATIONS = itertools.count(1)


# A file lacks keys its input requires: the framework's one error for files that cannot be read (its
# one-line message names the file, the problem and what to do; it is the audit item's cause).
MissingKeysError = storage.UnreadableInputError


@dataclass(frozen=True)
class AlignedColumns:
    frame: DataFrame
    extra_columns: tuple[str, ...]
    missing_optional_columns: tuple[str, ...]
    columns: tuple[storage.ColumnUse, ...] = ()


@dataclass(frozen=True)
class ConformedResult:
    classified: DataFrame
    rules: tuple[str, ...]
    extra_columns: tuple[str, ...]
    missing_optional_columns: tuple[str, ...]
    rows_read: Observation
    columns: tuple[storage.ColumnUse, ...] = ()


def as_input(raw: storage.InputFile | DataFrame, source_file: str = "the file") -> storage.InputFile:
    """A file as `storage.reading` reads it; a frame of one text column per key and `corrupt_record`
    (the tests' rows) stands in for one."""
    if isinstance(raw, storage.InputFile):
        return raw
    keys = [c for c in raw.columns if c != CORRUPT_RECORD]
    corrupt = F.col(CORRUPT_RECORD) if CORRUPT_RECORD in raw.columns else F.lit(None).cast(StringType())
    frame = raw.select(
        *[F.col(f"`{key}`").alias(f"c{i}") for i, key in enumerate(keys)],
        corrupt.alias(storage.CORRUPT_LINE),
        F.lit(None).cast(StringType()).alias(storage.ROW_PROBLEM),
    )
    columns = tuple(
        storage.StoredColumn(key, raw.schema[key].dataType.simpleString(), f"c{i}")
        for i, key in enumerate(keys)
    )
    return storage.InputFile(source_file, "frame", frame, columns, {"format": "frame"})


def _normal(data_type: DataType) -> str:
    """A type's text with struct fields in name order (JSON inference sorts them), for comparing."""
    if isinstance(data_type, StructType):
        fields = sorted(data_type.fields, key=lambda f: f.name.lower())
        return "struct<" + ",".join(f"{f.name.lower()}:{_normal(f.dataType)}" for f in fields) + ">"
    if isinstance(data_type, ArrayType):
        return f"array<{_normal(data_type.elementType)}>"
    return data_type.simpleString()


def _declared_type(field: schemas.Field) -> DataType:
    return _parse_datatype_string(field.hive_type)


def _use(column: storage.StoredColumn, field: schemas.Field, *, merged: bool) -> storage.ColumnUse:
    notes = ["merged with the first spelling of the key; the first non-null value counts"] if merged else []
    if field.nested:
        notes.append("JSON text parsed as the declared type; another shape quarantines the row")
    elif field.partial_date:
        notes.append("validated as YYYY-MM-DD, YYYY-MM or YYYY; kept as text")
    if column.name != field.key:
        action = storage.RENAMED
    else:
        same = _normal(_parse_datatype_string(column.stored_type)) == _normal(_declared_type(field))
        action = storage.KEPT if same else storage.CAST
    return storage.ColumnUse(
        column.name, column.stored_type, field.name, field.hive_type, action, "; ".join(notes)
    )


def align_columns(
    raw: storage.InputFile | DataFrame, *, dataset: str, source_file: str = "the file"
) -> AlignedColumns:
    """The declared fields (text) and `corrupt_record`, from a file's keys as stored.

    Keys match case-insensitively (and ignoring surrounding spaces) in any order; several spellings of
    one key are merged (first non-null). A required key absent from every line stops the run with
    `storage.UnreadableInputError`; a file with no key at all (no line, or blank lines only) has no
    rows and nothing to check. Every key's fate is recorded for the run report (`storage.ColumnUse`).
    """
    source = as_input(raw, source_file)
    declared = schemas.fields(dataset)
    by_lower: dict[str, list[storage.StoredColumn]] = {}
    for column in source.columns:
        by_lower.setdefault(column.name.strip().lower(), []).append(column)
    missing_required = [f.key for f in declared if f.required and f.key.lower() not in by_lower]
    if by_lower and missing_required:
        found = [c.name for c in source.columns]
        raise MissingKeysError(
            source.path,
            f"lacks required key(s) {', '.join(missing_required)} of Popolo {dataset} on every line "
            f"(its keys: {', '.join(found[:20])}{' ...' if len(found) > 20 else ''})",
            f"deliver the {dataset} file (keys {', '.join(f.key for f in declared if f.required)} on each "
            f"line, one JSON object per line) as {dataset}.json in the delivery folder",
        )
    selected: list[Column] = []
    uses: list[storage.ColumnUse] = []
    missing_optional: list[str] = []
    for field in declared:
        present = by_lower.get(field.key.lower(), [])
        if not present:
            missing_optional.append(field.key)
            selected.append(F.lit(None).cast(StringType()).alias(field.name))
            uses.append(
                storage.ColumnUse(
                    field.key, None, field.name, field.hive_type, storage.MISSING, "null in every row"
                )
            )
            continue
        values = [F.col(c.field).cast(StringType()) for c in present if c.field]
        selected.append((values[0] if len(values) == 1 else F.coalesce(*values)).alias(field.name))
        uses += [_use(column, field, merged=i > 0) for i, column in enumerate(present)]
    known = {f.key.lower() for f in declared}
    extra = [c for c in source.columns if c.name.strip().lower() not in known]
    uses += [
        storage.ColumnUse(c.name, c.stored_type, None, None, storage.EXTRA, "not written") for c in extra
    ]
    order = {c.name: i for i, c in enumerate(source.columns)}
    uses.sort(
        key=lambda use: order.get(use.name or "", len(order)) if use.action != storage.MISSING else len(order)
    )
    frame = source.frame.select(*selected, F.col(storage.CORRUPT_LINE).alias(CORRUPT_RECORD))
    return AlignedColumns(frame, tuple(sorted(c.name for c in extra)), tuple(missing_optional), tuple(uses))


def _parsed(field: schemas.Field) -> Column:
    """The conformed value of a field's text, or null when it does not parse (never an error)."""
    # white space around a value (spaces, tabs, line breaks) is not part of it; a blank value is none
    text = F.nullif(F.regexp_replace(F.col(field.name), r"^\s+|\s+$", ""), F.lit(""))
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
    # text: a number or boolean keeps its JSON text; an object or an array (its JSON text, as read) is
    # not text and gives null (caught by unparseable_<field>)
    structured = text.rlike(r"^[\[{]") & (
        F.from_json(text, "map<string,string>").isNotNull() | F.from_json(text, "array<string>").isNotNull()
    )
    return F.when(~structured, text)


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
    raw: storage.InputFile | DataFrame,
    *,
    dataset: str,
    source_file: str,
    run_id: str,
    delivery_id: str,
    references: Mapping[str, DataFrame] | None = None,
) -> ConformedResult:
    """`raw`: the input file as `storage.reading` read it, or a frame of its keys as text (tests)."""
    aligned = align_columns(raw, dataset=dataset, source_file=source_file)
    rows_read = Observation(f"{dataset}_read_{next(_OBSERVATIONS)}")  # a name unique in the session
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
        columns=aligned.columns,
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
    with job_runtime.session_conf(observed.sparkSession, COUNT_CONF):
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
