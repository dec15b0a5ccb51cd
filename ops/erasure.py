"""The erase plan, pure: from the facts read about one source (an object, or a delivery folder), what to
delete and what to recompute. `ops.erase` reads the facts and carries the plan out.

Where a source's rows are, without any family code:

- **its runs**: every execution its audit items name (the trigger's run and each reprocess), each run's
  reports in `<family>/_reports/<run id>/<step>.json` (conformed bucket), with the run's staging;
- **its partitions**: a run report names the tables the step wrote (`outputs`: table locations) and the
  source's value of each table's source partition key (a top-level report field named like a partition
  key of the table: `source_key` for a per-object family, `delivery_id` per delivery). Those tables'
  partitions with that value (from the Glue catalog, and the folders the reports' `partitions` imply)
  hold exactly the source's rows: every version of every object below them is deleted, and the catalog
  partitions with them;
- **derived tables**: a table a step wrote that has no source partition key (nyc_taxi's purpose-built
  monthly metrics) mixes sources; the steps that wrote it are run again, as the state machine runs them
  (job, arguments), under a new run id whose folder holds a copy of the first step's report with the
  union of the months every run of the source touched. They recompute those months from what is left;
  then the replaced versions of those partitions are deleted;
- **write leftovers** below the tables' locations: a Spark write with dynamic partition overwrite
  stages its files in `<table>/.spark-staging-<id>/` (or `<table>/_temporary/`) and moves them into
  place; on a versioned bucket every staged file stays as a noncurrent version (and a crashed write
  leaves current ones). Those below a source partition folder name (`.../source_key=<file>/...`) hold
  the source's rows and are deleted with its partitions; those of a recomputed month are purged with
  the month's replaced versions;
- **query results** of the family's workgroup written since the source first arrived.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from job_family.audit.runtime.item import Attr
from job_family.spec import pascal
from ops import audit
from ops.deployed import CatalogTable, GlueTask

# Characters Hive and Spark escape in a partition folder name (ExternalCatalogUtils.escapePathName).
_ESCAPED = {
    *(chr(code) for code in range(1, 32)),
    '"',
    "#",
    "%",
    "'",
    "*",
    "/",
    ":",
    "=",
    "?",
    "\\",
    "\x7f",
    "{",
    "[",
    "]",
    "^",
}


def escape_partition_value(value: str) -> str:
    return "".join(f"%{ord(char):02X}" if char in _ESCAPED else char for char in value)


def split_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/prefix` -> (bucket, prefix)."""
    if not uri.startswith(("s3://", "s3a://")):
        raise ValueError(f"{uri!r} is not an s3:// location")
    bucket, _, prefix = uri.split("://", 1)[1].partition("/")
    return bucket, prefix


def folder(uri: str) -> str:
    return uri if uri.endswith("/") else f"{uri}/"


# Where Spark and Hadoop stage a write below a table's location (dynamic partition overwrite, the
# FileOutputCommitter): `<location>.spark-staging-<job id>/...`, `<location>_temporary/...`.
STAGING_FOLDERS = (".spark-staging-", "_temporary/")


def staging_prefixes(location: str) -> list[str]:
    """The prefixes (URIs) below a table's location where its writes stage files."""
    return [folder(location) + name for name in STAGING_FOLDERS]


def partition_path(values: Mapping[str, Any], keys: Sequence[str]) -> str:
    """`k1=v1/k2=v2/` (escaped as Hive and Spark write it) for the given keys, in that order."""
    return "".join(f"{key}={escape_partition_value(str(values[key]))}/" for key in keys)


def below_partition(versions: Iterable[Version], paths: Iterable[str]) -> list[Version]:
    """The versions whose key holds one of the partition paths (`k=v/...`) as whole folder names,
    wherever they are below the table (e.g. in a staging folder)."""
    wanted = [f"/{path}" for path in paths]
    return [version for version in versions if any(path in f"/{version.key}" for path in wanted)]


@dataclass(frozen=True)
class Version:
    """One S3 object version (or delete marker)."""

    bucket: str
    key: str
    version_id: str
    is_latest: bool
    last_modified: str  # ISO 8601
    delete_marker: bool = False

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class Run:
    """One run of the source: its id (execution name), its reports by step and every object version
    below its folder."""

    run_id: str
    reports: Mapping[str, Mapping[str, Any]]
    versions: tuple[Version, ...]


@dataclass
class EraseFacts:
    subject: str  # the raw key, or the delivery folder
    raw_bucket: str
    reports_prefix: str  # s3://<conformed>/<family>/_reports/
    raw_versions: list[Version]
    items: list[dict[str, Any]]  # the subject's audit items (plain)
    runs: list[Run]
    tables: list[CatalogTable]
    glue_tasks: list[GlueTask]
    # table name -> catalog partitions holding a source value: (values, location)
    catalog_partitions: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    # folder URI -> every object version below it (read for each candidate partition folder)
    folder_versions: dict[str, list[Version]] = field(default_factory=dict)
    # table name -> every object version below its staging prefixes (`staging_prefixes`)
    staging_versions: dict[str, list[Version]] = field(default_factory=dict)
    results: list[Version] = field(default_factory=list)
    results_location: str | None = None
    running: list[str] = field(default_factory=list)  # executions of the subject still RUNNING


@dataclass(frozen=True)
class Partition:
    table: str
    folder: str  # s3://.../k=v/.../
    values: tuple[str, ...] | None  # the catalog partition's values (None: not in the catalog)
    versions: tuple[Version, ...]


@dataclass(frozen=True)
class Recompute:
    run_id: str
    reports: Mapping[str, Mapping[str, Any]]  # step -> report written below the new run's folder
    tasks: tuple[GlueTask, ...]
    arguments: tuple[Mapping[str, str], ...]  # per task
    months: tuple[Mapping[str, Any], ...]
    folders: tuple[str, ...]  # the derived partitions recomputed (their replaced versions are dropped)
    # (staging prefix, partition path) below which the recomputed months' staged versions are dropped
    staging: tuple[tuple[str, str], ...] = ()


@dataclass
class ErasePlan:
    subject: str
    raw_versions: list[Version]
    partitions: list[Partition]
    recompute: Recompute | None
    runs: list[Run]
    results: list[Version]
    results_location: str | None
    items: list[dict[str, Any]]
    warnings: list[str]
    blockers: list[str]
    leftovers: list[Version] = field(default_factory=list)  # staged copies of its partitions' files

    @property
    def nothing_left(self) -> bool:
        return not (
            self.raw_versions
            or self.leftovers
            or any(p.versions or p.values for p in self.partitions)
            or self.recompute
            or any(run.versions for run in self.runs)
            or self.results
            or any(str(item.get(Attr.STATUS.value)) != audit.ERASED for item in self.items)
        )


def source_values(runs: Iterable[Run], tables: Iterable[CatalogTable]) -> dict[str, set[str]]:
    """Partition key -> the source's values, from the run reports' top-level fields of that name."""
    keys = {key for table in tables for key in table.partition_keys}
    values: dict[str, set[str]] = {}
    for run in runs:
        for report in run.reports.values():
            for key in keys:
                value = report.get(key)
                if isinstance(value, str) and value:
                    values.setdefault(key, set()).add(value)
    return values


def written_tables(runs: Iterable[Run], tables: Sequence[CatalogTable]) -> dict[str, set[str]]:
    """Table name -> the steps whose reports list it among their `outputs`."""
    by_location = {table.location: table.name for table in tables}
    written: dict[str, set[str]] = {}
    for run in runs:
        for step, report in run.reports.items():
            outputs = report.get("outputs")
            if not isinstance(outputs, Mapping):
                continue
            for location in outputs.values():
                name = by_location.get(folder(str(location)))
                if name:
                    written.setdefault(name, set()).add(step)
    return written


def months_of(runs: Iterable[Run], first_step: str) -> list[dict[str, Any]]:
    """The union of the `partitions` the first step's reports name (e.g. pickup months), sorted."""
    found: dict[str, dict[str, Any]] = {}
    for run in runs:
        report = run.reports.get(first_step, {})
        for partition in report.get("partitions") or []:
            if isinstance(partition, Mapping):
                found[json.dumps(partition, sort_keys=True)] = dict(partition)
    return [found[key] for key in sorted(found)]


def partition_folder(table: CatalogTable, values: Mapping[str, Any]) -> str | None:
    """The folder of the partition of `table` with these key values, if they give every key."""
    if not table.partition_keys or any(key not in values for key in table.partition_keys):
        return None
    parts = [f"{key}={escape_partition_value(str(values[key]))}" for key in table.partition_keys]
    return folder(table.location) + "/".join(parts) + "/"


def candidate_folders(
    runs: Sequence[Run], tables: Sequence[CatalogTable], first_step: str
) -> dict[str, list[str]]:
    """Table name -> the partition folders the reports imply for the source (checked against S3)."""
    values = source_values(runs, tables)
    written = written_tables(runs, tables)
    months = months_of(runs, first_step) or [{}]
    found: dict[str, list[str]] = {}
    for table in tables:
        keys = [key for key in table.partition_keys if key in values]
        if table.name not in written or not keys:
            continue
        for key in keys:
            for value in sorted(values[key]):
                for month in months:
                    path = partition_folder(table, {**month, key: value})
                    if path:
                        found.setdefault(table.name, []).append(path)
    return found


def noncurrent(versions: Iterable[Version]) -> list[Version]:
    """What to delete so only current objects stay: every noncurrent version, and every version of a
    key whose latest version is a delete marker (the marker too)."""
    by_key: dict[str, list[Version]] = {}
    for version in versions:
        by_key.setdefault(version.key, []).append(version)
    dropped: list[Version] = []
    for key_versions in by_key.values():
        latest = [v for v in key_versions if v.is_latest]
        if latest and not latest[0].delete_marker:
            dropped += [v for v in key_versions if not v.is_latest]
        else:
            dropped += key_versions
    return dropped


def execution_input_of(item: Mapping[str, Any]) -> dict[str, str]:
    """The execution input the item's run had (`ExecutionInput` fields), from the audit item."""
    bucket, key = str(item.get(Attr.BUCKET.value, "")), str(item.get(Attr.KEY.value, ""))
    return {
        "object_id": str(item.get(Attr.OBJECT_ID.value, "")),
        "bucket": bucket,
        "key": key,
        "version_id": str(item.get(Attr.VERSION_ID.value, "")),
        "dataset": str(item.get(Attr.DATASET.value, "")),
        "file_format": str(item.get(Attr.FILE_FORMAT.value, "")),
        "source_path": f"s3://{bucket}/{key}",
    }


def plan(facts: EraseFacts, *, recompute_run_id: str) -> ErasePlan:
    """What erasing `facts.subject` deletes and recomputes, in the order `ops.erase` does it."""
    warnings: list[str] = []
    blockers = [
        f"its run {name} is RUNNING; wait for it to end (make status), or make pause first"
        for name in facts.running
    ]
    first_step = next(
        (
            step
            for run in facts.runs
            for step in run.reports
            if facts.glue_tasks and pascal(step) == facts.glue_tasks[0].state
        ),
        "",
    )
    for item in facts.items:
        for name in audit.history_executions(item):
            if (
                name not in {run.run_id for run in facts.runs}
                and str(item.get(Attr.STATUS.value)) != audit.ERASED
            ):
                warnings.append(
                    f"run {name} left no report below {facts.reports_prefix}{name}/ (it failed before writing "
                    "one, or it was erased already): nothing it may have written can be found from it"
                )

    partitions: list[Partition] = []
    seen: set[str] = set()
    by_name = {table.name: table for table in facts.tables}
    for name, entries in sorted(facts.catalog_partitions.items()):
        for partition_values, location in entries:
            path = folder(location)
            seen.add(path)
            partitions.append(
                Partition(name, path, partition_values, tuple(facts.folder_versions.get(path, [])))
            )
    for name, paths in sorted(candidate_folders(facts.runs, facts.tables, first_step).items()):
        for path in paths:
            if path not in seen and facts.folder_versions.get(path):
                seen.add(path)
                partitions.append(Partition(name, path, None, tuple(facts.folder_versions[path])))

    values = source_values(facts.runs, facts.tables)
    written = written_tables(facts.runs, facts.tables)
    leftovers: list[Version] = []
    for table in facts.tables:
        keys = [key for key in table.partition_keys if key in values]
        if table.name in written and keys:
            paths = [partition_path({key: value}, [key]) for key in keys for value in sorted(values[key])]
            leftovers += below_partition(facts.staging_versions.get(table.name, []), paths)

    recompute = None
    derived = [
        by_name[name]
        for name in sorted(written)
        if name in by_name and not any(key in values for key in by_name[name].partition_keys)
    ]
    if derived and first_step:
        steps = {step for table in derived for step in written[table.name]}
        tasks = tuple(
            task for task in facts.glue_tasks[1:] if any(pascal(step) == task.state for step in steps)
        )
        months = months_of(facts.runs, first_step)
        latest = max(
            (run for run in facts.runs if first_step in run.reports),
            key=lambda run: str(run.reports[first_step].get("run_id", run.run_id)),
        )
        upstream = {**latest.reports[first_step], "partitions": months, "run_id": recompute_run_id}
        item = max(facts.items, key=lambda i: str(i.get(Attr.UPDATED_AT.value, ""))) if facts.items else {}
        execution_input = execution_input_of(item)
        if not execution_input["dataset"]:
            execution_input["dataset"] = str(upstream.get("dataset", ""))
        if tasks:
            recompute = Recompute(
                run_id=recompute_run_id,
                reports={first_step: upstream},
                tasks=tasks,
                arguments=tuple(task.run_arguments(execution_input, recompute_run_id) for task in tasks),
                months=tuple(months),
                folders=tuple(
                    found
                    for table in derived
                    for month in months
                    if (found := partition_folder(table, month))
                ),
                staging=tuple(
                    (prefix, partition_path(month, table.partition_keys))
                    for table in derived
                    for prefix in staging_prefixes(table.location)
                    for month in months
                    if all(key in month for key in table.partition_keys)
                ),
            )
        else:
            warnings.append(
                f"tables {', '.join(t.name for t in derived)} mix sources but no later Glue step of the state "
                "machine wrote them: they are not recomputed"
            )
    return ErasePlan(
        subject=facts.subject,
        raw_versions=list(facts.raw_versions),
        partitions=partitions,
        recompute=recompute,
        runs=[run for run in facts.runs if run.versions],
        results=list(facts.results),
        results_location=facts.results_location,
        items=list(facts.items),
        warnings=warnings,
        blockers=blockers,
        leftovers=leftovers,
    )


def describe(plan: ErasePlan, *, done: bool) -> list[str]:
    """The plan in words: what would be (or was) deleted, recomputed and marked."""
    verb = "deleted" if done else "would delete"
    lines: list[str] = []
    lines.append(f"  raw object versions ({len(plan.raw_versions)}), {verb}:")
    lines += [
        f"    {v.uri} version {v.version_id}{' (delete marker)' if v.delete_marker else ''} {v.last_modified}"
        for v in plan.raw_versions
    ]
    lines.append(f"  table partitions holding its rows ({len(plan.partitions)}), {verb}:")
    for partition in plan.partitions:
        catalog = f"catalog partition {list(partition.values)}" if partition.values else "not in the catalog"
        lines.append(
            f"    {partition.table}: {partition.folder} ({len(partition.versions)} object versions; {catalog})"
        )
    lines.append(
        f"  write leftovers (Spark staging) holding its rows below those tables ({len(plan.leftovers)} "
        f"object versions), {verb}"
    )
    if plan.recompute:
        recompute = plan.recompute
        months = ", ".join(json.dumps(month, sort_keys=True) for month in recompute.months) or "none"
        lines.append(
            f"  {'recomputed' if done else 'would recompute'} without it, as run {recompute.run_id}: "
            f"{', '.join(f'{t.state} (job {t.job_name})' for t in recompute.tasks)} for partitions {months}; "
            f"then the replaced versions below {len(recompute.folders)} folder(s) and the staged copies "
            "of those partitions"
        )
    else:
        lines.append("  nothing to recompute (no table mixing sources was written by its runs)")
    lines.append(f"  run folders (reports, staging) ({len(plan.runs)}), {verb}:")
    lines += [f"    {run.run_id}/ ({len(run.versions)} object versions)" for run in plan.runs]
    since = f" below {plan.results_location}" if plan.results_location else ""
    lines.append(
        f"  query results written since it arrived{since} ({len(plan.results)} object versions), {verb}"
    )
    lines.append(
        f"  audit items {'marked' if done else 'to mark'} ERASED (kept as the record) ({len(plan.items)}):"
    )
    lines += [
        f"    {item.get(Attr.OBJECT_ID.value)} (was {item.get(Attr.STATUS.value)})" for item in plan.items
    ]
    lines += [f"  warning: {warning}" for warning in plan.warnings]
    return lines
