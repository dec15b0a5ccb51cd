"""Glue job raw -> conformed: one raw trip file in, typed valid rows and quarantined rows out.

Idempotency, by layout. The conformed table is partitioned by `pickup_year / pickup_month / source_key`
(`source_key` names the raw file, see `conform.source_key`), the quarantine table by `source_key`.
Each run therefore owns exactly the partitions holding its file's rows:
- it writes them with dynamic partition overwrite, replacing only the partitions it writes; a second
  file of the same month has another `source_key`, so its rows are never touched;
- re-processing a file rewrites that file's partitions (no duplicates) and removes the ones it no longer
  produces (a corrected file with fewer months, or no quarantined rows any more), found by listing
  `*/*/source_key=<key>` folders, so no stale rows of an older version survive;
- the months touched (written or removed) go into the run report, and the purpose-built job recomputes
  exactly those months.
The price is one small extra partition level per file in a month; TLC publishes one file per dataset
and month, so a month usually holds one `source_key`.

Rows are never lost: the job counts the rows it read and refuses to write anything unless
rows read == rows conformed + rows quarantined.

Cost: the file is scanned, parsed and classified once, into a staged copy of the classified rows
(Parquet: typed values, plus the text of quarantined rows only) under
`<report_path>/<run_id>/_staging_raw_to_conformed/`; the counts are gathered while that copy is
written, both tables are written from it, and the run removes it when it ends, failed or not. Staging on
storage costs a third of what Spark's in-memory cache did here, and holds no executor memory (ADR 0010).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pyspark.sql import SparkSession

from job_family.glue.runtime import catalog, job_runtime, report, storage
from job_family.glue.runtime.arguments import report_key, staging_key
from nyc_taxi.spec import SPEC
from nyc_taxi.steps import conform, schemas

log = logging.getLogger(__name__)

STEP = SPEC.step("raw_to_conformed")


class ReconciliationError(RuntimeError):
    """Rows read != rows conformed + rows quarantined."""


def default_glue_client() -> Any:
    import boto3

    return boto3.client("glue")


def run(
    spark: SparkSession,
    *,
    source_path: str,
    dataset: str,
    run_id: str,
    conformed_path: str,
    quarantine_path: str,
    report_path: str,
    database: str,
    glue_factory: Callable[[], Any] = default_glue_client,
) -> dict[str, Any]:
    durations = report.Durations()
    schemas.raw_columns(dataset)  # fail fast on an unknown dataset
    key = conform.source_key(source_path, dataset=dataset)
    file_month = conform.file_month_from_name(source_path)
    if file_month is None:
        log.warning("no YYYY-MM in %s: rule pickup_outside_file_month is not applied", source_path)

    staging = staging_key(report_path, run_id, STEP.name)
    try:
        with durations.phase("read_and_classify"):
            raw = storage.read_input(spark, source_path)
            result = conform.to_conformed(
                raw, dataset=dataset, source_file=source_path, run_id=run_id, file_month=file_month
            )
            # One pass over the file: parsed, classified and counted while the staged copy is written.
            # That copy is a row-for-row projection of the file (no filter, no join), so its row count
            # is the number of rows read.
            observed, observed_counts = conform.observe_counts(result.classified, result.rules)
            with job_runtime.session_conf(spark, conform.CLASSIFY_CONF):
                storage.replace_parquet(observed, staging)
            counts = observed_counts()
            rows_read = counts.rows_classified
            classified = spark.read.parquet(staging)
        if rows_read != counts.rows_conformed + counts.rows_quarantined:
            raise ReconciliationError(
                f"{source_path}: read {rows_read} rows but classified {counts.rows_conformed} conformed + "
                f"{counts.rows_quarantined} quarantined; nothing was written"
            )
        conformed, quarantine = conform.split(classified, dataset=dataset)

        conformed_spec = schemas.conformed_table(dataset)
        conformed_location = conformed_spec.location(conformed_path)
        written = [{**month, "source_key": key} for month in counts.partitions]
        written_months = {(p["pickup_year"], p["pickup_month"]) for p in counts.partitions}
        stale = [
            partition
            for partition in storage.list_partitions(
                spark, conformed_location, conformed_spec.partition_names, {"source_key": key}
            )
            if (int(partition["pickup_year"]), int(partition["pickup_month"])) not in written_months
        ]
        with durations.phase("write_conformed"):
            if written:
                storage.overwrite_partitions(conformed, conformed_location, conformed_spec.partition_names)
            storage.delete_partitions(spark, conformed_location, stale, conformed_spec.partition_names)

        quarantine_spec = schemas.quarantine_table(dataset)
        quarantine_location = quarantine_spec.location(quarantine_path)
        quarantine_partitions = [{"source_key": key}] if counts.rows_quarantined else []
        with durations.phase("write_quarantine"):
            if quarantine_partitions:
                storage.overwrite_partitions(quarantine, quarantine_location, quarantine_spec.partition_names)
                quarantine_stale: list[dict[str, str]] = []
            else:
                quarantine_stale = storage.list_partitions(
                    spark, quarantine_location, quarantine_spec.partition_names, {"source_key": key}
                )
                storage.delete_partitions(
                    spark, quarantine_location, quarantine_stale, quarantine_spec.partition_names
                )
    finally:
        storage.delete_folder(spark, staging)

    with durations.phase("catalog"):
        catalog_result = catalog.apply(
            glue_factory,
            database=database,
            updates=[
                catalog.CatalogUpdate(conformed_spec, conformed_location, written, stale),
                catalog.CatalogUpdate(
                    quarantine_spec, quarantine_location, quarantine_partitions, quarantine_stale
                ),
            ],
        )

    removed_months = [
        {"pickup_year": int(p["pickup_year"]), "pickup_month": int(p["pickup_month"])} for p in stale
    ]
    touched = sorted(
        {(p["pickup_year"], p["pickup_month"]) for p in [*counts.partitions, *removed_months]},
    )
    run_report: dict[str, Any] = {
        "step": STEP.name,
        "run_id": run_id,
        "dataset": dataset,
        "source_path": source_path,
        "source_key": key,
        "format": storage.input_format(source_path),
        "file_month": str(file_month) if file_month else None,
        "rows_read": rows_read,
        "rows_conformed": counts.rows_conformed,
        "rows_quarantined": counts.rows_quarantined,
        "rows_written": counts.rows_conformed,
        "quarantined_by_rule": counts.quarantined_by_rule,
        "partitions": [{"pickup_year": year, "pickup_month": month} for year, month in touched],
        "partitions_removed": removed_months,
        "extra_columns": list(result.extra_columns),
        "missing_optional_columns": list(result.missing_optional_columns),
        "outputs": {"conformed": conformed_location, "quarantine": quarantine_location},
        "catalog": catalog_result,
        "durations_s": durations.as_dict(),
        "report_path": report_key(report_path, run_id, STEP.name),
    }
    report.write_report(spark, report_path=report_path, report=run_report)
    return run_report


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return job_runtime.run_job(STEP, run, argv)


if __name__ == "__main__":
    main()
