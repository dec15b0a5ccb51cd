"""Which attempt a reprocess starts, or why it starts nothing (pure: `reprocess.decide`)."""

from __future__ import annotations

from typing import Any

import pytest

from job_family.audit.runtime.item import ObjectRef
from ops import reprocess
from ops.errors import RefusedError
from ops.tests.world import LAYOUT

OBJ = ObjectRef(
    bucket="raw", key="nyc_taxi/yellow_tripdata/trips_2021-03.csv", version_id="v1", size_bytes=10
)


def subject() -> reprocess.Subject:
    found = reprocess.object_subject(OBJ, LAYOUT)
    assert isinstance(found, reprocess.Subject)
    return found


def item(status: str, **extra: Any) -> dict[str, Any]:
    return {"object_id": OBJ.object_id, "status": status, "updated_at": "t", **extra}


def test_an_object_no_run_has_seen_takes_the_triggers_own_name() -> None:
    start = reprocess.decide(subject(), None, execution_status=None)

    assert isinstance(start, reprocess.Start)
    assert (start.attempt, start.name) == (0, subject().base_name)


def test_an_ended_run_is_re_opened_with_the_next_attempt_past_any_name_already_used() -> None:
    manual = f"arn:aws:states:eu-west-1:1:execution:sm:{subject().base_name}-r4"

    start = reprocess.decide(
        subject(), item("FAILED", reprocess_count=1, execution_arn=manual), execution_status=None
    )

    assert isinstance(start, reprocess.Start)
    assert start.attempt == 5 and start.name.endswith("-r5")


@pytest.mark.parametrize(
    ("status", "execution", "reason"),
    [
        ("RUNNING", "RUNNING", "is still RUNNING"),
        ("ERASED", None, "erased at"),
    ],
)
def test_a_running_or_erased_subject_is_skipped(status: str, execution: str | None, reason: str) -> None:
    skip = reprocess.decide(subject(), item(status, execution_name="x"), execution_status=execution)

    assert isinstance(skip, reprocess.Skip) and reason in skip.reason


def test_a_claim_whose_execution_never_ran_or_died_is_started_again() -> None:
    for execution in (None, "ABORTED"):
        start = reprocess.decide(subject(), item("RECEIVED", execution_name="x"), execution_status=execution)
        assert isinstance(start, reprocess.Start) and start.attempt == 1


def test_a_file_the_trigger_rejects_is_not_run() -> None:
    found = reprocess.object_subject(
        ObjectRef(bucket="raw", key="nyc_taxi/zones/a.csv", version_id="v", size_bytes=1), LAYOUT
    )

    assert isinstance(found, reprocess.Skip) and "unknown dataset 'zones'" in found.reason


def test_a_delivery_is_run_only_when_complete() -> None:
    from job_family.ingest.runtime.layout import PER_DELIVERY, ArrivalLayout

    layout = ArrivalLayout(
        family="us_legislators",
        datasets=(("persons", ((".json", "jsonl"),)), ("memberships", ((".json", "jsonl"),))),
        trigger=PER_DELIVERY,
    )
    folder = reprocess.delivery_folder("us_legislators/deliveries/d1/persons.json", layout)

    missing = reprocess.delivery_subject("raw", "us_legislators/deliveries/d1/", ["persons.json"], layout)
    complete = reprocess.delivery_subject(
        "raw", "us_legislators/deliveries/d1/", ["persons.json", "memberships.json"], layout
    )

    assert folder == "us_legislators/deliveries/d1/"
    assert isinstance(missing, reprocess.Skip) and "no file for memberships" in missing.reason
    assert isinstance(complete, reprocess.Subject) and complete.object_id.endswith("/d1/#delivery")


def test_since_must_be_a_day() -> None:
    assert reprocess.parse_since("2026-01-31").isoformat() == "2026-01-31T00:00:00+00:00"
    with pytest.raises(RefusedError, match="use yyyy-mm-dd"):
        reprocess.parse_since("yesterday")
