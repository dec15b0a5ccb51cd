"""A family triggered per delivery: pure rules, then the trigger handler on moto (S3, DynamoDB, Step
Functions, SNS): a delivery starts once, when complete, by its last file's event or the schedule."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import boto3
import pytest

from job_family.audit.runtime.item import ObjectRef, delivery_object_id
from job_family.ingest.runtime import deliveries
from job_family.ingest.runtime.arrivals import SCHEDULE_SOURCE, Rejected
from job_family.ingest.runtime.services import Deliveries
from job_family.tests.probe import DELIVERY_LAYOUT
from job_family.tests.world import BUCKET, REGION, World, s3_event

ROOT = "us_legislators/deliveries/"


def ref(key: str, size: int | None = 10) -> ObjectRef:
    return ObjectRef(bucket=BUCKET, key=key, version_id="v1", size_bytes=size)


@pytest.mark.parametrize(
    ("key", "dataset", "file_format"),
    [
        (f"{ROOT}2026-11-01/persons.json", "persons", "jsonl"),
        (f"{ROOT}2026-11-01/Memberships.JSONL", "memberships", "jsonl"),
        (f"{ROOT}d 1/organizations.json.gz", "organizations", "jsonl.gz"),
    ],
)
def test_a_dataset_file_of_a_delivery_is_accepted(key: str, dataset: str, file_format: str) -> None:
    verdict = deliveries.classify_file(ref(key), DELIVERY_LAYOUT)

    assert isinstance(verdict, deliveries.DeliveryFile)
    assert (verdict.dataset, verdict.file_format) == (dataset, file_format)
    assert verdict.prefix == key.rsplit("/", 1)[0] + "/"


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (f"{ROOT}2026-11-01/parties.json", "is no dataset file of a delivery"),
        (f"{ROOT}2026-11-01/persons.csv", "is no dataset file of a delivery"),
        (f"{ROOT}persons.json", "unexpected key"),
        (f"{ROOT}a/b/persons.json", "unexpected key"),
        ("us_legislators/other/a/persons.json", "unexpected key"),
        (f"{ROOT}2026-11-01/", "folder marker"),
    ],
)
def test_anything_else_is_rejected_with_the_layout_in_the_reason(key: str, reason: str) -> None:
    verdict = deliveries.classify_file(ref(key), DELIVERY_LAYOUT)

    assert isinstance(verdict, Rejected)
    assert reason in verdict.reason
    assert "persons.json" in verdict.reason or "folder marker" in verdict.reason


def test_a_delivery_is_complete_when_every_dataset_has_its_file() -> None:
    assert deliveries.missing_datasets(["persons.json", "notes.txt"], DELIVERY_LAYOUT) == [
        "memberships",
        "organizations",
    ]
    assert (
        deliveries.missing_datasets(
            ["persons.json", "memberships.jsonl", "organizations.json.gz"], DELIVERY_LAYOUT
        )
        == []
    )


def test_the_delivery_execution_name_is_valid_and_its_audit_key_is_the_delivery() -> None:
    delivery = deliveries.delivery_ref(BUCKET, f"{ROOT}{'x' * 90}")

    name = deliveries.delivery_execution_name(delivery)

    assert len(name) <= 80 and name.startswith("delivery-xxx")
    assert delivery.object_id == delivery_object_id(BUCKET, f"{ROOT}{'x' * 90}/")


# --- the handler --------------------------------------------------------------------------------
@pytest.fixture
def deliveries_world(world: World) -> World:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    world.services = replace(world.services, layout=DELIVERY_LAYOUT, deliveries=Deliveries(s3))
    return world


def _put(delivery: str, *files: str) -> list[dict[str, Any]]:
    s3 = boto3.client("s3", region_name=REGION)
    events = []
    for name in files:
        key = f"{ROOT}{delivery}/{name}"
        s3.put_object(Bucket=BUCKET, Key=key, Body=b'{"id": "1"}\n')
        events.append(s3_event(key, message_id=f"m-{delivery}-{name}"))
    return events


def _sweep() -> dict[str, Any]:
    return {"messageId": "sweep", "body": json.dumps({"source": SCHEDULE_SOURCE, "bucket": BUCKET})}


def test_an_incomplete_delivery_waits_and_its_last_file_starts_it_once(deliveries_world: World) -> None:
    first = deliveries_world.run(*_put("d1", "persons.json", "memberships.json"))
    last = deliveries_world.run(*_put("d1", "organizations.json"))

    assert first.started == [] and first.waiting == [f"{ROOT}d1/", f"{ROOT}d1/"]
    assert len(last.started) == 1
    [execution] = deliveries_world.executions()
    started = deliveries_world.execution_input(execution["name"])
    assert started["object_id"] == delivery_object_id(BUCKET, f"{ROOT}d1/")
    assert started["source_path"] == f"s3://{BUCKET}/{ROOT}d1/"


def test_a_delivery_uploaded_twice_is_processed_once(deliveries_world: World) -> None:
    files = ("persons.json", "memberships.json", "organizations.json")
    deliveries_world.run(*_put("d2", *files))
    again = deliveries_world.run(*_put("d2", *files))

    # Claimed already: nothing new starts (a claim still RECEIVED is started again under the same name,
    # which Step Functions treats as the same execution).
    assert len(deliveries_world.executions()) == 1
    assert again.started == [] and len(again.duplicates) + len(again.resumed) == 3


def test_the_schedule_starts_complete_deliveries_no_event_started_and_nothing_twice(
    deliveries_world: World,
) -> None:
    _put("complete", "persons.json", "memberships.json", "organizations.json")  # events lost
    _put("partial", "persons.json")

    swept = deliveries_world.run(_sweep())
    swept_again = deliveries_world.run(_sweep())

    assert len(swept.started) == 1 and swept.waiting == [f"{ROOT}partial/"]
    assert swept_again.started == []
    [execution] = deliveries_world.executions()
    assert "complete" in execution["name"]


def test_a_file_that_is_no_dataset_of_the_delivery_is_rejected_and_notified(deliveries_world: World) -> None:
    outcome = deliveries_world.run(*_put("d3", "parties.json"))

    assert len(outcome.rejected) == 1
    [notification] = deliveries_world.notifications()
    assert "us_legislators REJECTED" in notification["Subject"]
