"""raw -> conformed: pure DataFrame transforms (no I/O, no awsglue).

1. `align_columns` matches the columns a file stores (`storage.InputFile`, read by the framework by name
   and meaning) to the dataset's published columns, case-insensitively (`Airport_fee` is `airport_fee`),
   in any order; adds the optional columns a file lacks as nulls; keeps the unexpected ones out (reported);
   and stops with `storage.UnreadableInputError` on a missing required column. Two columns of one file
   that name the same column (`airport_fee` and `Airport_fee`, as pandas writes months concatenated) are
   merged: the first non-empty value counts, and a row where they differ is quarantined
   (`conflicting_values`). Every column's fate is recorded for the run report (`ColumnUse`).
2. `classify` turns every column into its conformed type by meaning, whatever its stored type: integers
   from any integer, whole decimals or whole floats in range, or text; money from any number or text;
   timestamps from Parquet timestamps (wall-clock as stored; UTC instants become New York time) or from
   text in the forms `job_family.glue.runtime.values` accepts. It keeps the text each value came from and
   tags each row with the quality rules it broke (`quality.rules_for`).
3. `to_conformed` splits the classified rows: valid ones typed, with pickup year/month partitions;
   invalid ones as text with `broken_rules`. Both carry the source file, the run id and the source key.

A value that does not convert never becomes a silent null and never fails the file: conversions use
`try_cast` or checked parts (null on failure, in ANSI mode too) and the `unparseable_<column>` rule
compares the converted value with the text.
"""

from __future__ import annotations

import functools
import json
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Observation
from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)
from pyspark.sql.types import (
    ArrayType,
    DataType,
    DecimalType,
    DoubleType,
    FloatType,
    IntegralType,
    StringType,
    TimestampNTZType,
    TimestampType,
)

from job_family.glue.runtime import storage, values
from nyc_taxi.steps import quality, schemas

# TLC's times are New York wall-clock times; an instant (a timestamp with an offset) is converted to it.
LOCAL_ZONE = "America/New_York"
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_SAFE_KEY = re.compile(r"[^A-Za-z0-9._-]+")
_MONTH_IN_NAME = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?!\d)")

BROKEN_RULES = "broken_rules"

# Set while the classified rows are computed. Parsing about 20 columns and checking 28 rules in one
# projection would compile to whole-stage methods over 8,000 bytes of bytecode, which the JVM never
# JIT-compiles (its HugeMethodLimit): they would run interpreted, 3-5x slower. Per-expression code is
# split into small compiled methods (1M rows: 19.6 s -> 4.0 s per pass), and skipping the whole-stage
# attempt also saves compiling it (~1.5 s a run). Only for this stage: aggregations are faster whole-stage.
CLASSIFY_CONF = {"spark.sql.codegen.wholeStage": "false"}

# What was done with each column, for the run report: the framework's record and actions.
ColumnUse = storage.ColumnUse
KEPT, CAST, RENAMED, MISSING, EXTRA = (
    storage.KEPT,
    storage.CAST,
    storage.RENAMED,
    storage.MISSING,
    storage.EXTRA,
)

# A file lacks columns the dataset requires: the framework's one error for files that cannot be read
# (its type name is what the audit item's cause starts with).
MissingColumnsError = storage.UnreadableInputError


@dataclass(frozen=True)
class AlignedColumns:
    frame: DataFrame
    extra_columns: tuple[str, ...]
    missing_optional_columns: tuple[str, ...]
    columns: tuple[ColumnUse, ...] = ()


@dataclass(frozen=True)
class ConformedResult:
    classified: DataFrame
    conformed: DataFrame
    quarantine: DataFrame
    rules: tuple[str, ...]
    extra_columns: tuple[str, ...]
    missing_optional_columns: tuple[str, ...]
    columns: tuple[ColumnUse, ...] = ()


def source_key(source_path: str, *, dataset: str) -> str:
    """The partition value naming a source file: its path below `<dataset>/` (or its name), with
    anything but letters, digits, `.`, `_`, `-` replaced by `_`, so it is a safe Hive partition value."""
    marker = f"/{dataset}/"
    relative = source_path.split(marker, 1)[1] if marker in source_path else source_path.rsplit("/", 1)[-1]
    key = _SAFE_KEY.sub("_", relative).strip("_")
    if not key:
        raise ValueError(f"cannot derive a source key from {source_path!r}: the path must name a file")
    return key


def file_month_from_name(source_path: str) -> quality.FileMonth | None:
    """The month in a TLC file name (`yellow_tripdata_2021-01.csv` -> 2021-01), if it has one."""
    matches = _MONTH_IN_NAME.findall(source_path.rsplit("/", 1)[-1])
    if not matches:
        return None
    year, month = (int(part) for part in matches[-1])
    return quality.FileMonth(year, month) if 1 <= month <= 12 else None


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _as_input(raw: storage.InputFile | DataFrame, source_file: str) -> storage.InputFile:
    return raw if isinstance(raw, storage.InputFile) else storage.frame_input(raw, source_file)


def _listed(names: list[str], limit: int = 25) -> str:
    shown = ", ".join(names[:limit]) or "no columns"
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def align_columns(
    raw: storage.InputFile | DataFrame, *, dataset: str, source_file: str = ""
) -> AlignedColumns:
    """One column per conformed column (the stored value, typed as read) and its text under
    `quality.raw_name(...)`, plus `storage.ROW_PROBLEM` and `quality.CONFLICTS`."""
    source = _as_input(raw, source_file or "the file")
    specs = schemas.raw_columns(dataset)
    by_key: dict[str, list[storage.StoredColumn]] = {}
    for column in source.columns:
        by_key.setdefault(column.name.strip().lower(), []).append(column)
    missing_required = [s.published for s in specs if s.required and s.published.lower() not in by_key]
    if missing_required:
        found = [c.name for c in source.columns]
        action = (
            f"upload it with TLC's {dataset} header row, or under the folder of the dataset it belongs to"
        )
        if not any(s.published.lower() in by_key for s in specs):
            raise MissingColumnsError(
                source.path,
                f"has none of the {dataset} column names on its header line (it starts: {_listed(found, 5)})",
                action,
            )
        raise MissingColumnsError(
            source.path,
            f"lacks required column(s) {', '.join(missing_required)} of {dataset} "
            f"(it has {len(found)}: {_listed(found)})",
            action,
        )
    types = {c.field: source.frame.schema[c.field].dataType for c in source.columns if c.field}
    known = {s.published.lower() for s in specs}
    selected: list[Column] = []
    conflicts: list[Column] = []
    uses: list[ColumnUse] = []
    missing_optional: list[str] = []
    for spec in specs:
        present = by_key.get(spec.published.lower(), [])
        unreadable = [c for c in present if c.field is None]
        if unreadable:
            column = unreadable[0]
            raise storage.UnreadableInputError(
                source.path,
                f"stores column {column.name} as {column.stored_type}, which cannot be read ({column.unreadable})",
                f"store {column.name} as a {_kind(spec.hive_type)} and upload the file again",
            )
        if not present:
            missing_optional.append(spec.published)
            selected += [
                F.lit(None).cast(StringType()).alias(spec.name),
                F.lit(None).cast(StringType()).alias(quality.raw_name(spec.name)),
            ]
            uses.append(
                ColumnUse(spec.published, None, spec.name, spec.hive_type, MISSING, "null in every row")
            )
            continue
        value, text, conflict = _merged(present, types)
        selected += [value.alias(spec.name), text.alias(quality.raw_name(spec.name))]
        if conflict is not None:
            conflicts.append(F.when(conflict, F.lit(spec.name)))
        for i, column in enumerate(present):
            uses.append(_use(column, spec, types[column.field] if column.field else None, merged=i > 0))
    extra = [c for c in source.columns if c.name.strip().lower() not in known]
    for column in extra:
        uses.append(
            ColumnUse(column.name, column.stored_type, None, None, EXTRA, column.unreadable or "not written")
        )
    order = {id(c): i for i, c in enumerate(source.columns)}
    uses.sort(key=lambda use: _file_position(use, source.columns, order))
    conflict_names = F.concat_ws(", ", *conflicts) if conflicts else F.lit("")
    frame = source.frame.select(
        *selected,
        F.col(storage.ROW_PROBLEM),
        F.when(conflict_names != "", conflict_names).alias(quality.CONFLICTS),
    )
    return AlignedColumns(frame, tuple(sorted(c.name for c in extra)), tuple(missing_optional), tuple(uses))


def _file_position(use: ColumnUse, columns: tuple[storage.StoredColumn, ...], order: dict[int, int]) -> int:
    if use.action == MISSING:
        return len(columns)
    for column in columns:
        if column.name == use.name and column.stored_type == use.type:
            return order[id(column)]
    return len(columns)


def _kind(hive_type: str) -> str:
    return {
        schemas.TIMESTAMP: "timestamp (or text such as 2021-01-01 00:30:10)",
        schemas.INT: "integer",
        schemas.DOUBLE: "number",
        schemas.STRING: "text",
    }.get(hive_type, "number")


def _merged(
    present: list[storage.StoredColumn], types: dict[str, DataType]
) -> tuple[Column, Column, Column | None]:
    """(value, text, conflict) of the file columns that name one conformed column."""
    texts = [
        F.coalesce(F.col(c.text), F.col(c.field).cast("string")) if c.text else F.col(c.field).cast("string")
        for c in present
        if c.field
    ]
    fields = [c.field for c in present if c.field]
    if len(fields) == 1:
        return F.col(fields[0]), texts[0], None
    same_type = len({types[f].simpleString() for f in fields}) == 1
    blank = [t.isNull() | (F.trim(t) == "") for t in texts]
    text = F.coalesce(*[F.when(~b, t) for b, t in zip(blank, texts, strict=True)])
    value = (
        F.coalesce(*[F.when(~b, F.col(f)) for b, f in zip(blank, fields, strict=True)]) if same_type else text
    )
    pairs = [
        ~blank[i] & ~blank[j] & (F.trim(texts[i]) != F.trim(texts[j]))
        for i in range(len(texts))
        for j in range(i + 1, len(texts))
    ]
    return value, text, functools.reduce(operator.or_, pairs)


def _use(
    column: storage.StoredColumn, spec: schemas.RawColumn, read_as: DataType | None, *, merged: bool
) -> ColumnUse:
    notes = [column.note] if column.note else []
    if isinstance(read_as, TimestampType) and spec.hive_type == schemas.TIMESTAMP:
        notes.append(f"UTC instants converted to {LOCAL_ZONE} wall-clock time")
    if merged:
        notes.append(f"merged with the first column named {spec.published}; differing values quarantined")
    if column.name != spec.published:
        action = RENAMED
    elif read_as is not None and read_as.simpleString() == spec.hive_type:
        action = KEPT
    else:
        action = CAST
    return ColumnUse(column.name, column.stored_type, spec.name, spec.hive_type, action, "; ".join(notes))


def _try_cast(sql: str, hive_type: str) -> Column:
    return F.expr(f"try_cast({sql} AS {hive_type})")


def _whole_int(number: Column) -> Column:
    """An int from a number holding a whole value in the int range, else null (NaN and infinities are
    out of every range)."""
    return F.when(number.between(_INT_MIN, _INT_MAX) & (number == F.floor(number)), number.cast("int"))


def _finite(number: Column) -> Column:
    return F.when(~F.isnan(number) & (F.abs(number) < F.lit(float("inf"))), number)


def _parsed(name: str, hive_type: str, read_as: DataType) -> Column:
    """The conformed value of column `name` (read as `read_as`) by meaning; null when it is not one."""
    value = F.col(_quoted(name))
    text_sql = f"trim({_quoted(quality.raw_name(name))})"
    is_text = isinstance(read_as, StringType)
    # a float's digits as written (2.1f is 2.0999999046325684 as a double)
    as_written = f"cast({_quoted(name)} AS string)" if isinstance(read_as, FloatType) else _quoted(name)
    if hive_type == schemas.STRING:
        return F.trim(value.cast("string"))
    if hive_type == schemas.TIMESTAMP:
        if isinstance(read_as, TimestampNTZType):
            return value.cast("timestamp")
        if isinstance(read_as, TimestampType):
            return F.from_utc_timestamp(value, LOCAL_ZONE)
        if is_text:
            return values.timestamp_from_text(quality.raw_name(name), local_zone=LOCAL_ZONE)
        return F.lit(None).cast("timestamp")  # a date, a bare number, a boolean: not a time
    numeric = isinstance(read_as, IntegralType | DecimalType | DoubleType | FloatType)
    if hive_type == schemas.INT:
        if isinstance(read_as, IntegralType):
            return F.when(value.between(_INT_MIN, _INT_MAX), value.cast("int"))
        if isinstance(read_as, DecimalType):
            return F.when(value.between(_INT_MIN, _INT_MAX) & (value == F.floor(value)), value.cast("int"))
        if numeric:
            return _whole_int(_try_cast(as_written, "double"))
        if is_text:
            return _whole_int(_try_cast(text_sql, "double"))
        return F.lit(None).cast("int")
    if hive_type == schemas.DOUBLE:
        if numeric:
            return _finite(_try_cast(as_written, "double"))
        if is_text:
            return _finite(_try_cast(text_sql, "double"))
        return F.lit(None).cast("double")
    # decimals (money): an overflow, a NaN or a non-number gives null, caught by unparseable_<column>
    if numeric:
        return _try_cast(as_written, hive_type)
    if is_text:
        return _try_cast(text_sql, hive_type)
    return F.lit(None).cast(hive_type)


def classify(
    aligned: DataFrame, *, dataset: str, file_month: quality.FileMonth | None
) -> tuple[DataFrame, tuple[quality.QualityRule, ...]]:
    """Parsed columns, their text under `quality.raw_name(...)`, and `broken_rules` (array of names).
    `aligned` is `align_columns(...).frame`."""
    specs = schemas.raw_columns(dataset)
    parsed = aligned.select(
        *[_parsed(s.name, s.hive_type, aligned.schema[s.name].dataType).alias(s.name) for s in specs],
        *[F.col(quality.raw_name(s.name)).cast("string").alias(quality.raw_name(s.name)) for s in specs],
        storage.ROW_PROBLEM,
        quality.CONFLICTS,
    )
    rules = quality.rules_for(dataset)
    context = quality.RuleContext(file_month=file_month)
    checks = [rule.check(context) for rule in rules]
    # Most rows break nothing: they get a constant empty array, and only the others build the list.
    # array_except(..., [null]) drops the rules a row keeps, in rule order. Not array_compact: that is a
    # lambda (`filter`) Spark cannot compile, which would evaluate this whole projection row by row.
    names = F.array_except(
        F.array(*[F.when(check, F.lit(rule.name)) for check, rule in zip(checks, rules, strict=True)]),
        F.array(F.lit(None).cast(StringType())),
    )
    broken = F.when(functools.reduce(operator.or_, checks), names).otherwise(
        F.array().cast(ArrayType(StringType()))
    )
    return parsed.withColumn(BROKEN_RULES, broken), rules


def to_conformed(
    raw: storage.InputFile | DataFrame,
    *,
    dataset: str,
    source_file: str,
    run_id: str,
    file_month: quality.FileMonth | None,
) -> ConformedResult:
    """`raw`: the file as `storage.read_input` read it, or a frame of its columns (tests)."""
    aligned = align_columns(raw, dataset=dataset, source_file=source_file)
    classified, rules = classify(aligned.frame, dataset=dataset, file_month=file_month)
    classified = classified.withColumns(
        {
            "source_file": F.lit(source_file),
            "run_id": F.lit(run_id),
            "pickup_year": F.year("pickup_datetime"),
            "pickup_month": F.month("pickup_datetime"),
            "source_key": F.lit(source_key(source_file, dataset=dataset)),
        }
    )
    # The text of a valid row is never written: keep it only on quarantined rows, so the frame the job
    # stages holds the typed values plus a few percent of text, not every value twice.
    classified = classified.withColumns(
        {
            quality.raw_name(s.name): F.when(F.size(BROKEN_RULES) > 0, F.col(quality.raw_name(s.name)))
            for s in schemas.raw_columns(dataset)
        }
    )
    conformed, quarantine = split(classified, dataset=dataset)
    return ConformedResult(
        classified=classified,
        conformed=conformed,
        quarantine=quarantine,
        rules=tuple(rule.name for rule in rules),
        extra_columns=aligned.extra_columns,
        missing_optional_columns=aligned.missing_optional_columns,
        columns=aligned.columns,
    )


def split(classified: DataFrame, *, dataset: str) -> tuple[DataFrame, DataFrame]:
    """(conformed, quarantine) rows of a classified frame (`to_conformed`'s, or the same columns read
    back from where the job staged them): valid rows typed, in the conformed table's columns; the others
    as the file's text with `broken_rules`, in the quarantine table's columns."""
    is_valid = F.size(BROKEN_RULES) == 0
    conformed_spec = schemas.conformed_table(dataset)
    quarantine_spec = schemas.quarantine_table(dataset)
    conformed = classified.where(is_valid).select(
        *conformed_spec.column_names, *conformed_spec.partition_names
    )
    quarantine = classified.where(~is_valid).select(
        *[F.col(quality.raw_name(s.name)).alias(s.name) for s in schemas.raw_columns(dataset)],
        BROKEN_RULES,
        *[name for name, _ in schemas.LINEAGE],
        *quarantine_spec.partition_names,
    )
    return conformed, quarantine


@dataclass(frozen=True)
class Counts:
    rows_classified: int
    rows_conformed: int
    rows_quarantined: int
    quarantined_by_rule: dict[str, int]
    partitions: list[dict[str, int]]


def observe_counts(classified: DataFrame, rules: tuple[str, ...]) -> tuple[DataFrame, Callable[[], Counts]]:
    """The classified frame with its counts gathered while an action on it runs (no pass of their own),
    and a function returning them once that action has finished: rows classified, conformed and
    quarantined, rows per broken rule, and the pickup months of the conformed rows. A row that is neither
    valid nor invalid would make `rows_conformed + rows_quarantined` fall short of `rows_classified`,
    which the job checks before writing."""
    broken = F.col(BROKEN_RULES)
    valid = F.size(broken) == 0
    observation = Observation("classified_counts")
    observed = classified.observe(
        observation,
        F.count(F.lit(1)).alias("rows"),
        F.count_if(valid).alias("conformed"),
        F.count_if(~valid).alias("quarantined"),
        # as JSON text: PySpark hands an observed array over as an unconverted Java object
        F.to_json(F.collect_set(F.when(valid, F.struct("pickup_year", "pickup_month")))).alias("months"),
        *[
            F.count_if(F.array_contains(broken, F.lit(rule))).alias(f"rule_{i}")
            for i, rule in enumerate(rules)
        ],
    )

    def counts() -> Counts:
        metrics = observation.get
        by_rule = {rule: int(metrics[f"rule_{i}"]) for i, rule in enumerate(rules)}
        months = sorted((m["pickup_year"], m["pickup_month"]) for m in json.loads(metrics["months"]))
        return Counts(
            rows_classified=int(metrics["rows"]),
            rows_conformed=int(metrics["conformed"]),
            rows_quarantined=int(metrics["quarantined"]),
            quarantined_by_rule={rule: rows for rule, rows in sorted(by_rule.items()) if rows},
            partitions=[{"pickup_year": year, "pickup_month": month} for year, month in months],
        )

    return observed, counts


def count(classified: DataFrame, rules: tuple[str, ...]) -> Counts:
    """`observe_counts` over a pass of their own (nothing is written)."""
    observed, counts = observe_counts(classified, rules)
    observed.write.format("noop").mode("overwrite").save()
    return counts()
