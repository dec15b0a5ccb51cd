"""`make erase`: a right-to-erasure request for one source object (a delivery folder for a family
triggered per delivery). Reads the facts (`gather`), plans with `ops.erasure.plan`, and with CONFIRM
deletes in this order, so that running it again after a failure finishes the job:

1. every version of the raw object(s) (and delete markers);
2. every version below the table partitions holding its rows, and their catalog partitions; then the
   write leftovers (Spark staging below the tables' locations) of those partitions;
3. the recompute of the tables that mix sources (the family's later steps, as the state machine runs
   them), then the replaced versions of the recomputed partitions and their staged copies;
4. its runs' folders (reports, staging) and the recompute's;
5. the workgroup's query results written since it arrived;
6. its audit items: status ERASED, `erased_at`, `erased_by` (caller ARN, and $USER).
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from job_family.audit.runtime.item import Attr, ObjectRef
from job_family.glue.locations import zone_prefix
from job_family.glue.runtime.arguments import IN_FLIGHT
from job_family.ingest.runtime import deliveries
from job_family.ingest.runtime.arrivals import classify, execution_name
from job_family.ingest.runtime.handler import timestamp
from job_family.ingest.runtime.layout import ArrivalLayout
from job_family.spec import Zone, pascal
from ops import audit, deployed, names, shell
from ops.aws import Aws, error_code
from ops.erasure import (
    EraseFacts,
    ErasePlan,
    Run,
    Version,
    below_partition,
    folder,
    noncurrent,
    split_uri,
    staging_prefixes,
)
from ops.errors import RefusedError
from ops.reprocess import delivery_folder
from ops.stack import FamilyStack
from ops.target import Target

TERMINAL_JOB_STATES = {"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR"}


# -- reading the facts ---------------------------------------------------------------------------


def versions_below(aws: Aws, bucket: str, prefix: str) -> list[Version]:
    """Every object version and delete marker whose key starts with `prefix`."""
    found: list[Version] = []
    pages = aws.client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for entry in page.get("Versions", []):
            found.append(
                Version(
                    bucket,
                    str(entry["Key"]),
                    str(entry.get("VersionId") or "null"),
                    bool(entry.get("IsLatest")),
                    _iso(entry.get("LastModified")),
                )
            )
        for entry in page.get("DeleteMarkers", []):
            found.append(
                Version(
                    bucket,
                    str(entry["Key"]),
                    str(entry.get("VersionId") or "null"),
                    bool(entry.get("IsLatest")),
                    _iso(entry.get("LastModified")),
                    delete_marker=True,
                )
            )
    return found


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return timestamp(value)
    return str(value or "")


def subject_of(key: str, stack: FamilyStack, layout: ArrivalLayout) -> str:
    """The raw key, or for a family triggered per delivery its delivery folder; RefusedError otherwise."""
    if not key.startswith(stack.raw_prefix):
        raise RefusedError(f"KEY={key!r} is not below {stack.family}'s raw prefix {stack.raw_prefix}")
    if stack.per_delivery:
        found = delivery_folder(key, layout)
        if found is None:
            raise RefusedError(
                f"{stack.family} is triggered per delivery: KEY must be a delivery folder, "
                f"{deliveries.deliveries_root(layout)}<delivery id>/"
            )
        if f"{key.rstrip('/')}/" != found:  # a file of the delivery: erase only what was asked for
            raise RefusedError(
                f"KEY={key!r} is one file of delivery {found}; {stack.family} is processed and stored per "
                f"delivery, so only the whole delivery can be erased: KEY={found} (every file of it)"
            )
        return found
    if key.endswith("/"):
        raise RefusedError(f"KEY={key!r} is a folder; {stack.family} runs per object: give one object's key")
    return key


def audit_items(aws: Aws, stack: FamilyStack, subject: str) -> list[dict[str, Any]]:
    """The audit items of the subject (each version of the object; a delivery and its files)."""
    condition = "begins_with(#k, :k)" if subject.endswith("/") else "#k = :k"
    items: list[dict[str, Any]] = []
    pages = (
        aws.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=stack.audit_table,
            FilterExpression=f"{condition} AND #b = :b",
            ExpressionAttributeNames={"#k": Attr.KEY.value, "#b": Attr.BUCKET.value},
            ExpressionAttributeValues={":k": {"S": subject}, ":b": {"S": stack.raw_bucket}},
            ConsistentRead=True,
        )
    )
    for page in pages:
        items += [audit.plain(item) for item in page.get("Items", [])]
    return sorted(items, key=lambda item: str(item.get(Attr.RECEIVED_AT.value, "")))


def run_names(items: Iterable[dict[str, Any]], layout: ArrivalLayout, stack: FamilyStack) -> list[str]:
    """Every run id of the subject: the trigger's name of each version, and every name its items record."""
    found: list[str] = []
    for item in items:
        bucket, key = str(item.get(Attr.BUCKET.value, "")), str(item.get(Attr.KEY.value, ""))
        version = str(item.get(Attr.VERSION_ID.value, ""))
        if stack.per_delivery and key.endswith("/"):
            found.append(deliveries.delivery_execution_name(deliveries.delivery_ref(bucket, key)))
        elif not stack.per_delivery:
            obj = ObjectRef(bucket=bucket, key=key, version_id=version, size_bytes=None)
            verdict = classify(obj, layout)
            dataset = str(item.get(Attr.DATASET.value) or getattr(verdict, "dataset", "") or "")
            if dataset:
                found.append(execution_name(obj, dataset, layout.all_suffixes()))
        found += audit.history_executions(item)
    return list(dict.fromkeys(found))


def in_flight_marks(aws: Aws, stack: FamilyStack) -> list[Version]:
    """The marks runs leave while they stage writes (`storage.staging_area`): a run killed before its
    end leaves its own (`arguments.in_flight_mark`: `<reports>/_in_flight/<step>/<owner>@<run_id>`)."""
    prefix = f"{zone_prefix(stack.family, Zone.REPORTS)}{IN_FLIGHT}/"
    return versions_below(aws, stack.conformed_bucket, prefix)


def run_versions(aws: Aws, stack: FamilyStack, run_id: str, marks: Sequence[Version]) -> list[Version]:
    """Every version below the run's folder (reports, staging), and its marks among `marks`."""
    prefix = f"{zone_prefix(stack.family, Zone.REPORTS)}{run_id}/"
    own = [mark for mark in marks if mark.key.endswith(f"@{run_id}")]
    return versions_below(aws, stack.conformed_bucket, prefix) + own


def read_run(aws: Aws, stack: FamilyStack, run_id: str, marks: Sequence[Version] = ()) -> Run:
    bucket = stack.conformed_bucket
    prefix = f"{zone_prefix(stack.family, Zone.REPORTS)}{run_id}/"
    versions = run_versions(aws, stack, run_id, marks)
    reports: dict[str, dict[str, Any]] = {}
    for version in versions:
        name = version.key[len(prefix) :]
        if version.is_latest and not version.delete_marker and name.endswith(".json") and "/" not in name:
            body = aws.client("s3").get_object(Bucket=bucket, Key=version.key)["Body"].read()
            try:
                report = json.loads(body)
            except json.JSONDecodeError:
                continue
            if isinstance(report, dict):
                reports[str(report.get("step") or name.removesuffix(".json"))] = report
    return Run(run_id, reports, tuple(versions))


def catalog_partitions(
    aws: Aws, database: str, tables: Sequence[deployed.CatalogTable], values: dict[str, set[str]]
) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """Table -> its catalog partitions whose source key has one of the source's values."""
    glue = aws.client("glue")
    found: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for table in tables:
        for key in table.partition_keys:
            for value in sorted(values.get(key, ())):
                expression = f"{key} = '{value.replace(chr(39), chr(39) * 2)}'"
                pages = glue.get_paginator("get_partitions").paginate(
                    DatabaseName=database, TableName=table.name, Expression=expression
                )
                for page in pages:
                    for partition in page.get("Partitions", []):
                        partition_values = tuple(str(v) for v in partition["Values"])
                        location = partition.get("StorageDescriptor", {}).get("Location") or ""
                        if not location:
                            location = folder(table.location) + "/".join(
                                f"{k}={v}"
                                for k, v in zip(table.partition_keys, partition_values, strict=False)
                            )
                        found.setdefault(table.name, []).append((partition_values, folder(location)))
    return found


def gather(aws: Aws, stack: FamilyStack, layout: ArrivalLayout, key: str) -> EraseFacts:
    from ops import erasure

    subject = subject_of(key, stack, layout)
    raw = versions_below(aws, stack.raw_bucket, subject)
    if not subject.endswith("/"):
        raw = [version for version in raw if version.key == subject]
    items = audit_items(aws, stack, subject)
    marks = in_flight_marks(aws, stack)
    runs = [
        run for name in run_names(items, layout, stack) if (run := read_run(aws, stack, name, marks)).versions
    ]
    tables = deployed.catalog_tables(aws, stack.database)
    tasks = deployed.deployed_glue_tasks(aws, stack)
    values = erasure.source_values(runs, tables)
    written = erasure.written_tables(runs, tables)
    partitions = catalog_partitions(aws, stack.database, [t for t in tables if t.name in written], values)
    first_step = next((s for run in runs for s in run.reports if tasks and pascal(s) == tasks[0].state), "")
    candidates = {
        path for paths in erasure.candidate_folders(runs, tables, first_step).values() for path in paths
    }
    candidates |= {location for entries in partitions.values() for _, location in entries}
    folder_versions = {}
    for path in sorted(candidates):
        bucket, prefix = split_uri(path)
        folder_versions[path] = versions_below(aws, bucket, prefix)
    staging_versions: dict[str, list[Version]] = {}
    for table in tables:
        if table.name in written:
            for staging in staging_prefixes(table.location):
                bucket, prefix = split_uri(staging)
                staging_versions.setdefault(table.name, []).extend(versions_below(aws, bucket, prefix))
    location = deployed.results_location(aws, stack.workgroup)
    results: list[Version] = []
    arrived = min(
        (str(item.get(Attr.RECEIVED_AT.value, "")) for item in items if item.get(Attr.RECEIVED_AT.value)),
        default="",
    )
    if location and arrived:
        bucket, prefix = split_uri(location)
        results = [v for v in versions_below(aws, bucket, prefix) if v.last_modified >= arrived]
    from ops.reprocess import execution_status

    running = [
        str(item.get(Attr.EXECUTION_NAME.value))
        for item in items
        if str(item.get(Attr.STATUS.value)) in audit.IN_FLIGHT
        and execution_status(aws, stack, item) == "RUNNING"
    ]
    return EraseFacts(
        subject=subject,
        raw_bucket=stack.raw_bucket,
        reports_prefix=f"s3://{stack.conformed_bucket}/{zone_prefix(stack.family, Zone.REPORTS)}",
        raw_versions=raw,
        items=items,
        runs=runs,
        tables=tables,
        glue_tasks=tasks,
        catalog_partitions=partitions,
        folder_versions=folder_versions,
        staging_versions=staging_versions,
        results=results,
        results_location=location,
        running=running,
    )


# -- acting ----------------------------------------------------------------------------------------


def delete_versions(aws: Aws, versions: Sequence[Version]) -> int:
    """Delete object versions for good (1,000 per request); returns how many."""
    s3 = aws.client("s3")
    by_bucket: dict[str, list[Version]] = {}
    for version in versions:
        by_bucket.setdefault(version.bucket, []).append(version)
    deleted = 0
    for bucket, entries in by_bucket.items():
        for start in range(0, len(entries), 1000):
            batch = entries[start : start + 1000]
            response = s3.delete_objects(
                Bucket=bucket,
                Delete={"Objects": [{"Key": v.key, "VersionId": v.version_id} for v in batch], "Quiet": True},
            )
            errors = response.get("Errors", [])
            if errors:
                first = errors[0]
                raise RefusedError(
                    f"S3 refused to delete {len(errors)} object version(s), e.g. s3://{bucket}/{first.get('Key')} "
                    f"version {first.get('VersionId')}: {first.get('Code')} {first.get('Message')}; fix the "
                    "permission and run the same erase again"
                )
            deleted += len(batch)
    return deleted


def _run_job(
    aws: Aws, job_name: str, arguments: dict[str, str], *, poll_s: float, timeout_s: float
) -> dict[str, Any]:
    """Start a Glue job run (waiting while the job is at its concurrent-run limit) and wait for its end."""
    glue = aws.client("glue")
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            run_id = glue.start_job_run(JobName=job_name, Arguments=arguments)["JobRunId"]
            break
        except ClientError as error:
            if error_code(error) != "ConcurrentRunsExceededException" or time.monotonic() > deadline:
                raise
            time.sleep(poll_s)
    while True:
        run = glue.get_job_run(JobName=job_name, RunId=run_id)["JobRun"]
        if run.get("JobRunState") in TERMINAL_JOB_STATES:
            return dict(run)
        if time.monotonic() > deadline:
            raise RefusedError(
                f"Glue run {run_id} of {job_name} still {run.get('JobRunState')} after {timeout_s:.0f} s"
            )
        time.sleep(poll_s)


def execute(
    aws: Aws,
    stack: FamilyStack,
    plan: ErasePlan,
    *,
    by: str,
    say: Callable[[str], None] = print,
    poll_s: float = 10.0,
    timeout_s: float = 4 * 3600.0,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    say(f"  deleted {delete_versions(aws, plan.raw_versions)} raw object version(s)")
    glue = aws.client("glue")
    for partition in plan.partitions:
        delete_versions(aws, partition.versions)
        if partition.values:
            response = glue.batch_delete_partition(
                DatabaseName=stack.database,
                TableName=partition.table,
                PartitionsToDelete=[{"Values": list(partition.values)}],
            )
            errors = [
                error.get("ErrorDetail", {})
                for error in response.get("Errors", [])
                if error.get("ErrorDetail", {}).get("ErrorCode") != "EntityNotFoundException"
            ]
            if errors:
                raise RefusedError(
                    f"the catalog refused to delete partition {list(partition.values)} of {partition.table}: "
                    f"{errors[0].get('ErrorCode')} {errors[0].get('ErrorMessage')}; fix it and run the same erase again"
                )
        say(f"  deleted {partition.table} {partition.folder} ({len(partition.versions)} object versions)")
    say(
        f"  deleted {delete_versions(aws, plan.leftovers)} write leftover version(s) (Spark staging) of its rows"
    )
    recompute = plan.recompute
    if recompute is not None:
        report_root = f"{zone_prefix(stack.family, Zone.REPORTS)}{recompute.run_id}/"
        for step, report in recompute.reports.items():
            aws.client("s3").put_object(
                Bucket=stack.conformed_bucket,
                Key=f"{report_root}{step}.json",
                Body=json.dumps(report, sort_keys=True).encode("utf-8"),
                ContentType="application/json",
            )
        for task, arguments in zip(recompute.tasks, recompute.arguments, strict=True):
            say(f"  recomputing: {task.state} (job {task.job_name}) as run {recompute.run_id} ...")
            run = _run_job(aws, task.job_name, dict(arguments), poll_s=poll_s, timeout_s=timeout_s)
            if run.get("JobRunState") != "SUCCEEDED":
                raise RefusedError(
                    f"the recompute {task.state} (Glue run {run.get('Id')} of {task.job_name}) ended "
                    f"{run.get('JobRunState')}: {run.get('ErrorMessage', 'no message')}; the source's rows are "
                    "deleted but the purpose-built partitions still count them: fix the cause and run the same "
                    "make erase again (it recomputes them again)"
                )
            say(f"  recomputed {task.state}: Glue run {run.get('Id')} SUCCEEDED")
        replaced: list[Version] = []
        for path in recompute.folders:
            bucket, prefix = split_uri(path)
            replaced += noncurrent(versions_below(aws, bucket, prefix))
        say(f"  deleted {delete_versions(aws, replaced)} replaced version(s) of the recomputed partitions")
        staged: dict[str, list[Version]] = {}
        for staging, path in recompute.staging:
            if staging not in staged:
                bucket, prefix = split_uri(staging)
                staged[staging] = versions_below(aws, bucket, prefix)
            # only what no write uses any more: a running write's current files stay
            replaced_copies = noncurrent(below_partition(staged[staging], [path]))
            staged[staging] = [v for v in staged[staging] if v not in replaced_copies]
            delete_versions(aws, replaced_copies)
            if replaced_copies:
                say(f"  deleted {len(replaced_copies)} staged version(s) of {path} below {staging}")
        erase_run = versions_below(aws, stack.conformed_bucket, report_root)
        delete_versions(aws, erase_run)
    marks = in_flight_marks(aws, stack)
    for done in plan.runs:
        # read again: a recompute or a retry may have added versions since the plan was made
        deleted = delete_versions(aws, run_versions(aws, stack, done.run_id, marks))
        say(f"  deleted run folder {done.run_id}/ ({deleted} object versions)")
    say(f"  deleted {delete_versions(aws, plan.results)} query result version(s)")
    at = timestamp(now())
    for item in plan.items:
        aws.client("dynamodb").update_item(
            **audit.erased_request(stack.audit_table, str(item[Attr.OBJECT_ID.value]), at=at, by=by)
        )
        say(f"  audit item {item[Attr.OBJECT_ID.value]}: ERASED at {at} by {by}")


def recompute_run_id(subject: str, now: datetime) -> str:
    return names.erase_run_id(subject, now)


def commands(target: Target, stack: FamilyStack, plan: ErasePlan, *, by: str, at: str) -> str:
    """The erase as AWS CLI lines, in the order `execute` runs them (one block)."""

    def delete(versions: Sequence[Version]) -> list[str]:
        lines = []
        by_bucket: dict[str, list[Version]] = {}
        for version in versions:
            by_bucket.setdefault(version.bucket, []).append(version)
        for bucket, entries in by_bucket.items():
            for start in range(0, len(entries), 1000):
                objects = [{"Key": v.key, "VersionId": v.version_id} for v in entries[start : start + 1000]]
                lines.append(
                    shell.aws(
                        target,
                        "s3api",
                        "delete-objects",
                        "--bucket",
                        bucket,
                        "--delete",
                        shell.as_json({"Objects": objects, "Quiet": True}),
                    )
                )
        return lines

    lines = ["# 1. every version of the raw object(s)", *delete(plan.raw_versions)]
    lines.append(
        "# 2. the partitions holding its rows (every version), their catalog partitions, and the write "
        "leftovers (Spark staging) of them"
    )
    for partition in plan.partitions:
        lines += delete(partition.versions)
        if partition.values:
            lines.append(
                shell.aws(
                    target,
                    "glue",
                    "batch-delete-partition",
                    "--database-name",
                    stack.database,
                    "--table-name",
                    partition.table,
                    "--partitions-to-delete",
                    shell.as_json([{"Values": list(partition.values)}]),
                )
            )
    lines += delete(plan.leftovers)
    if plan.recompute is not None:
        recompute = plan.recompute
        root = f"s3://{stack.conformed_bucket}/{zone_prefix(stack.family, Zone.REPORTS)}{recompute.run_id}/"
        lines.append(
            f"# 3. recompute the tables mixing sources, as run {recompute.run_id}: its upstream report, then each step"
        )
        for step, report in recompute.reports.items():
            lines.append(
                f"printf '%s' {shlex.quote(json.dumps(report, sort_keys=True))} | "
                + shell.aws(target, "s3", "cp", "-", f"{root}{step}.json")
            )
        for task, arguments in zip(recompute.tasks, recompute.arguments, strict=True):
            lines.append(
                shell.aws(
                    target,
                    "glue",
                    "start-job-run",
                    "--job-name",
                    task.job_name,
                    "--arguments",
                    shell.as_json(dict(arguments)),
                )
            )
            lines.append(
                f"#    then until SUCCEEDED: {shell.aws(target, 'glue', 'get-job-run', '--job-name', task.job_name, '--run-id', '<JobRunId>', '--query', 'JobRun.JobRunState')}"
            )
        lines.append(
            "#    then delete the noncurrent versions below each recomputed partition: "
            + ", ".join(recompute.folders)
        )
        staged = sorted({f"{prefix}*/{path}" for prefix, path in recompute.staging})
        if staged:
            lines.append("#    and the noncurrent versions of their staged copies: " + ", ".join(staged))
        lines.append(f"#    and every version below {root}")
    lines.append("# 4. its runs' folders (reports, staging)")
    for run in plan.runs:
        lines += delete(run.versions)
    lines.append("# 5. query results of the workgroup written since it arrived")
    lines += delete(plan.results)
    lines.append("# 6. its audit items: ERASED (kept)")
    for item in plan.items:
        request = audit.erased_request(stack.audit_table, str(item[Attr.OBJECT_ID.value]), at=at, by=by)
        lines.append(shell.aws(target, "dynamodb", "update-item", *audit.update_item_cli(request)))
    return shell.block(
        [f"erase {plan.subject} from {target.describe()}, stack {stack.name}: deletes data for good"], lines
    )
