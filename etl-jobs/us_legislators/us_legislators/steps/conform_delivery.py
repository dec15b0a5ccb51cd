"""Glue step 1, conform_delivery: one delivery's three JSON Lines files in, typed valid rows and
quarantined rows out, per input.

- `source_path` is the delivery's folder (`s3://<raw>/us_legislators/deliveries/<delivery_id>/`, or a
  local folder); its name is the `delivery_id` partition of every table the step writes. Each run owns
  exactly that partition: it replaces it (re-processing a delivery leaves no duplicates; another
  delivery is never touched), and removes it from a table the run no longer has rows for (a corrected
  delivery without quarantined persons, say).
- Inputs are conformed persons, then organizations, then memberships: a membership is checked against
  the persons and organizations of the same delivery as they were classified, so a membership whose
  person, chamber or party is absent or quarantined is itself quarantined with that reason, instead of
  being dropped by step 2's inner joins.
- Rows are never lost: per input, the step counts the rows it read (before classification) and
  refuses to write anything unless rows read == rows conformed + rows quarantined.
- A file the step cannot read at all (an input missing or given twice, an empty object, a truncated
  gzip, binary or non-UTF-8 bytes, no JSON object on any line, a required key absent from every line)
  stops the run with `storage.UnreadableInputError` before anything is written: one line naming the
  file, the problem and what to do (the audit item's cause).
- The run report records each input as stored (`inputs.<input>.file`, `physical_schema`: its keys and
  the types Spark infers for them) and what was done with each key (`columns`: kept, cast, renamed,
  missing, extra), also flattened as `<input>.<key>` at the top level for the audit item.
- Each input is read, classified and counted once, into a staged Parquet copy under
  `<report_path>/<run_id>/_staging_conform_delivery/classified/<input>/`; every table's partition of
  the delivery is written from it into the same staging folder, then published together (withdrawn
  from the catalog, folders replaced, registered again: `lake.publish`), so a run killed while writing
  leaves every table as it was, and re-processing the delivery converges. The run removes its staging
  folder when it ends, failed or not, and the staging of an earlier run of the delivery that was killed
  (`storage.staging_area`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F  # noqa: N812  (the PySpark convention)

from job_family.glue.runtime import catalog, job_runtime, report, storage
from job_family.spec import TableSpec
from us_legislators.spec import CONFORM_DELIVERY
from us_legislators.steps import lake, quality, schemas, transforms

log = logging.getLogger(__name__)
STEP = CONFORM_DELIVERY  # the contract this script runs (the framework's contract tests check it)
# While the classified rows are staged: parsing every field and checking every rule in one projection
# makes whole-stage methods too large for the JIT (see nyc_taxi's raw_to_conformed, ADR 0010).
CLASSIFY_CONF = {"spark.sql.codegen.wholeStage": "false", **transforms.COUNT_CONF}


class ReconciliationError(RuntimeError):
    """Rows read != rows conformed + rows quarantined."""


def default_glue_client() -> Any:
    import boto3

    return boto3.client("glue")


def _refuse_a_file_without_objects(path: str, counts: transforms.Counts, classified: DataFrame) -> None:
    """A file none of whose lines is a JSON object (a JSON array on one line, say) is not JSON Lines:
    the run stops instead of quarantining all of it as malformed lines."""
    malformed = counts.quarantined_by_rule.get(quality.MALFORMED_JSON.name, 0)
    if counts.rows_read and malformed == counts.rows_read:
        first = classified.where(F.col(schemas.CORRUPT_RECORD).isNotNull()).first()
        raise storage.no_json_object(path, str(first[schemas.CORRUPT_RECORD]) if first else "")


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
    counts: dict[str, transforms.Counts] = {}
    results: dict[str, transforms.ConformedResult] = {}
    sources: dict[str, storage.InputFile] = {}
    outputs: dict[str, str] = {}
    with storage.staging_area(
        spark, report_path=report_path, run_id=run_id, step=CONFORM_DELIVERY.name, owner=delivery_id
    ) as staging:
        classified: dict[str, DataFrame] = {}
        for dataset in schemas.CONFORM_ORDER:
            with durations.phase(f"read_and_classify_{dataset}"):
                # read by the framework; an error the file causes while its rows are read (here or in
                # the staged copy's pass) comes out as storage.UnreadableInputError, one line
                with lake.reading(spark, files.paths[dataset]) as source:
                    result = transforms.to_conformed(
                        source,
                        dataset=dataset,
                        source_file=files.paths[dataset],
                        run_id=run_id,
                        delivery_id=delivery_id,
                        references={name: transforms.id_status(frame) for name, frame in classified.items()},
                    )
                    observed, observed_counts = transforms.observe_counts(result)
                    with job_runtime.session_conf(spark, CLASSIFY_CONF):
                        storage.replace_parquet(observed, f"{staging}classified/{dataset}/")
                counts[dataset], results[dataset] = observed_counts(), result
                sources[dataset] = source
                classified[dataset] = spark.read.parquet(f"{staging}classified/{dataset}/")
                _refuse_a_file_without_objects(files.paths[dataset], counts[dataset], classified[dataset])
        unreconciled = [f"{d}: {c.as_dict()}" for d, c in counts.items() if not c.reconciles()]
        if unreconciled:
            raise ReconciliationError(
                f"delivery {source_path}: rows read != conformed + quarantined ({'; '.join(unreconciled)}); "
                "nothing was written"
            )
        # every table's rows of the delivery are written to the staging folder first (a run killed
        # while writing leaves the tables as they were), then published together
        staged: list[tuple[TableSpec, str, int]] = []
        for dataset in schemas.CONFORM_ORDER:
            conformed, quarantine = transforms.split(classified[dataset], dataset=dataset)
            with durations.phase(f"write_{dataset}"):
                for spec, zone_path, frame in (
                    (schemas.conformed_table(dataset), conformed_path, conformed),
                    (schemas.quarantine_table(dataset), quarantine_path, quarantine),
                ):
                    staged.append((spec, zone_path, lake.stage_partition(frame, spec, f"{staging}tables/")))
                    outputs[spec.name] = spec.location(zone_path)
        with durations.phase("publish"):
            updates = lake.publish(
                spark,
                staged=staged,
                staged_root=f"{staging}tables/",
                delivery_id=delivery_id,
                glue_factory=glue_factory,
                database=database,
            )

    with durations.phase("catalog"):
        catalog_result = catalog.apply(glue_factory, database=database, updates=updates)

    per_input = {
        dataset: {
            "source_file": files.paths[dataset],
            **counts[dataset].as_dict(),
            "extra_columns": list(results[dataset].extra_columns),
            "missing_optional_columns": list(results[dataset].missing_optional_columns),
            "file": sources[dataset].details,
            "physical_schema": sources[dataset].physical_schema(),
            "columns": [use.as_dict() for use in results[dataset].columns],
        }
        for dataset in schemas.DATASET_NAMES
    }
    totals = transforms.total_counts(counts)
    return report.finish(
        spark,
        step=CONFORM_DELIVERY.name,
        run_id=run_id,
        report_path=report_path,
        durations=durations,
        catalog=catalog_result,
        fields={
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
            # every input's keys as stored and what was done with each, as `<input>.<key>`
            "physical_schema": [
                {**column, "name": f"{dataset}.{column['name']}"}
                for dataset in schemas.DATASET_NAMES
                for column in per_input[dataset]["physical_schema"]
            ],
            "columns": [
                {
                    **use,
                    "name": f"{dataset}.{use['name']}",
                    "conformed": f"{dataset}.{use['conformed']}" if use["conformed"] else None,
                }
                for dataset in schemas.DATASET_NAMES
                for use in per_input[dataset]["columns"]
            ],
            "ignored_files": list(files.ignored),
            "inputs": per_input,
            "outputs": outputs,
        },
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return job_runtime.run_job(CONFORM_DELIVERY, run, argv)


if __name__ == "__main__":
    main()
