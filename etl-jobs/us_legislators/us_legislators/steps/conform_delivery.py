"""Glue step 1, conform_delivery: one delivery's three JSON Lines files in, typed valid rows and
quarantined rows out, per input.

- `source_path` is the delivery's folder (`s3://<raw>/us_legislators/deliveries/<delivery_id>/`, or a
  local folder); its name is the `delivery_id` partition of every table the step writes. Each run owns
  exactly that partition: it is written with dynamic partition overwrite (re-processing a delivery
  replaces it, no duplicates; another delivery is never touched), and removed from a table the run no
  longer has rows for (a corrected delivery without quarantined persons, say).
- Inputs are conformed persons, then organizations, then memberships: a membership is checked against
  the persons and organizations of the same delivery as they were classified, so a membership whose
  person, chamber or party is absent or quarantined is itself quarantined with that reason, instead of
  being dropped by step 2's inner joins.
- Rows are never lost: per input, the step counts the rows it read (before classification) and
  refuses to write anything unless rows read == rows conformed + rows quarantined.
- Each input is read, classified and counted once, into a staged Parquet copy under
  `<report_path>/<run_id>/_staging_conform_delivery/<input>/`; both tables are written from it and the
  run removes it when it ends, failed or not.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from job_family.glue.runtime import catalog, job_runtime, report, storage
from job_family.glue.runtime.arguments import report_key, staging_key
from us_legislators.spec import CONFORM_DELIVERY
from us_legislators.steps import lake, schemas, transforms

log = logging.getLogger(__name__)
STEP = CONFORM_DELIVERY  # the contract this script runs (the framework's contract tests check it)
# While the classified rows are staged: parsing every field and checking every rule in one projection
# makes whole-stage methods too large for the JIT (see nyc_taxi's raw_to_conformed, ADR 0010).
CLASSIFY_CONF = {"spark.sql.codegen.wholeStage": "false"}


class ReconciliationError(RuntimeError):
    """Rows read != rows conformed + rows quarantined."""


def default_glue_client() -> Any:
    import boto3

    return boto3.client("glue")


def run(
    spark: SparkSession,
    *,
    source_path: str,
    run_id: str,
    conformed_path: str,
    quarantine_path: str,
    report_path: str,
    database: str,
    glue_factory: Callable[[], Any] = default_glue_client,
) -> dict[str, Any]:
    durations = report.Durations()
    delivery_id = lake.delivery_id(source_path)
    files = lake.find_delivery_files(spark, source_path)
    if files.ignored:
        log.warning("delivery %s: ignoring %s", delivery_id, ", ".join(files.ignored))
    staging = staging_key(report_path, run_id, CONFORM_DELIVERY.name)
    counts: dict[str, transforms.Counts] = {}
    results: dict[str, transforms.ConformedResult] = {}
    updates: list[catalog.CatalogUpdate] = []
    outputs: dict[str, str] = {}
    try:
        classified: dict[str, DataFrame] = {}
        for dataset in schemas.CONFORM_ORDER:
            with durations.phase(f"read_and_classify_{dataset}"):
                raw = lake.read_json_lines(spark, files.paths[dataset], schemas.fields(dataset))
                result = transforms.to_conformed(
                    raw,
                    dataset=dataset,
                    source_file=files.paths[dataset],
                    run_id=run_id,
                    delivery_id=delivery_id,
                    references={name: transforms.id_status(frame) for name, frame in classified.items()},
                )
                observed, observed_counts = transforms.observe_counts(result)
                with job_runtime.session_conf(spark, CLASSIFY_CONF):
                    storage.replace_parquet(observed, f"{staging}{dataset}/")
                counts[dataset], results[dataset] = observed_counts(), result
                classified[dataset] = spark.read.parquet(f"{staging}{dataset}/")
        unreconciled = [f"{d}: {c.as_dict()}" for d, c in counts.items() if not c.reconciles()]
        if unreconciled:
            raise ReconciliationError(
                f"delivery {source_path}: rows read != conformed + quarantined ({'; '.join(unreconciled)}); "
                "nothing was written"
            )
        for dataset in schemas.CONFORM_ORDER:
            conformed, quarantine = transforms.split(classified[dataset], dataset=dataset)
            with durations.phase(f"write_{dataset}"):
                for spec, zone_path, frame in (
                    (schemas.conformed_table(dataset), conformed_path, conformed),
                    (schemas.quarantine_table(dataset), quarantine_path, quarantine),
                ):
                    updates.append(lake.write_partition(spark, frame, spec, zone_path, delivery_id)[1])
                    outputs[spec.name] = spec.location(zone_path)
    finally:
        storage.delete_folder(spark, staging)

    with durations.phase("catalog"):
        catalog_result = catalog.apply(glue_factory, database=database, updates=updates)

    per_input = {
        dataset: {
            "source_file": files.paths[dataset],
            **counts[dataset].as_dict(),
            "extra_columns": list(results[dataset].extra_columns),
            "missing_optional_columns": list(results[dataset].missing_optional_columns),
        }
        for dataset in schemas.DATASET_NAMES
    }
    totals = transforms.total_counts(counts)
    run_report: dict[str, Any] = {
        "step": CONFORM_DELIVERY.name,
        "run_id": run_id,
        "dataset": "delivery",
        "delivery_id": delivery_id,
        "source_path": source_path,
        **totals,
        "rows_written": totals["rows_conformed"],
        "partitions": [{"delivery_id": delivery_id}],
        "extra_columns": sorted({f"{d}.{c}" for d, r in results.items() for c in r.extra_columns}),
        "missing_optional_columns": sorted(
            {f"{d}.{c}" for d, r in results.items() for c in r.missing_optional_columns}
        ),
        "ignored_files": list(files.ignored),
        "inputs": per_input,
        "outputs": outputs,
        "catalog": catalog_result,
        "durations_s": durations.as_dict(),
        "report_path": report_key(report_path, run_id, CONFORM_DELIVERY.name),
    }
    report.write_report(spark, report_path=report_path, report=run_report)
    return run_report


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return job_runtime.run_job(CONFORM_DELIVERY, run, argv)


if __name__ == "__main__":
    main()
