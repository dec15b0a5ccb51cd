"""Contract, end to end: a family's flow on the embedded local AWS, driven through its spec.

A family runs these tests with one line in `etl-jobs/<family>/tests/e2e/test_e2e_contract.py`:

    from job_family.testing.contracts.e2e import *  # noqa: F403

(its `tests/conftest.py` names the family with `family_under_test`, see `job_family.testing.family`).
They are marked `e2e`. One environment serves the module (`e2e_family`): the infrastructure app and the
family's app synthesized for `local` with the pinned CDK CLI (once per test session for each app,
`synthesized_assembly`), deployed into one `local_environment`, the flow found from the family stack's
outputs, its notifications captured, the SQS -> Lambda pollers started. Then, whatever the family's
trigger:

- each sample file (per object) or the sample delivery (per delivery) of `FamilySpec.sample_files`
  reaches SUCCEEDED with rows_read == rows_conformed + rows_quarantined, its audit item holds the
  physical schema read and what was done per column, and it is notified SUCCEEDED;
- the same `Object Created` event delivered twice starts one execution and leaves the audit item as it was;
- an object of an unknown dataset (per object) / a file that is no dataset file of a delivery (per
  delivery) is REJECTED with a reason naming it, starts nothing, and is notified;
- a file the first step cannot read (bytes that are not its Parquet or gzip format) ends FAILED with the
  failing state and the cause in the audit item, and a FAILED notification.

`deployed_families(...)` deploys any set of families into one environment for a family's own e2e tests
and the repository's cross-family test.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from job_family import naming
from job_family.audit.runtime.item import Attr, Status
from job_family.spec import DatasetSpec, FamilySpec, FileFormat
from job_family.testing.family import FamilyUnderTest
from local_aws.demo import ENVIRONMENT, INFRASTRUCTURE_APP, synth
from local_aws.environment import LocalEnvironment, local_environment
from local_aws.flow import DeployedFlow, NotificationCapture, Upload

__all__ = [
    "e2e_family",
    "e2e_samples",
    "test_a_file_of_no_dataset_is_rejected_and_notified",
    "test_a_file_the_first_step_cannot_read_ends_failed_with_the_state_and_cause",
    "test_each_sample_succeeds_with_its_rows_reconciled_and_is_notified",
    "test_the_same_event_delivered_twice_starts_one_execution",
]

SETTLE_TIMEOUT_S = 600  # per upload: its Glue runs queue behind the others' (one at a time, 2 cores)
NOTIFICATION_TIMEOUT_S = 10
# The state machines' retry waits, halved: Glue's concurrent-run retry waits 15 s, 30 s, ... instead of
# 30 s, 60 s, ... (the retries and their count as deployed; `local_aws.patches.retry_waits_scaled`). Its
# six attempts still span 765 s: a twelve-file backfill on 2 cores queued for more than the 306 s a
# fifth of the intervals leaves (5 of its 12 runs FAILED that way when the machine was busy).
RETRY_WAIT_SCALE = 0.5
SAMPLE_DELIVERY_ID = "sample"

# app folder -> its local cloud assembly, synthesized once per test session (process)
_ASSEMBLIES: dict[Path, Path] = {}


def synthesized_assembly(app: Path, out_root: Path) -> Path:
    """`cdk synth -c stage=local` of `app` with the pinned CLI into `out_root/<app>`, once per session."""
    app = app.resolve()
    found = _ASSEMBLIES.get(app)
    if found is not None and (found / "manifest.json").is_file():
        return found
    out_dir = out_root / app.name
    synth(app, out_dir)
    _ASSEMBLIES[app] = out_dir
    return out_dir


@dataclass
class LocalFamily:
    """One deployed family: its spec, flow and notification capture, and helpers the tests share."""

    spec: FamilySpec
    app_root: Path
    env: LocalEnvironment
    flow: DeployedFlow
    notifications: NotificationCapture
    scratch: Path

    def settle(self, *uploads: Upload) -> list[dict[str, Any]]:
        """The audit items of `uploads` once each is terminal, in the same order."""
        items = self.flow.wait_until_settled(list(uploads), timeout_s=SETTLE_TIMEOUT_S * len(uploads))
        return [items[upload.object_id] for upload in uploads]

    def notifications_about(self, upload: Upload, *, count: int = 1) -> list[dict[str, Any]]:
        """The notifications that mention `upload`, waiting a little for `count` of them."""
        deadline = time.monotonic() + NOTIFICATION_TIMEOUT_S
        while len(found := self.notifications.about(upload)) < count and time.monotonic() < deadline:
            time.sleep(0.2)
        return found

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        return self.flow.run_query(sql, self.scratch / "query")[1]

    def sample_files(self, folder: str = "samples") -> list[tuple[str, Path]]:
        if self.spec.sample_files is None:
            raise AssertionError(f"{self.spec.name} declares no sample_files (FamilySpec.sample_files)")
        return list(self.spec.sample_files(self.scratch / folder))

    def upload_samples(self, *, delivery_id: str = SAMPLE_DELIVERY_ID) -> list[Upload]:
        """The family's sample files, uploaded the way its trigger expects them."""
        return self.flow.upload_samples(self.sample_files(delivery_id), delivery_id=delivery_id)


@dataclass
class LocalLake:
    """The infrastructure and some families deployed into one embedded AWS."""

    env: LocalEnvironment
    families: dict[str, LocalFamily] = field(default_factory=dict)


@contextmanager
def deployed_families(
    families: Sequence[FamilyUnderTest], *, work_dir: Path, assemblies: Path, poll_interval_s: float = 0.1
) -> Iterator[LocalLake]:
    """Synthesize (once per session) and deploy the infrastructure and `families` into one local AWS,
    find each flow, capture its notifications and start the event sources, for the block."""
    from shared_config.loader import load_config

    settings = load_config()
    assert settings.local is not None, "shared_config/environments.yaml needs a `local:` environment"
    apps = [INFRASTRUCTURE_APP, *(family.app_root for family in families)]
    built = [synthesized_assembly(app, assemblies) for app in apps]
    with (
        local_environment(
            work_dir=work_dir / "run",
            account_id=settings.local.account,
            region=settings.local.region,
            retry_wait_scale=RETRY_WAIT_SCALE,
        ) as env,
        ExitStack() as captures,
    ):
        env.deploy(*built)
        lake = LocalLake(env)
        for family in families:
            spec = family.spec
            flow = DeployedFlow.discover(
                env, stack_name=naming.stack_name(settings.prefix, ENVIRONMENT, spec.name)
            )
            notifications = captures.enter_context(
                flow.capture_notifications(f"e2e-notifications-{spec.name}")
            )
            scratch = work_dir / spec.name
            lake.families[spec.name] = LocalFamily(spec, family.app_root, env, flow, notifications, scratch)
        env.start_event_sources(interval_s=poll_interval_s)
        yield lake


def unreadable_format(spec: FamilySpec) -> tuple[DatasetSpec, FileFormat] | None:
    """A dataset and an accepted format a file can be unreadable in: Parquet, else a gzip format."""
    for wanted in (lambda f: "parquet" in f.name, lambda f: f.suffix.endswith(".gz")):
        for dataset in spec.datasets:
            for file_format in dataset.formats:
                if wanted(file_format):
                    return dataset, file_format
    return None


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def e2e_family(
    family_under_test: FamilyUnderTest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalFamily]:
    """The family deployed with the infrastructure into one local AWS, shared by the module."""
    name = family_under_test.spec.name
    with deployed_families(
        [family_under_test],
        work_dir=tmp_path_factory.mktemp(f"e2e_{name}"),
        assemblies=tmp_path_factory.getbasetemp() / "assemblies",
    ) as lake:
        yield lake.families[name]


@pytest.fixture(scope="module")
def e2e_samples(e2e_family: LocalFamily) -> list[tuple[Upload, dict[str, Any]]]:
    """The family's sample files uploaded as its trigger expects them, each settled."""
    uploads = e2e_family.upload_samples()
    return list(zip(uploads, e2e_family.settle(*uploads), strict=True))


# --- the contract --------------------------------------------------------------------------------


@pytest.mark.e2e
def test_each_sample_succeeds_with_its_rows_reconciled_and_is_notified(
    e2e_family: LocalFamily, e2e_samples: list[tuple[Upload, dict[str, Any]]]
) -> None:
    assert e2e_samples, f"{e2e_family.spec.name}'s sample_files wrote no file"
    for upload, item in e2e_samples:
        assert item[Attr.STATUS.value] == Status.SUCCEEDED, item
        assert [entry["status"] for entry in item[Attr.HISTORY.value]] == ["RECEIVED", "RUNNING", "SUCCEEDED"]
        read = item[Attr.ROWS_READ.value]
        assert read > 0
        assert read == item[Attr.ROWS_CONFORMED.value] + item[Attr.ROWS_QUARANTINED.value], item
        # what was read: the columns as stored, and what was done with each of them
        stored = json.loads(item[Attr.PHYSICAL_SCHEMA.value])
        uses = json.loads(item[Attr.COLUMNS.value])
        assert stored and all(set(column) >= {"name", "type"} for column in stored), stored
        assert {(c["name"], c["type"]) for c in stored} <= {(u["name"], u["type"]) for u in uses}, uses
        assert {u["action"] for u in uses} <= {"kept", "cast", "renamed", "missing", "extra"}, uses
        succeeded = [
            notification["message"]
            for notification in e2e_family.notifications_about(upload)
            if notification["message"].get("status") == Status.SUCCEEDED
        ]
        assert len(succeeded) == 1, e2e_family.notifications.about(upload)
        assert succeeded[0][Attr.ROWS_READ.value] == read


@pytest.mark.e2e
def test_the_same_event_delivered_twice_starts_one_execution(
    e2e_family: LocalFamily, e2e_samples: list[tuple[Upload, dict[str, Any]]]
) -> None:
    upload, item = e2e_samples[0]
    source = e2e_family.flow.trigger_source()
    handled_before = sum(batch.deleted for batch in source.history)

    e2e_family.flow.redeliver(upload)

    deadline = time.monotonic() + 20
    while sum(batch.deleted for batch in source.history) < handled_before + len(upload.objects):
        assert time.monotonic() < deadline, "the repeated event never reached the trigger handler"
        time.sleep(0.1)
    executions = [
        execution
        for execution in e2e_family.flow.executions()
        if execution["name"] == item[Attr.EXECUTION_NAME.value]
    ]
    assert len(executions) == 1
    assert e2e_family.flow.audit_item(upload) == item


@pytest.mark.e2e
def test_a_file_of_no_dataset_is_rejected_and_notified(e2e_family: LocalFamily) -> None:
    flow, spec = e2e_family.flow, e2e_family.spec
    suffix = spec.datasets[0].formats[0].suffix
    stranger = "no_such_dataset"
    assert stranger not in spec.dataset_names
    if flow.per_delivery:
        named = f"{stranger}{suffix}"
        upload = flow.upload(flow.delivery_prefix("stray") + named, b'{"a": 1}\n')
    else:
        named = stranger
        upload = flow.upload(flow.key_for(stranger, f"{stranger}{suffix}"), b"a,b\n1,2\n")

    (item,) = e2e_family.settle(upload)

    assert item[Attr.STATUS.value] == Status.REJECTED, item
    assert named in item[Attr.REASON.value]
    assert Attr.EXECUTION_NAME.value not in item
    (notification,) = e2e_family.notifications_about(upload)
    assert notification["message"]["status"] == Status.REJECTED
    assert notification["message"]["reason"] == item[Attr.REASON.value]


@pytest.mark.e2e
def test_a_file_the_first_step_cannot_read_ends_failed_with_the_state_and_cause(
    e2e_family: LocalFamily,
) -> None:
    flow, spec = e2e_family.flow, e2e_family.spec
    found = unreadable_format(spec)
    if found is None:
        pytest.skip(f"{spec.name} accepts no Parquet or gzip format to send unreadable bytes in")
    dataset, file_format = found
    garbage = f"this is not {file_format.name}\n".encode()
    if flow.per_delivery:
        files = {
            path.name: path.read_bytes()
            for name, path in e2e_family.sample_files("unreadable")
            if name != dataset.name
        }
        upload = flow.upload_delivery("unreadable", {**files, f"{dataset.name}{file_format.suffix}": garbage})
    else:
        upload = flow.upload(flow.key_for(dataset.name, f"unreadable{file_format.suffix}"), garbage)

    (item,) = e2e_family.settle(upload)

    assert item[Attr.STATUS.value] == Status.FAILED, item
    assert item[Attr.FAILED_STATE.value] == spec.first_step.construct_id
    assert item[Attr.CAUSE.value]
    runs = flow.job_runs(item[Attr.EXECUTION_NAME.value])
    assert [state for _, state, _ in runs] == ["FAILED"]
    ((_, _, error),) = runs
    assert error and error[:60] in item[Attr.CAUSE.value]
    failed = [
        n["message"]
        for n in e2e_family.notifications_about(upload)
        if n["message"].get("status") == Status.FAILED
    ]
    assert len(failed) == 1
    assert failed[0]["failed_state"] == spec.first_step.construct_id
