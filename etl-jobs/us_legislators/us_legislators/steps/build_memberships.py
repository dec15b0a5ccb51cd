"""Glue step 2, build_memberships: join one delivery's conformed inputs and run the rules (SQL) over it.

- The delivery comes from conform_delivery's report of the same run (`<report_path>/<run_id>/
  conform_delivery.json`); only its `delivery_id` partitions are read (by folder, never a whole table),
  and only its partitions are rewritten (dynamic overwrite), or removed when they come out empty.
- `legislator_memberships` is seed 004's JoinLegislators (`transforms.join_memberships`). Step 1 has
  quarantined every membership whose person or organization is not conformed, so the inner joins drop
  nothing: the step checks joined rows == conformed memberships before writing anything.
- The rules are the `*.sql` files under `rules_path` (the code bucket on AWS, `rules/` locally), read at
  run time. Each sees two views, `legislator_memberships` (the joined rows just written) and
  `organizations` (the delivery's conformed organizations), must return the columns declared for it in
  `schemas.PURPOSE_BUILT_RULES` then `delivery_id`, and writes the table named like the rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from job_family.glue.runtime import catalog, job_runtime, report, storage
from job_family.glue.runtime.arguments import report_key
from job_family.spec import TableSpec
from us_legislators.spec import BUILD_MEMBERSHIPS, CONFORM_DELIVERY
from us_legislators.steps import lake, schemas, transforms
from us_legislators.steps.conform_delivery import ReconciliationError, default_glue_client

STEP = BUILD_MEMBERSHIPS  # the contract this script runs (the framework's contract tests check it)
MEMBERSHIPS_VIEW = schemas.JOINED
ORGANIZATIONS_VIEW = "organizations"


class RuleSchemaError(ValueError):
    """A rule's SQL returns other columns or types than its declared table."""


def check_rule_output(frame: DataFrame, spec: TableSpec) -> DataFrame:
    expected = [*spec.columns, *spec.partition_keys]
    actual = [(field.name, field.dataType.simpleString()) for field in frame.schema.fields]
    if actual != expected:
        raise RuleSchemaError(
            f"rules/{spec.name}.sql returns {actual}, but table {spec.name} declares {expected}: change the "
            "SELECT list (names, order, CASTs) or the declaration in schemas.PURPOSE_BUILT_RULES"
        )
    return frame


def run(
    spark: SparkSession,
    *,
    run_id: str,
    conformed_path: str,
    purpose_built_path: str,
    rules_path: str,
    report_path: str,
    database: str,
    glue_factory: Callable[[], Any] = default_glue_client,
) -> dict[str, Any]:
    durations = report.Durations()
    upstream_path = report_key(report_path, run_id, CONFORM_DELIVERY.name)
    upstream = json.loads(storage.read_text(spark, upstream_path))
    delivery_id = str(upstream["delivery_id"])

    with durations.phase("read_rules"):
        rules = {
            name.removesuffix(".sql"): sql
            for name, sql in sorted(storage.read_texts(spark, f"{rules_path.rstrip('/')}/*.sql").items())
        }
    if not rules:
        raise FileNotFoundError(f"no transformation rules (*.sql) under {rules_path}")
    specs = {rule: schemas.purpose_built_table(rule) for rule in rules}

    with durations.phase("join"):
        conformed = {
            d: lake.read_partition(spark, schemas.conformed_table(d), conformed_path, delivery_id)
            for d in schemas.DATASET_NAMES
        }
        joined = transforms.join_memberships(
            conformed["persons"], conformed["memberships"], conformed["organizations"], run_id=run_id
        )
        rows_read = conformed["memberships"].count()
        rows_joined = joined.count()
    if rows_joined != rows_read:
        raise ReconciliationError(
            f"delivery {delivery_id}: {rows_read} conformed memberships but {rows_joined} joined rows "
            "(a person or organization missing, or an id repeated); nothing was written"
        )

    rows_by_table: dict[str, int] = {}
    updates: list[catalog.CatalogUpdate] = []

    def write(spec: TableSpec, frame: DataFrame) -> None:
        rows_by_table[spec.name], update = lake.write_partition(
            spark, frame, spec, purpose_built_path, delivery_id
        )
        updates.append(update)

    with durations.phase("write_joined"):
        write(schemas.joined_table(), joined)
    written = lake.read_partition(spark, schemas.joined_table(), purpose_built_path, delivery_id)
    written.createOrReplaceTempView(MEMBERSHIPS_VIEW)
    conformed["organizations"].createOrReplaceTempView(ORGANIZATIONS_VIEW)
    for rule, sql in rules.items():
        with durations.phase(f"rule_{rule}"):
            write(specs[rule], check_rule_output(spark.sql(sql), specs[rule]))

    with durations.phase("catalog"):
        catalog_result = catalog.apply(glue_factory, database=database, updates=updates)

    return report.finish(
        spark,
        step=BUILD_MEMBERSHIPS.name,
        run_id=run_id,
        report_path=report_path,
        durations=durations,
        catalog=catalog_result,
        fields={
            "dataset": "delivery",
            "delivery_id": delivery_id,
            "source_path": upstream.get("source_path"),
            "rows_read": rows_read,
            "rows_written": sum(rows_by_table.values()),
            "rows_by_rule": {rule: rows_by_table[rule] for rule in rules},
            "rows_by_table": rows_by_table,
            "partitions": [{"delivery_id": delivery_id}],
            "outputs": {name: schemas.table(name).location(purpose_built_path) for name in rows_by_table},
        },
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return job_runtime.run_job(BUILD_MEMBERSHIPS, run, argv)


if __name__ == "__main__":
    main()
