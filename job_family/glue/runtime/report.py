"""The run report: one JSON object per job run, at `arguments.report_key(report_path, run_id, step)`.

Top-level keys of both steps: `step`, `run_id`, `dataset`, `source_path`, `rows_read`, `rows_written`,
`spark_version`, `partitions` (pickup months touched: [{"pickup_year": 2021, "pickup_month": 1}]), `durations_s`,
`catalog`, `outputs`. raw_to_conformed adds `rows_conformed`, `rows_quarantined` (rows_read ==
rows_conformed + rows_quarantined, checked before anything is written), `quarantined_by_rule`
({rule: rows}; a row breaking two rules counts for both), `rows_written` == `rows_conformed`,
`source_key`, `file_month`, `extra_columns`, `missing_optional_columns`, `partitions_removed`.
conformed_to_purpose_built adds `rows_by_rule` ({rule: rows written}).

The counts step of every family (the one the state machine reads) also records what it read, which the
audit item keeps: `physical_schema` ([{name, type}]: the columns the file stored, with their types as
stored) and `columns` ([{name, type, conformed, conformed_type, action, note}]: what was done with each,
`action` one of `storage.KEPT`, `CAST`, `RENAMED`, `MISSING`, `EXTRA`), and `file` (facts about the
file: format, bytes, compression, ...).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyspark.sql import SparkSession

from job_family.glue.runtime import storage
from job_family.glue.runtime.arguments import report_key


class Durations:
    """Wall-clock seconds per named phase, plus `total`."""

    def __init__(self) -> None:
        self._started = time.monotonic()
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = round(time.monotonic() - started, 3)

    def as_dict(self) -> dict[str, float]:
        return {**self.seconds, "total": round(time.monotonic() - self._started, 3)}


def write_report(spark: SparkSession, *, report_path: str, report: dict[str, Any]) -> str:
    """Write the report where the state machine reads it, with the Spark version that ran the step
    (added to `report` too); returns that path."""
    report.setdefault("spark_version", spark.version)
    path = report_key(report_path, str(report["run_id"]), str(report["step"]))
    storage.write_text(spark, path, to_json(report))
    return path


def finish(
    spark: SparkSession,
    *,
    step: str,
    run_id: str,
    report_path: str,
    durations: Durations,
    catalog: dict[str, Any],
    fields: dict[str, Any],
) -> dict[str, Any]:
    """A step's run report: `step`, `run_id`, the step's own `fields`, then `catalog`, `durations_s`
    (the phases and the total up to now) and `report_path`; written where the state machine reads it
    (`write_report`) and returned, as `run` returns it."""
    run_report: dict[str, Any] = {
        "step": step,
        "run_id": run_id,
        **fields,
        "catalog": catalog,
        "durations_s": durations.as_dict(),
        "report_path": report_key(report_path, run_id, step),
    }
    write_report(spark, report_path=report_path, report=run_report)
    return run_report


def to_json(report: dict[str, Any]) -> str:
    return json.dumps(report, indent=2, default=str) + "\n"
