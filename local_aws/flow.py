"""A deployed job family's flow, as `make demo` and the end-to-end tests drive and observe it.

Nothing here names a resource or imports a family: `DeployedFlow.discover(env, stack_name=...)` finds
each one the way an operator would, from the outputs every family stack publishes
(`job_family.outputs.Output`: raw bucket and key prefix, audit table, state machine, topic, trigger
function and kind, queues, database, workgroup), from the deployed trigger function's key layout and
from the deployed stack's Glue jobs; table locations from the Glue catalog, named queries from the
family's Athena workgroup. The audit item's shape comes from the framework
(`job_family.audit.runtime.item`).

What arrives depends on the family's trigger (`Output.TRIGGER`):
- per object: each file is one upload, `<family>/<dataset>/<file>` (`key_for`, `upload`), followed by
  its own audit item (`object_id(bucket, key, version)`);
- per delivery: a delivery's files are put under one `<family>/<deliveries>/<delivery id>/` prefix
  (`upload_delivery`) and followed as one audit item (`delivery_object_id(bucket, prefix)`).
Either way an upload is done when its audit item reaches a terminal status (`TERMINAL_STATUSES`).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from job_family.audit.runtime.item import TERMINAL_STATUSES, Attr, Status, delivery_object_id, object_id
from job_family.ingest.runtime.environment import FAMILY_LAYOUT
from job_family.ingest.runtime.layout import PER_DELIVERY, ArrivalLayout
from job_family.outputs import Output
from job_family.spec import PerDelivery
from local_aws.environment import LocalEnvironment
from local_aws.lambda_runner import SqsEventSource

_DESERIALIZER = TypeDeserializer()
_NOT_CLAIMED = {"uploaded", "received", Status.REJECTED.value}
_TABLE_REFERENCE = re.compile(r'"(?P<database>[A-Za-z0-9_]+)"\s*\.\s*"(?P<table>[A-Za-z0-9_]+)"')


class FlowError(RuntimeError):
    """A step of the flow that did not do what it should, naming the step."""


def plain_item(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item in plain Python values (numbers as int/float)."""
    plain = {name: _DESERIALIZER.deserialize(value) for name, value in item.items()}
    return _plain(plain)  # type: ignore[no-any-return]


def _plain(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {name: _plain(inner) for name, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


@dataclass(frozen=True)
class Upload:
    """What was put into the raw bucket and is followed as one audit item: one object, or a delivery
    (`key` is then the delivery's prefix, `files` its objects, `object_id` the delivery's audit key)."""

    bucket: str
    key: str
    version_id: str | None
    size_bytes: int
    files: tuple[Upload, ...] = ()

    @property
    def is_delivery(self) -> bool:
        return bool(self.files)

    @property
    def object_id(self) -> str:
        if self.is_delivery:
            return delivery_object_id(self.bucket, self.key)
        return object_id(self.bucket, self.key, self.version_id)

    @property
    def objects(self) -> tuple[Upload, ...]:
        """The objects put: the delivery's files, or the object itself."""
        return self.files if self.is_delivery else (self,)

    @property
    def file_name(self) -> str:
        """The object's file name; for a delivery its folder, `<delivery id>/`."""
        return self.key.rstrip("/").rsplit("/", 1)[-1] + ("/" if self.is_delivery else "")


@dataclass
class NotificationCapture:
    """An SQS queue subscribed to the deployed topic: an observer of what subscribers would receive."""

    env: LocalEnvironment
    topic_arn: str
    queue_url: str
    received: list[dict[str, Any]] = field(default_factory=list)

    def poll(self) -> list[dict[str, Any]]:
        sqs = self.env.aws.client("sqs")
        while messages := sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            for message in messages:
                envelope = json.loads(message["Body"])
                body = envelope.get("Message", "")
                try:
                    parsed = json.loads(body)
                except json.JSONDecodeError:
                    parsed = {"message": body}
                self.received.append(
                    {
                        "subject": envelope.get("Subject"),
                        "attributes": {
                            name: attribute.get("Value")
                            for name, attribute in envelope.get("MessageAttributes", {}).items()
                        },
                        "message": parsed,
                    }
                )
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return self.received

    def about(self, upload: Upload) -> list[dict[str, Any]]:
        """The notifications that mention `upload` (its object id, key or, for a delivery, one of its files)."""
        self.poll()
        marks = {upload.object_id, upload.key, *(obj.key for obj in upload.files)}
        return [
            notification
            for notification in self.received
            if any(mark in json.dumps(notification) for mark in marks)
        ]


@dataclass(frozen=True)
class CatalogTable:
    database: str
    name: str
    location: str
    partition_keys: tuple[str, ...]


@dataclass
class DeployedFlow:
    """Handles on one deployed family, found from its stack (see the module docstring)."""

    env: LocalEnvironment
    stack_name: str
    outputs: dict[str, str]
    job_names: dict[str, str]  # physical name -> short label (logical id without its hash)

    @classmethod
    def discover(cls, env: LocalEnvironment, *, stack_name: str) -> DeployedFlow:
        names = [stack.name for stack in env.deployment.stacks]
        if stack_name not in names:
            raise FlowError(
                f"stack {stack_name} is not deployed (deployed: {', '.join(names) or 'none'}); deploy the "
                "family's assembly after the infrastructure one"
            )
        stack = env.deployment.stack(stack_name)
        missing = [output.value for output in Output if output.value not in stack.outputs]
        if missing:
            raise FlowError(f"stack {stack_name} lacks the family outputs {', '.join(missing)}")
        jobs = {
            resource.physical_id: re.sub(r"[0-9A-F]{8}$", "", resource.logical_id)
            for resource in stack.of_type("AWS::Glue::Job")
        }
        return cls(
            env=env,
            stack_name=stack_name,
            outputs={name: str(value) for name, value in stack.outputs.items()},
            job_names=jobs,
        )

    def output(self, output: Output) -> str:
        return self.outputs[output.value]

    @property
    def family(self) -> str:
        return self.output(Output.FAMILY)

    @property
    def trigger(self) -> str:
        """`per_object` or `per_delivery` (`job_family.ingest.runtime.layout`)."""
        return self.output(Output.TRIGGER)

    @property
    def per_delivery(self) -> bool:
        return self.trigger == PER_DELIVERY

    @property
    def raw_bucket(self) -> str:
        return self.output(Output.RAW_BUCKET)

    @property
    def purpose_built_bucket(self) -> str:
        return self.output(Output.PURPOSE_BUILT_BUCKET)

    @property
    def key_prefix(self) -> str:
        """The family's folder in the raw bucket, without its trailing slash."""
        return self.output(Output.RAW_KEY_PREFIX).rstrip("/")

    @property
    def audit_table(self) -> str:
        return self.output(Output.AUDIT_TABLE)

    @property
    def state_machine_arn(self) -> str:
        return self.output(Output.STATE_MACHINE)

    @property
    def topic_arn(self) -> str:
        return self.output(Output.TOPIC)

    @property
    def trigger_function(self) -> str:
        return self.output(Output.TRIGGER_FUNCTION)

    @property
    def database(self) -> str:
        return self.output(Output.DATABASE)

    @property
    def workgroup(self) -> str:
        return self.output(Output.WORKGROUP)

    def layout(self) -> ArrivalLayout | None:
        """The key layout the deployed trigger function was given (None if it has none)."""
        function = self.env.deployment.functions.get(self.trigger_function)
        text = function.environment.get(FAMILY_LAYOUT) if function is not None else None
        return ArrivalLayout.from_json(text) if text else None

    @property
    def deliveries_folder(self) -> str:
        """The folder of the family's deliveries below its prefix (a per-delivery family's)."""
        layout = self.layout()
        return layout.deliveries_folder if layout is not None else PerDelivery().folder

    # -- acting ---------------------------------------------------------------------------

    def key_for(self, dataset: str, file_name: str) -> str:
        """The key of one arriving file of a per-object family: `<family>/<dataset>/<file>`."""
        if self.per_delivery:
            raise FlowError(
                f"{self.family} is triggered per delivery: its files arrive under "
                f"{self.delivery_prefix('<delivery id>')} (use upload_delivery)"
            )
        return f"{self.key_prefix}/{dataset}/{file_name}"

    def delivery_prefix(self, delivery_id: str) -> str:
        """The folder of one delivery, with its trailing slash: `<family>/<deliveries>/<delivery id>/`."""
        return f"{self.key_prefix}/{self.deliveries_folder}/{delivery_id}/"

    def upload(self, key: str, body: bytes) -> Upload:
        """Put one object into the raw bucket."""
        response = self.env.aws.client("s3").put_object(Bucket=self.raw_bucket, Key=key, Body=body)
        return Upload(self.raw_bucket, key, response.get("VersionId"), len(body))

    def upload_delivery(self, delivery_id: str, files: Mapping[str, bytes]) -> Upload:
        """Put a delivery's files (file name -> bytes, in that order) under its prefix; the upload is
        followed as the delivery's one audit item."""
        if not files:
            raise FlowError(f"delivery {delivery_id!r} of {self.family} has no file")
        prefix = self.delivery_prefix(delivery_id)
        objects = tuple(self.upload(prefix + name, body) for name, body in files.items())
        return Upload(self.raw_bucket, prefix, None, sum(obj.size_bytes for obj in objects), files=objects)

    def upload_samples(self, samples: Sequence[tuple[str, Path]], *, delivery_id: str) -> list[Upload]:
        """Upload a family's sample files (`FamilySpec.sample_files`: (dataset, path) pairs) the way
        its trigger expects them: one upload per file (per object), or one delivery `delivery_id`
        holding every file under its own name (per delivery)."""
        if self.per_delivery:
            return [self.upload_delivery(delivery_id, {path.name: path.read_bytes() for _, path in samples})]
        return [self.upload(self.key_for(dataset, path.name), path.read_bytes()) for dataset, path in samples]

    def redeliver(self, upload: Upload) -> None:
        """Send the `Object Created` event of each of the upload's objects again (as S3 may)."""
        entries = [
            {
                "Source": "aws.s3",
                "DetailType": "Object Created",
                "Detail": json.dumps(
                    {
                        "bucket": {"name": obj.bucket},
                        "object": {"key": obj.key, "size": obj.size_bytes, "version-id": obj.version_id},
                    }
                ),
            }
            for obj in upload.objects
        ]
        events = self.env.aws.client("events")
        for start in range(0, len(entries), 10):
            events.put_events(Entries=entries[start : start + 10])

    def trigger_source(self) -> SqsEventSource:
        """The SQS poller of the family's trigger function (once `env.start_event_sources()` ran)."""
        lambdas = self.env.lambdas
        if lambdas is None:
            raise FlowError("the event sources are not started; call env.start_event_sources() first")
        for source in lambdas.event_sources:
            if lambdas.function(source.mapping.function_name).function.name == self.trigger_function:
                return source
        raise FlowError(f"no SQS event source invokes {self.family}'s trigger {self.trigger_function}")

    @contextmanager
    def capture_notifications(self, queue_name: str | None = None) -> Iterator[NotificationCapture]:
        """Subscribe a capture queue to the deployed topic while the block runs."""
        sqs = self.env.aws.client("sqs")
        sns = self.env.aws.client("sns")
        queue_url = sqs.create_queue(QueueName=queue_name or f"local-notifications-{self.stack_name}")[
            "QueueUrl"
        ]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        subscription = sns.subscribe(TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn)[
            "SubscriptionArn"
        ]
        try:
            yield NotificationCapture(self.env, self.topic_arn, queue_url)
        finally:
            sns.unsubscribe(SubscriptionArn=subscription)
            sqs.delete_queue(QueueUrl=queue_url)

    # -- observing ------------------------------------------------------------------------

    def audit_item(self, upload: Upload) -> dict[str, Any] | None:
        response = self.env.aws.client("dynamodb").get_item(
            TableName=self.audit_table,
            Key={Attr.OBJECT_ID.value: {"S": upload.object_id}},
            ConsistentRead=True,
        )
        return plain_item(response["Item"]) if "Item" in response else None

    def audit_items(self) -> list[dict[str, Any]]:
        dynamodb = self.env.aws.client("dynamodb")
        items: list[dict[str, Any]] = []
        for page in dynamodb.get_paginator("scan").paginate(TableName=self.audit_table):
            items += [plain_item(item) for item in page["Items"]]
        return items

    def job_runs(self, execution_name: str) -> list[tuple[str, str, str | None]]:
        """(job label, state, error) of the family's Glue runs an execution started, in start order."""
        return [
            (self.job_names[run.job_name], run.state, run.error_message)
            for run in self.env.glue.runs
            if run.job_name in self.job_names and run.arguments.get("--run_id") == execution_name
        ]

    def executions(self) -> list[dict[str, Any]]:
        sfn = self.env.aws.client("stepfunctions")
        pages = sfn.get_paginator("list_executions").paginate(stateMachineArn=self.state_machine_arn)
        return [execution for page in pages for execution in page["executions"]]

    def progress(self, upload: Upload) -> str:
        """One word or phrase for where the upload is: received, job 1 running, ..., SUCCEEDED."""
        item = self.audit_item(upload)
        if item is None:
            return "uploaded"
        status = str(item[Attr.STATUS.value])
        if status in TERMINAL_STATUSES:
            return status
        runs = self.job_runs(str(item.get(Attr.EXECUTION_NAME.value, "")))
        for number, (label, state, _) in reversed(list(enumerate(runs, start=1))):
            if state in {"STARTING", "RUNNING"}:
                return f"job {number} {label} {'queued' if state == 'STARTING' else 'running'}"
        return status.lower()

    def wait_until_settled(
        self,
        uploads: list[Upload],
        *,
        timeout_s: float = 600,
        on_change: Callable[[Upload, str, float], None] | None = None,
    ) -> dict[str, dict[str, Any]]:
        """Follow each upload until its audit item is terminal; returns the items by object id."""
        return wait_until_settled(
            [(self, upload) for upload in uploads], timeout_s=timeout_s, on_change=on_change
        )

    # -- reading the lake ---------------------------------------------------------------

    def catalog_table(self, name: str) -> CatalogTable:
        table = self.env.aws.client("glue").get_table(DatabaseName=self.database, Name=name)["Table"]
        return CatalogTable(
            database=self.database,
            name=name,
            location=table["StorageDescriptor"]["Location"],
            partition_keys=tuple(key["Name"] for key in table.get("PartitionKeys", [])),
        )

    def download_table(self, table: CatalogTable, target: Path) -> Path:
        """Copy a table's Parquet objects out of the local S3 into `target` (keeping partition folders)."""
        bucket, _, prefix = table.location.removeprefix("s3://").partition("/")
        prefix = prefix if prefix.endswith("/") else prefix + "/"
        s3 = self.env.aws.client("s3")
        directory = target / table.database / table.name
        shutil.rmtree(directory, ignore_errors=True)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                relative = entry["Key"][len(prefix) :]
                if not relative.endswith(".parquet"):
                    continue
                destination = directory / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(bucket, entry["Key"], str(destination))
        return directory

    def named_queries(self) -> list[dict[str, Any]]:
        """The named queries of the family's Athena workgroup, by name."""
        athena = self.env.aws.client("athena")
        ids = athena.list_named_queries(WorkGroup=self.workgroup)["NamedQueryIds"]
        queries = [athena.get_named_query(NamedQueryId=query_id)["NamedQuery"] for query_id in ids]
        return sorted(queries, key=lambda query: str(query["Name"]))

    def tables(self) -> list[CatalogTable]:
        """Every table of the family's Glue database."""
        glue = self.env.aws.client("glue")
        names = [table["Name"] for table in glue.get_tables(DatabaseName=self.database)["TableList"]]
        return [self.catalog_table(name) for name in sorted(names)]

    def quarantine_tables(self) -> list[CatalogTable]:
        """The tables under the family's quarantine prefix of the conformed bucket."""
        prefix = f"s3://{self.output(Output.CONFORMED_BUCKET)}/{self.key_prefix}/quarantine/"
        return [table for table in self.tables() if table.location.startswith(prefix)]

    def has_data(self, table: CatalogTable) -> bool:
        """Whether the table's location holds at least one Parquet object."""
        bucket, _, prefix = table.location.removeprefix("s3://").partition("/")
        prefix = prefix if prefix.endswith("/") else prefix + "/"
        pages = (
            self.env.aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return any(entry["Key"].endswith(".parquet") for page in pages for entry in page.get("Contents", []))

    def purpose_built_query(self) -> dict[str, Any]:
        """The first deployed named query (by name) that reads only purpose-built tables, all of them
        holding data (a family's sample may fill some of its datasets only)."""
        readers: list[str] = []
        for query in self.named_queries():
            tables = [
                self.catalog_table(match["table"])
                for match in _TABLE_REFERENCE.finditer(query["QueryString"])
            ]
            if not tables or not all(
                table.location.startswith(f"s3://{self.purpose_built_bucket}/") for table in tables
            ):
                continue
            if all(self.has_data(table) for table in tables):
                return query
            readers.append(str(query["Name"]))
        if readers:
            raise FlowError(
                f"no named query of {self.family} reads purpose-built tables that hold data "
                f"(their tables are empty: {'; '.join(readers)})"
            )
        raise FlowError(f"no deployed Athena named query of {self.family} reads a purpose-built table")

    def run_query(self, sql: str, scratch: Path) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run Athena SQL with DuckDB on the tables' Parquet copied out of the local S3.

        Each `"database"."table"` becomes a DuckDB view over the downloaded files (hive partitions).
        """
        import duckdb

        connection = duckdb.connect()
        for match in {(m["database"], m["table"]) for m in _TABLE_REFERENCE.finditer(sql)}:
            table = self.catalog_table(match[1])
            directory = self.download_table(table, scratch)
            if not any(directory.rglob("*.parquet")):
                raise FlowError(f"table {table.database}.{table.name} has no Parquet under {table.location}")
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{match[0]}"')
            connection.execute(
                f'CREATE OR REPLACE VIEW "{match[0]}"."{match[1]}" AS SELECT * FROM '
                f"read_parquet('{directory.as_posix()}/**/*.parquet', hive_partitioning = true)"
            )
        result = connection.execute(sql)
        columns = [column[0] for column in result.description or []]
        return columns, [tuple(row) for row in result.fetchall()]

    def quarantine_by_rule(self, scratch: Path) -> dict[str, dict[str, int]]:
        """Quarantined rows per broken rule of every quarantine table (tables with no rows left out)."""
        import duckdb

        found: dict[str, dict[str, int]] = {}
        for table in self.quarantine_tables():
            directory = self.download_table(table, scratch)
            if not any(directory.rglob("*.parquet")):
                continue
            rows = duckdb.execute(
                "SELECT rule, count(*) FROM (SELECT unnest(broken_rules) AS rule FROM read_parquet("
                f"'{directory.as_posix()}/**/*.parquet', hive_partitioning = true)) GROUP BY rule "
                "ORDER BY 2 DESC, 1"
            ).fetchall()
            found[table.name] = {str(rule): int(count) for rule, count in rows}
        return found


def wait_until_settled(
    uploads: Sequence[tuple[DeployedFlow, Upload]],
    *,
    timeout_s: float = 600,
    on_change: Callable[[Upload, str, float], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Follow uploads of one or more families at once until each audit item is terminal; returns the
    items by object id. `on_change(upload, where, elapsed_s)` hears every transition once, and
    `received` is never skipped for an upload that was claimed (the trigger may claim and start faster
    than a poll)."""
    started = time.monotonic()
    last: dict[str, str] = {}
    while True:
        for flow, upload in uploads:
            where = flow.progress(upload)
            if last.get(upload.object_id) == where:
                continue
            steps = [where]
            if last.get(upload.object_id, "uploaded") == "uploaded" and where not in _NOT_CLAIMED:
                steps.insert(0, "received")
            last[upload.object_id] = where
            for step in steps:
                if on_change is not None:
                    on_change(upload, step, time.monotonic() - started)
        if all(state in TERMINAL_STATUSES for state in last.values()):
            break
        if time.monotonic() - started > timeout_s:
            stuck = {upload.key: last[upload.object_id] for _, upload in uploads}
            raise FlowError(f"files not settled after {timeout_s:.0f} s: {stuck}")
        time.sleep(0.2)
    items = {upload.object_id: flow.audit_item(upload) for flow, upload in uploads}
    return {key: item for key, item in items.items() if item is not None}
