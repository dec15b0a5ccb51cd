"""Glue job raw -> conformed: one raw trip file in, typed valid rows and quarantined rows out.

Idempotency, by layout. The conformed table is partitioned by `pickup_year / pickup_month / source_key`
(`source_key` names the raw file, see `conform.source_key`), the quarantine table by `source_key`.
Each run therefore owns exactly the partitions holding its file's rows:
- it replaces them, and only them; a second file of the same month has another `source_key`, so its
  rows are never touched;
- re-processing a file replaces that file's partitions (no duplicates) and removes the ones it no longer
  produces (a corrected file with fewer months, or no quarantined rows any more), found by listing
  `*/*/source_key=<key>` folders, so no stale rows of an older version survive;
- the months touched (written or removed) go into the run report, and the purpose-built job recomputes
  exactly those months.
The price is one small extra partition level per file in a month; TLC publishes one file per dataset
and month, so a month usually holds one `source_key`.

Faults converge. Everything is written to the run's staging folder first (`storage.staging_area`); only
then is it published: the file's partitions are withdrawn from the catalog (readers see none of them),
their folders replaced by the staged ones (deletes and moves, no Spark job), and the new partitions
registered. A run killed while writing leaves the tables as they were (the previous complete state, or
none for a new file); killed while publishing, catalog readers see none of the file's partitions. Either
way re-processing the file yields the tables of one clean run, and removes what the killed run left in
its staging folder.

Rows are never lost: the job counts the rows it read and refuses to write anything unless
rows read == rows conformed + rows quarantined (and, for Parquet, rows read == the rows its footer counts).

Any file shape is read by column name and meaning (`storage.reading`, `conform.align_columns`); a file
that cannot be read at all (truncated, corrupt, not the format its name says, a required column missing)
stops the run with `storage.UnreadableInputError` before anything is written: its one-line message names
the file, the problem and what to do, and becomes the cause on the audit item. The run report records the
file as stored (`file`, `physical_schema`) and what was done with each column (`columns`).

Cost: the file is scanned, parsed and classified once, into a staged copy of the classified rows
(Parquet: typed values, plus the text of quarantined rows only) under
`<report_path>/<run_id>/_staging_raw_to_conformed/classified/`; the counts are gathered while that copy
is written, both tables' partitions are written from it beside it, and the run removes the staging
folder when it ends, failed or not. Staging on storage costs a third of what Spark's in-memory cache did
here, and holds no executor memory (ADR 0010).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pyspark.sql import SparkSession

from job_family.glue.runtime import catalog, job_runtime, report, storage
from nyc_taxi.spec import SPEC
from nyc_taxi.steps import conform, schemas

log = logging.getLogger(__name__)

STEP = SPEC.step("raw_to_conformed")
FORMATS = ("csv", "parquet")  # TLC trip files: CSV (plain or gzip) or Parquet


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

    with storage.staging_area(
        spark, report_path=report_path, run_id=run_id, step=STEP.name, owner=key
    ) as staging:
        with durations.phase("read_and_classify"):
            expected = [c.published for c in schemas.raw_columns(dataset)]
            # The file is read by name and meaning; an error it causes while its rows are read (here or
            # in the first pass below) comes out as storage.UnreadableInputError, one line for the audit.
            with storage.reading(spark, source_path, expected_columns=expected, formats=FORMATS) as source:
                result = conform.to_conformed(
                    source, dataset=dataset, source_file=source_path, run_id=run_id, file_month=file_month
                )
                # One pass over the file: parsed, classified and counted while the staged copy is
                # written. That copy is a row-for-row projection of the file (no filter, no join), so
                # its row count is the number of rows read.
                observed, observed_counts = conform.observe_counts(result.classified, result.rules)
                with job_runtime.session_conf(spark, conform.CLASSIFY_CONF):
                    storage.replace_parquet(observed, f"{staging}classified/")
            counts = observed_counts()
            rows_read = counts.rows_classified
            classified = spark.read.parquet(f"{staging}classified/")
        if rows_read != counts.rows_conformed + counts.rows_quarantined:
            raise ReconciliationError(
                f"{source_path}: read {rows_read} rows but classified {counts.rows_conformed} conformed + "
                f"{counts.rows_quarantined} quarantined; nothing was written"
            )
        stored_rows = source.details.get("rows")
        if stored_rows is not None and stored_rows != rows_read:
            raise ReconciliationError(
                f"{source_path}: the Parquet footer counts {stored_rows} rows but {rows_read} were read; "
                "nothing was written"
            )
        conformed, quarantine = conform.split(classified, dataset=dataset)

        # Both tables' new partitions are written to the staging folder first: a run killed while
        # writing leaves the tables as they were.
        conformed_spec = schemas.conformed_table(dataset)
        conformed_location = conformed_spec.location(conformed_path)
        written = [{**month, "source_key": key} for month in counts.partitions]
        with durations.phase("write_conformed"):
            if written:
                storage.write_partitions(conformed, f"{staging}conformed/", conformed_spec.partition_names)
        quarantine_spec = schemas.quarantine_table(dataset)
        quarantine_location = quarantine_spec.location(quarantine_path)
        quarantine_partitions = [{"source_key": key}] if counts.rows_quarantined else []
        with durations.phase("write_quarantine"):
            if quarantine_partitions:
                storage.write_partitions(quarantine, f"{staging}quarantine/", quarantine_spec.partition_names)

        # Then published: the file's partitions withdrawn from the catalog (readers see none of them),
        # its folders replaced by the staged ones, the new partitions registered (below).
        had = storage.list_partitions(
            spark, conformed_location, conformed_spec.partition_names, {"source_key": key}
        )
        written_months = {(p["pickup_year"], p["pickup_month"]) for p in counts.partitions}
        stale = [p for p in had if (int(p["pickup_year"]), int(p["pickup_month"])) not in written_months]
        had_quarantine = storage.list_partitions(
            spark, quarantine_location, quarantine_spec.partition_names, {"source_key": key}
        )
        quarantine_stale = [] if quarantine_partitions else had_quarantine
        with durations.phase("publish"):
            catalog.withdraw(
                glue_factory,
                database=database,
                updates=[
                    catalog.CatalogUpdate(conformed_spec, conformed_location, [], had),
                    catalog.CatalogUpdate(quarantine_spec, quarantine_location, [], had_quarantine),
                ],
            )
            storage.replace_partitions(
                spark,
                staged=f"{staging}conformed/" if written else None,
                location=conformed_location,
                names=conformed_spec.partition_names,
                remove=had,
            )
            storage.replace_partitions(
                spark,
                staged=f"{staging}quarantine/" if quarantine_partitions else None,
                location=quarantine_location,
                names=quarantine_spec.partition_names,
                remove=had_quarantine,
            )

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
    return report.finish(
        spark,
        step=STEP.name,
        run_id=run_id,
        report_path=report_path,
        durations=durations,
        catalog=catalog_result,
        fields={
            "dataset": dataset,
            "source_path": source_path,
            "source_key": key,
            "format": storage.input_format(source_path, FORMATS),
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
            "file": source.details,
            "physical_schema": source.physical_schema(),
            "columns": [use.as_dict() for use in result.columns],
            "outputs": {"conformed": conformed_location, "quarantine": quarantine_location},
        },
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return job_runtime.run_job(STEP, run, argv)


if __name__ == "__main__":
    main()
