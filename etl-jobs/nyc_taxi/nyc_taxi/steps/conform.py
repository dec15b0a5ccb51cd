"""raw -> conformed: pure DataFrame transforms (no I/O, no awsglue).

1. `align_columns` matches a file's columns to the dataset's published columns (case-insensitive, so
   `Airport_fee` and `airport_fee` are one column), renames them to snake_case, adds the optional columns
   a file lacks as nulls, reports the unexpected ones, and stops on a missing required column.
2. `classify` parses every column into its conformed type, keeping the text it came from, and tags each
   row with the names of the quality rules it broke (`quality.rules_for`).
3. `to_conformed` splits the classified rows: valid ones typed, with pickup year/month partitions;
   invalid ones as text with `broken_rules`. Both carry the source file, the run id and the source key.

A value that does not parse never becomes a silent null: parsing uses `try_cast` (null on failure, in
ANSI mode too) and the `unparseable_<column>` rule compares the parsed value with the text.
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
from pyspark.sql.types import ArrayType, StringType

from nyc_taxi.steps import quality, schemas

# Timestamps: whatever Spark's cast accepts (ISO `2021-01-01 00:30:10`, with `T`, with fractions),
# then the US format some older TLC exports used.
_TIMESTAMP_FALLBACK_FORMATS = ("MM/dd/yyyy hh:mm:ss a", "MM/dd/yyyy HH:mm:ss", "MM/dd/yyyy HH:mm")
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


class MissingColumnsError(ValueError):
    """A file lacks columns the dataset requires."""


@dataclass(frozen=True)
class AlignedColumns:
    frame: DataFrame
    extra_columns: tuple[str, ...]
    missing_optional_columns: tuple[str, ...]


@dataclass(frozen=True)
class ConformedResult:
    classified: DataFrame
    conformed: DataFrame
    quarantine: DataFrame
    rules: tuple[str, ...]
    extra_columns: tuple[str, ...]
    missing_optional_columns: tuple[str, ...]


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


def align_columns(raw: DataFrame, *, dataset: str) -> AlignedColumns:
    specs = schemas.raw_columns(dataset)
    by_lower: dict[str, str] = {}
    for column in raw.columns:
        key = column.strip().lower()
        if key in by_lower:
            raise ValueError(
                f"columns {by_lower[key]!r} and {column!r} differ only by case or spaces: "
                "keep one of them in the file"
            )
        by_lower[key] = column
    missing_required = [s.published for s in specs if s.required and s.published.lower() not in by_lower]
    if missing_required:
        raise MissingColumnsError(
            f"{dataset} file lacks required column(s) {', '.join(missing_required)}; found "
            f"{', '.join(raw.columns) or 'no columns'}. Expected the TLC {dataset} columns "
            f"({', '.join(s.published for s in specs)}); is the dataset folder right?"
        )
    known = {s.published.lower() for s in specs}
    selected: list[Column] = []
    missing_optional: list[str] = []
    for spec in specs:
        present = by_lower.get(spec.published.lower())
        if present is None:
            missing_optional.append(spec.published)
            selected.append(F.lit(None).cast(StringType()).alias(spec.name))
        else:
            selected.append(F.col(f"`{present}`").alias(spec.name))
    extra = tuple(sorted(c for c in raw.columns if c.strip().lower() not in known))
    return AlignedColumns(raw.select(*selected), extra, tuple(missing_optional))


def _parsed(name: str, hive_type: str) -> Column:
    column = f"`{name}`"
    if hive_type == schemas.INT:
        number = F.expr(f"try_cast({column} AS double)")
        whole = number.isNotNull() & (number == F.floor(number)) & number.between(_INT_MIN, _INT_MAX)
        return F.when(whole, number.cast("int"))
    if hive_type == schemas.DOUBLE:
        number = F.expr(f"try_cast({column} AS double)")
        return F.when(~F.isnan(number) & (F.abs(number) < F.lit(float("inf"))), number)
    if hive_type == schemas.TIMESTAMP:
        text = F.trim(F.col(column).cast("string"))
        fallbacks = [F.try_to_timestamp(text, F.lit(fmt)) for fmt in _TIMESTAMP_FALLBACK_FORMATS]
        return F.coalesce(F.expr(f"try_cast({column} AS timestamp)"), *fallbacks)
    if hive_type == schemas.STRING:
        return F.trim(F.col(column).cast("string"))
    # decimals (money): an overflow or a non-number gives null, caught by unparseable_<column>
    return F.expr(f"try_cast({column} AS {hive_type})")


def classify(
    aligned: DataFrame, *, dataset: str, file_month: quality.FileMonth | None
) -> tuple[DataFrame, tuple[quality.QualityRule, ...]]:
    """Parsed columns, their text under `quality.raw_name(...)`, and `broken_rules` (array of names)."""
    specs = schemas.raw_columns(dataset)
    with_text = aligned.select(
        *[F.col(s.name) for s in specs],
        *[F.col(s.name).cast("string").alias(quality.raw_name(s.name)) for s in specs],
    )
    parsed = with_text.select(
        *[_parsed(s.name, s.hive_type).alias(s.name) for s in specs],
        *[F.col(quality.raw_name(s.name)) for s in specs],
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
    raw: DataFrame,
    *,
    dataset: str,
    source_file: str,
    run_id: str,
    file_month: quality.FileMonth | None,
) -> ConformedResult:
    aligned = align_columns(raw, dataset=dataset)
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
