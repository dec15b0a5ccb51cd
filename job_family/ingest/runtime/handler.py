"""The trigger Lambda: SQS batch of EventBridge S3 events -> audit claim -> Step Functions execution.

A family triggered per object (`PerObject`) runs once per object version; one triggered per delivery
(`PerDelivery`, see `deliveries.py`) once per complete delivery, claimed by the event of its last file
or by the schedule's sweep message, whichever comes first. For every message of the batch, independently:
- a message naming no S3 object, or an object that is not `<family>/<dataset>/<file>` with a known
  dataset and format (or a folder marker, or empty): audit REJECTED with the reason + notification;
- otherwise: claim the object version with a conditional write (RECEIVED), then start the execution
  under a name derived from the object version, so a duplicate delivery starts nothing;
- an unexpected error leaves only that message for redelivery (`batchItemFailures`).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3

from job_family.audit.runtime.item import (
    DELIVERY,
    ObjectRef,
    Status,
    malformed_item,
    received_item,
    rejected_item,
)
from job_family.ingest.runtime import deliveries
from job_family.ingest.runtime.arrivals import (
    Arrival,
    Malformed,
    Rejected,
    Sweep,
    classify,
    execution_input,
    execution_name,
    read_message,
)
from job_family.ingest.runtime.environment import HandlerEnvironment
from job_family.ingest.runtime.layout import PER_DELIVERY, ArrivalLayout
from job_family.ingest.runtime.services import AuditTable, Claim, Deliveries, Executions, Notifier

LOGGER = logging.getLogger(__name__)
LOGGER.setLevel(logging.INFO)


@dataclass(frozen=True, kw_only=True)
class Services:
    layout: ArrivalLayout
    audit: AuditTable
    executions: Executions
    notifier: Notifier
    deliveries: Deliveries | None = None  # a PerDelivery family's listings of the raw bucket


@dataclass
class Outcome:
    started: list[str] = field(default_factory=list)  # execution names
    # claimed earlier without proof of a start: started again under the same name, which Step Functions
    # treats as the same execution (same name and input) or refuses (ExecutionAlreadyExists)
    resumed: list[str] = field(default_factory=list)  # execution names
    rejected: list[str] = field(default_factory=list)  # object ids
    duplicates: list[str] = field(default_factory=list)  # object ids
    waiting: list[str] = field(default_factory=list)  # delivery folders not complete yet
    failed: list[str] = field(default_factory=list)  # SQS message ids

    def response(self) -> dict[str, Any]:
        """The partial-batch response: only the failed messages return to the queue."""
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in self.failed]}


def timestamp(now: datetime) -> str:
    """ISO 8601 in UTC with milliseconds, like Step Functions' `$$.State.EnteredTime`."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def process_batch(
    event: dict[str, Any], *, services: Services, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Outcome:
    outcome = Outcome()
    for record in event.get("Records", []):
        message_id = str(record.get("messageId", ""))
        try:
            _process(read_message(record), services=services, at=timestamp(clock()), outcome=outcome)
        except Exception:
            LOGGER.exception("message %s failed; it returns to the queue", message_id)
            outcome.failed.append(message_id)
    return outcome


def _process(message: Arrival | Sweep | Malformed, *, services: Services, at: str, outcome: Outcome) -> None:
    if isinstance(message, Malformed):
        item = malformed_item(
            message.message_id, reason=message.reason, body_excerpt=message.body_excerpt, at=at
        )
        if services.audit.record_rejection(item):
            _notify_rejection(
                services,
                reason=message.reason,
                subject=f"{services.layout.family} REJECTED: malformed message",
            )
            outcome.rejected.append(item["object_id"]["S"])
        else:
            outcome.duplicates.append(item["object_id"]["S"])
        return
    if isinstance(message, Sweep):
        _sweep(message.bucket, services=services, at=at, outcome=outcome)
        return
    obj = message.obj
    if services.layout.trigger == PER_DELIVERY:
        _delivery_file(obj, services=services, at=at, outcome=outcome)
        return
    verdict = classify(obj, services.layout)
    if isinstance(verdict, Rejected):
        if services.audit.record_rejection(rejected_item(obj, reason=verdict.reason, at=at)):
            _notify_rejection(
                services,
                reason=verdict.reason,
                subject=f"{services.layout.family} REJECTED: {obj.key}",
                obj=obj,
            )
            outcome.rejected.append(obj.object_id)
        else:
            outcome.duplicates.append(obj.object_id)
        return
    name = execution_name(obj, verdict.dataset, services.layout.all_suffixes())
    _claim_and_start(
        obj,
        name=name,
        dataset=verdict.dataset,
        file_format=verdict.file_format,
        input_json=execution_input(obj, verdict).to_json(),
        services=services,
        at=at,
        outcome=outcome,
    )


def _claim_and_start(
    obj: ObjectRef,
    *,
    name: str,
    dataset: str,
    file_format: str,
    input_json: str,
    services: Services,
    at: str,
    outcome: Outcome,
) -> None:
    """Claim the object (or delivery) and start its execution; a claim that exists starts nothing."""
    claim = services.audit.claim(
        received_item(obj, dataset=dataset, file_format=file_format, execution_name=name, at=at)
    )
    if claim is Claim.DUPLICATE:
        LOGGER.info("duplicate delivery of %s; nothing started", obj.object_id)
        outcome.duplicates.append(obj.object_id)
        return
    if services.executions.start(name=name, input_json=input_json):
        LOGGER.info("started %s for %s (%s claim)", name, obj.object_id, claim.value)
        (outcome.started if claim is Claim.NEW else outcome.resumed).append(name)
    else:
        LOGGER.info("execution %s already exists; nothing started", name)
        outcome.duplicates.append(obj.object_id)


def _delivery_file(obj: ObjectRef, *, services: Services, at: str, outcome: Outcome) -> None:
    """A file of a delivery: rejected if it is none of the delivery's files, else the delivery is
    started once it is complete."""
    verdict = deliveries.classify_file(obj, services.layout)
    if isinstance(verdict, Rejected):
        if services.audit.record_rejection(rejected_item(obj, reason=verdict.reason, at=at)):
            _notify_rejection(
                services,
                reason=verdict.reason,
                subject=f"{services.layout.family} REJECTED: {obj.key}",
                obj=obj,
            )
            outcome.rejected.append(obj.object_id)
        else:
            outcome.duplicates.append(obj.object_id)
        return
    _start_if_complete(obj.bucket, verdict.prefix, services=services, at=at, outcome=outcome)


def _sweep(bucket: str, *, services: Services, at: str, outcome: Outcome) -> None:
    """The schedule: every complete delivery not claimed yet is started (claimed ones start nothing)."""
    listing = _deliveries(services)
    for prefix in listing.folders(bucket, deliveries.deliveries_root(services.layout)):
        ref = deliveries.delivery_ref(bucket, prefix)
        if services.audit.exists(ref.object_id):
            continue
        _start_if_complete(bucket, prefix, services=services, at=at, outcome=outcome)


def _start_if_complete(bucket: str, prefix: str, *, services: Services, at: str, outcome: Outcome) -> None:
    missing = deliveries.missing_datasets(_deliveries(services).file_names(bucket, prefix), services.layout)
    if missing:
        LOGGER.info("delivery %s waits for %s", prefix, ", ".join(missing))
        outcome.waiting.append(prefix)
        return
    ref = deliveries.delivery_ref(bucket, prefix)
    _claim_and_start(
        ref,
        name=deliveries.delivery_execution_name(ref),
        dataset=DELIVERY,
        file_format=DELIVERY,
        input_json=deliveries.delivery_input(ref).to_json(),
        services=services,
        at=at,
        outcome=outcome,
    )


def _deliveries(services: Services) -> Deliveries:
    if services.deliveries is None:
        raise RuntimeError("a family triggered per delivery needs Services(deliveries=...) (S3 listings)")
    return services.deliveries


def _notify_rejection(services: Services, *, reason: str, subject: str, obj: ObjectRef | None = None) -> None:
    details: dict[str, Any] = {"reason": reason}
    if obj is not None:
        details.update(bucket=obj.bucket, key=obj.key, version_id=obj.version_id, object_id=obj.object_id)
        dataset = obj.key.split("/")[1] if obj.key.count("/") >= 2 else ""
        details["dataset"] = dataset
    services.notifier.publish(status=Status.REJECTED, subject=subject, details=details)


@cache
def build_services(environment: HandlerEnvironment) -> Services:
    """boto3 clients for the function's collaborators, built once per warm container."""
    return Services(
        layout=environment.layout,
        audit=AuditTable(boto3.client("dynamodb"), environment.audit_table_name),
        executions=Executions(boto3.client("stepfunctions"), environment.state_machine_arn),
        notifier=Notifier(boto3.client("sns"), environment.topic_arn),
        deliveries=Deliveries(boto3.client("s3")) if environment.layout.trigger == PER_DELIVERY else None,
    )


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Lambda entry point: the only place that reads the process environment."""
    services = build_services(HandlerEnvironment.from_environ(os.environ))
    outcome = process_batch(event, services=services)
    LOGGER.info(
        json.dumps(
            {
                "started": len(outcome.started),
                "resumed": len(outcome.resumed),
                "rejected": len(outcome.rejected),
                "duplicates": len(outcome.duplicates),
                "waiting": len(outcome.waiting),
                "failed": len(outcome.failed),
            }
        )
    )
    return outcome.response()
