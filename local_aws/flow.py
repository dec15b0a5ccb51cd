"""The deployed nyc_taxi flow, as `make demo` and the end-to-end tests drive and observe it.

Nothing here names a resource: `DeployedFlow.discover` finds each one the way an operator would,
from what was deployed and what the apps publish:
- the raw bucket from the infrastructure app's SSM contract (`shared_config.contract`);
- the audit table, state machine and topic from the trigger function's own configuration
  (the variables `nyc_taxi.ingest.runtime.environment` reads);
- the Glue jobs, database and tables, and the Athena named queries from the deployed stacks and
  the Glue/Athena APIs; table locations from the Glue catalog.
The object key layout and the audit item come from the nyc_taxi runtime modules
(`ingest.runtime.arrivals`, `audit.runtime.item`, `jobs.runtime.schemas`).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nyc_taxi.jobs.runtime.schemas as schemas
from boto3.dynamodb.types import TypeDeserializer
from nyc_taxi.audit.runtime.item import TERMINAL_STATUSES, Attr, Status, object_id
from nyc_taxi.ingest.runtime.arrivals import PREFIX
from nyc_taxi.ingest.runtime.environment import VARIABLES, HandlerEnvironment

from local_aws.environment import LocalEnvironment
from shared_config.contract import ContractScope, Param

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
    """One object put into the raw bucket."""

    bucket: str
    key: str
    version_id: str | None
    size_bytes: int

    @property
    def object_id(self) -> str:
        return str(object_id(self.bucket, self.key, self.version_id))

    @property
    def file_name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


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
        """The notifications that mention `upload` (its object id or key)."""
        self.poll()
        return [
            notification
            for notification in self.received
            if upload.object_id in json.dumps(notification) or upload.key in json.dumps(notification)
        ]


@dataclass(frozen=True)
class CatalogTable:
    database: str
    name: str
    location: str
    partition_keys: tuple[str, ...]


@dataclass
class DeployedFlow:
    """Handles on the deployed flow, found from the deployment (see the module docstring)."""

    env: LocalEnvironment
    handler: HandlerEnvironment
    raw_bucket: str
    purpose_built_bucket: str
    job_names: dict[str, str]  # physical name -> short label (logical id without its hash)
    database: str
    key_prefix: str = PREFIX  # the job family's folder in the raw bucket (`<family>/<dataset>/<file>`)

    @classmethod
    def discover(
        cls, env: LocalEnvironment, *, prefix: str, environment: str, key_prefix: str = PREFIX
    ) -> DeployedFlow:
        triggers = [
            function
            for function in env.deployment.functions.values()
            if all(function.environment.get(name) for name in VARIABLES)
        ]
        if len(triggers) != 1:
            raise FlowError(
                f"expected one deployed function configured with {', '.join(VARIABLES)} (the nyc_taxi "
                f"trigger), found {len(triggers)}; deploy the nyc_taxi assembly after the infrastructure one"
            )
        scope = ContractScope(prefix=prefix, environment=environment)
        ssm = env.aws.client("ssm")

        def contract(param: Param) -> str:
            try:
                return str(ssm.get_parameter(Name=scope.name(param))["Parameter"]["Value"])
            except ssm.exceptions.ParameterNotFound:
                raise FlowError(
                    f"SSM contract parameter {scope.name(param)} is missing; deploy the infrastructure "
                    f"assembly for environment {environment!r} first"
                ) from None

        jobs: dict[str, str] = {}
        databases: list[str] = []
        for stack in env.deployment.stacks:
            for resource in stack.of_type("AWS::Glue::Job"):
                jobs[resource.physical_id] = re.sub(r"[0-9A-F]{8}$", "", resource.logical_id)
            databases += [resource.physical_id for resource in stack.of_type("AWS::Glue::Database")]
        if len(databases) != 1 or not jobs:
            raise FlowError(f"expected one Glue database and Glue jobs, found {databases} and {list(jobs)}")
        return cls(
            env=env,
            handler=HandlerEnvironment.from_environ(dict(triggers[0].environment)),
            raw_bucket=contract(Param.RAW_BUCKET_NAME),
            purpose_built_bucket=contract(Param.PURPOSE_BUILT_BUCKET_NAME),
            job_names=jobs,
            database=databases[0],
            key_prefix=key_prefix,
        )

    # -- acting ---------------------------------------------------------------------------

    def key_for(self, dataset: str, file_name: str) -> str:
        return f"{self.key_prefix}/{dataset}/{file_name}"

    def upload(self, key: str, body: bytes) -> Upload:
        response = self.env.aws.client("s3").put_object(Bucket=self.raw_bucket, Key=key, Body=body)
        return Upload(self.raw_bucket, key, response.get("VersionId"), len(body))

    @contextmanager
    def capture_notifications(
        self, queue_name: str = "local-demo-notifications"
    ) -> Iterator[NotificationCapture]:
        """Subscribe a capture queue to the deployed topic while the block runs."""
        sqs = self.env.aws.client("sqs")
        sns = self.env.aws.client("sns")
        queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        subscription = sns.subscribe(TopicArn=self.handler.topic_arn, Protocol="sqs", Endpoint=queue_arn)[
            "SubscriptionArn"
        ]
        try:
            yield NotificationCapture(self.env, self.handler.topic_arn, queue_url)
        finally:
            sns.unsubscribe(SubscriptionArn=subscription)
            sqs.delete_queue(QueueUrl=queue_url)

    # -- observing ------------------------------------------------------------------------

    def audit_item(self, upload: Upload) -> dict[str, Any] | None:
        response = self.env.aws.client("dynamodb").get_item(
            TableName=self.handler.audit_table_name,
            Key={Attr.OBJECT_ID.value: {"S": upload.object_id}},
            ConsistentRead=True,
        )
        return plain_item(response["Item"]) if "Item" in response else None

    def audit_items(self) -> list[dict[str, Any]]:
        items = self.env.aws.client("dynamodb").scan(TableName=self.handler.audit_table_name)["Items"]
        return [plain_item(item) for item in items]

    def job_runs(self, execution_name: str) -> list[tuple[str, str, str | None]]:
        """(job label, state, error) of the Glue runs an execution started, in start order."""
        return [
            (self.job_names.get(run.job_name, run.job_name), run.state, run.error_message)
            for run in self.env.glue.runs
            if run.arguments.get("--run_id") == execution_name
        ]

    def executions(self) -> list[dict[str, Any]]:
        sfn = self.env.aws.client("stepfunctions")
        return list(sfn.list_executions(stateMachineArn=self.handler.state_machine_arn)["executions"])

    def progress(self, upload: Upload) -> str:
        """One word or phrase for where the file is: received, job 1 running, ..., SUCCEEDED."""
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
        started = time.monotonic()
        last: dict[str, str] = {}
        while True:
            for upload in uploads:
                where = self.progress(upload)
                if last.get(upload.object_id) == where:
                    continue
                # the trigger may claim and start faster than a poll: still say it was received
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
                stuck = {upload.key: last[upload.object_id] for upload in uploads}
                raise FlowError(f"files not settled after {timeout_s:.0f} s: {stuck}")
            time.sleep(0.2)
        items = {upload.object_id: self.audit_item(upload) for upload in uploads}
        return {key: item for key, item in items.items() if item is not None}

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
        athena = self.env.aws.client("athena")
        workgroups = [group["Name"] for group in athena.list_work_groups()["WorkGroups"]]
        ids = {
            query_id
            for workgroup in workgroups
            for query_id in athena.list_named_queries(WorkGroup=workgroup)["NamedQueryIds"]
        }
        queries = [athena.get_named_query(NamedQueryId=query_id)["NamedQuery"] for query_id in ids]
        return sorted(queries, key=lambda query: str(query["Name"]))

    def purpose_built_query(self, dataset: str) -> dict[str, Any]:
        """The first deployed named query (by name) over a purpose-built table of `dataset`."""
        for query in self.named_queries():
            tables = [
                self.catalog_table(match["table"])
                for match in _TABLE_REFERENCE.finditer(query["QueryString"])
            ]
            if tables and all(
                table.location.startswith(f"s3://{self.purpose_built_bucket}/")
                and table.name.startswith(dataset)
                for table in tables
            ):
                return query
        raise FlowError(f"no deployed Athena named query reads a purpose-built {dataset} table")

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

    def quarantine_query(self, dataset: str) -> dict[str, Any]:
        """The deployed named query over the quarantine table of `dataset` (rows per file and rule)."""
        quarantine = schemas.quarantine_table(dataset).name
        for query in self.named_queries():
            if {match["table"] for match in _TABLE_REFERENCE.finditer(query["QueryString"])} == {quarantine}:
                return query
        raise FlowError(f"no deployed Athena named query reads {self.database}.{quarantine}")

    def quarantine_by_rule(self, dataset: str, scratch: Path) -> dict[str, int]:
        """Quarantined rows per broken rule, from the deployed quarantine named query ({} if none)."""
        table = self.catalog_table(schemas.quarantine_table(dataset).name)
        if not any(self.download_table(table, scratch).rglob("*.parquet")):
            return {}
        columns, rows = self.run_query(str(self.quarantine_query(dataset)["QueryString"]), scratch)
        rule, count = columns.index("rule"), columns.index("rows_quarantined")
        by_rule: dict[str, int] = {}
        for row in rows:
            by_rule[str(row[rule])] = by_rule.get(str(row[rule]), 0) + int(row[count])
        return by_rule
