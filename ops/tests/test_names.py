"""Execution names of reprocess attempts and erase runs: always valid, unique per attempt."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from job_family.audit.runtime.item import ObjectRef
from job_family.ingest.runtime import deliveries
from job_family.ingest.runtime.arrivals import execution_name
from ops.names import MAX_NAME, attempt_name, attempts_in, erase_run_id, execution_arn, is_valid_name

SUFFIXES = (".csv", ".csv.gz", ".parquet")


def _name_of(key: str, version: str = "v1", dataset: str = "yellow_tripdata") -> str:
    obj = ObjectRef(bucket="raw", key=key, version_id=version, size_bytes=10)
    return execution_name(obj, dataset, SUFFIXES)


def test_a_200_character_key_gives_valid_distinct_names_for_every_attempt() -> None:
    key = "nyc_taxi/yellow_tripdata/" + "trips of 2021-03 (ünïcode, spaces & symbols!) " * 5 + ".csv"
    key = key[:200]
    base = _name_of(key)

    names = [attempt_name(base, attempt) for attempt in range(0, 12)]

    assert len(key) == 200
    assert all(is_valid_name(name) and len(name) <= MAX_NAME for name in names), names
    assert len(set(names)) == len(names)
    assert names[0] == base
    assert names[1].endswith("-r1") and names[11].endswith("-r11")
    # the digest of the object version stays in every attempt's name
    digest = base.rsplit("-", 1)[1]
    assert all(digest in name for name in names)


def test_two_versions_of_one_key_never_share_an_attempt_name() -> None:
    key = "nyc_taxi/yellow_tripdata/" + "x" * 190 + ".csv"

    first, second = (_name_of(key, version) for version in ("v1", "v2"))

    assert attempt_name(first, 3) != attempt_name(second, 3)


def test_a_delivery_attempt_name_keeps_its_digest() -> None:
    ref = deliveries.delivery_ref("raw", "us_legislators/deliveries/" + "d" * 120 + "/")
    base = deliveries.delivery_execution_name(ref)

    name = attempt_name(base, 2)

    assert is_valid_name(name) and name.endswith("-r2")
    assert base.rsplit("-", 1)[1] in name


def test_a_name_that_is_not_the_triggers_is_cut_to_fit() -> None:
    name = attempt_name("manual restart: " + "y" * 100, 7)

    assert is_valid_name(name) and len(name) == MAX_NAME and name.endswith("-r7")


def test_negative_attempts_are_refused() -> None:
    with pytest.raises(ValueError, match="attempt -1"):
        attempt_name("a", -1)


def test_the_execution_arn_follows_the_state_machine_arn() -> None:
    arn = execution_arn("arn:aws:states:eu-west-1:305812749163:stateMachine:Orchestration-1", "run-r1")

    assert arn == "arn:aws:states:eu-west-1:305812749163:execution:Orchestration-1:run-r1"


def test_an_erase_run_id_is_valid_and_names_its_subject_and_time() -> None:
    at = datetime(2026, 11, 29, 10, 30, 5, tzinfo=UTC)

    run_id = erase_run_id("nyc_taxi/yellow_tripdata/" + "z" * 300, at)

    assert is_valid_name(run_id)
    assert run_id.startswith("erase-") and run_id.endswith("-20261129T103005")
    assert erase_run_id("other", at) != run_id


def test_the_attempts_already_used_are_read_from_names() -> None:
    assert attempts_in(["a-0123456789abcdef", "a-0123456789abcdef-r2", "manual-r10", "r3"]) == [2, 10]
