"""`make demo`: every job family's sample, end to end on one embedded AWS, from the synthesized apps.

    python -m local_aws.demo [--family <name> ...] [--reuse-assemblies] [--work-dir .local/demo]

Steps: find the families (`job_family.registry`: every `etl-jobs/<family>/`, or those named with
`--family`), synthesize the infrastructure app and each family's app for the `local` environment (or
reuse a fresh assembly), start local AWS, deploy the infrastructure (it publishes the SSM contract) then
each family, start the SQS -> Lambda pollers, upload each family's sample files
(`FamilySpec.sample_files`) the way its trigger expects them (per object: one upload per file; per
delivery: every file under one delivery's prefix), follow them all to a terminal audit status, then per
family print the audit items, the notifications, the quarantine per table and rule, and one deployed
named query (run with DuckDB on the Parquet copied out of the local S3). Exit code 1 names the step that
failed; 2 an unknown family (naming the families).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from job_family.glue.runtime import local_driver

if TYPE_CHECKING:
    from job_family.spec import FamilySpec
    from local_aws.flow import DeployedFlow, NotificationCapture, Upload

REPO_ROOT = Path(__file__).resolve().parents[1]
INFRASTRUCTURE = "infrastructure"
INFRASTRUCTURE_APP = REPO_ROOT / INFRASTRUCTURE
CDK = REPO_ROOT / "node_modules" / ".bin" / "cdk"
ENVIRONMENT = "local"
SAMPLE_DELIVERY_ID = "sample"  # the delivery a per-delivery family's sample files arrive in
TIMEOUT_PER_UPLOAD_S = 600.0  # how long the follow step waits, per upload, unless --timeout says
# What makes an assembly stale: any of these, newer than its manifest.
_SOURCE_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".sql", ".csv"}
_LONG_FIELDS = {"object_id", "execution_arn", "execution", "source_path"}
_IGNORED_PARTS = {"cdk.out", "__pycache__", "tests", ".pytest_cache"}


class StepFailedError(RuntimeError):
    def __init__(self, step: str, error: BaseException) -> None:
        super().__init__(f"{step}: {type(error).__name__}: {error}")
        self.step = step


def families_to_run(names: Sequence[str]) -> list[str]:
    """The families named (in order, once each), or every family; LookupError naming the families for
    a name that is not one."""
    from job_family import registry

    known = registry.family_names()
    for name in names:
        if name not in known:
            raise LookupError(f"FAMILY={name} is not a job family; use one of: {', '.join(known) or 'none'}")
    return list(dict.fromkeys(names)) or known


# -- output ----------------------------------------------------------------------------------


def say(text: str = "") -> None:
    print(text, flush=True)


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [[str(value) for value in header], *[[str(value) for value in row] for row in rows]]
    widths = [max(len(row[index]) for row in cells) for index in range(len(header))]
    lines = ["  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join("    " + line.rstrip() for line in lines)


@dataclass
class Steps:
    """Runs named steps, printing each with its duration; a failure becomes `StepFailedError(step)`."""

    started: float = field(default_factory=time.perf_counter)
    done: list[tuple[str, float, str]] = field(default_factory=list)

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        say(f"\n== {name}")
        began = time.perf_counter()
        note: list[str] = []
        try:
            yield note
        except StepFailedError:
            raise
        except Exception as error:
            self.done.append((name, time.perf_counter() - began, "FAILED"))
            raise StepFailedError(name, error) from error
        self.done.append((name, time.perf_counter() - began, "; ".join(note) or "ok"))


# -- memory ----------------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _rss_kib(pid: int) -> int:
    try:
        for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_bytes(root: int) -> int:
    """Resident memory of `root` and all its descendants (Spark JVMs included), from /proc."""
    tree = _children()
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        total += _rss_kib(pid)
        pending += tree.get(pid, [])
    return total * 1024


class PeakMemory:
    """Samples the process tree's RSS every `interval_s` in the background; `peak` in bytes."""

    def __init__(self, root: int | None = None, interval_s: float = 0.2) -> None:
        self.root = root or os.getpid()
        self.interval_s = interval_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_bytes(self.root))
            self._stop.wait(self.interval_s)

    def __enter__(self) -> PeakMemory:
        if Path("/proc").is_dir():
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


# -- assemblies ------------------------------------------------------------------------------


def _source_roots(app: Path) -> list[Path]:
    """What an app's assembly is built from: its folder, the configuration, the delivery blocks and,
    for a job family, the framework."""
    roots = [app, REPO_ROOT / "shared_config", REPO_ROOT / "delivery"]
    if app.parent.name == "etl-jobs":
        roots.append(REPO_ROOT / "job_family")
    return roots


def _newest_source(app: Path) -> float:
    roots = _source_roots(app)
    newest = 0.0
    for root in roots:
        for path in root.rglob("*"):
            if (
                path.suffix in _SOURCE_SUFFIXES
                and not _IGNORED_PARTS.intersection(path.parts)
                and path.is_file()
            ):
                newest = max(newest, path.stat().st_mtime)
    return newest


def assembly_is_fresh(app: Path, out_dir: Path) -> bool:
    manifest = out_dir / "manifest.json"
    return manifest.is_file() and manifest.stat().st_mtime >= _newest_source(app)


def synth(app: Path, out_dir: Path) -> None:
    """`cdk synth -c stage=local -o <out_dir>` with the pinned CLI, in the app's folder."""
    if not CDK.exists():
        raise FileNotFoundError(f"{CDK} is missing; run `make setup`")
    env = os.environ | {
        "PATH": f"{REPO_ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "CDK_DISABLE_VERSION_CHECK": "1",
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    }
    command = [
        str(CDK), "synth", "-c", f"stage={ENVIRONMENT}", "-o", str(out_dir),
        "--quiet", "--no-notices", "--no-version-reporting",
    ]  # fmt: skip
    result = subprocess.run(command, cwd=app, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"cdk synth of {app.name} failed (exit {result.returncode}):\n{tail}")


def synth_all(apps: Mapping[str, tuple[Path, Path]]) -> dict[str, float]:
    """`synth` every app (name -> (app folder, assembly folder)), as many at once as the machine has cores
    (each is a Node and a Python process taking turns: one core's work); the seconds each took, in the
    order given. The first failure is raised once every synth has ended (leaving the pool waits for them)."""

    def timed(app: Path, out_dir: Path) -> float:
        began = time.perf_counter()
        synth(app, out_dir)
        return time.perf_counter() - began

    with ThreadPoolExecutor(max_workers=max(1, min(len(apps), os.cpu_count() or 1))) as pool:
        futures = {name: pool.submit(timed, app, out_dir) for name, (app, out_dir) in apps.items()}
    return {name: future.result() for name, future in futures.items()}


# -- the demo ---------------------------------------------------------------------------------


def _fmt_bytes(size: int) -> str:
    return f"{size / 2**30:.2f} GiB" if size >= 2**30 else f"{size / 2**20:.0f} MiB"


def _short_rule(values: dict[str, Any]) -> str:
    return ", ".join(f"{name}={value}" for name, value in values.items())


@dataclass
class FamilyRun:
    """One family in the demo: its spec, its app, and once deployed its flow, captures and uploads."""

    name: str
    spec: FamilySpec
    app: Path
    assembly: Path
    flow: DeployedFlow | None = None
    notifications: NotificationCapture | None = None
    uploads: list[Upload] = field(default_factory=list)

    @property
    def deployed(self) -> DeployedFlow:
        assert self.flow is not None, f"{self.name} is not deployed"
        return self.flow


def _assembly_paths(args: argparse.Namespace, families: Sequence[str]) -> dict[str, Path | None]:
    """The assembly given for each app (--infrastructure-assembly, --family-assembly NAME=DIR), or None."""
    given: dict[str, Path | None] = {INFRASTRUCTURE: args.infrastructure_assembly}
    for entry in args.family_assembly or []:
        name, _, path = entry.partition("=")
        if name not in families or not path:
            raise ValueError(
                f"--family-assembly {entry!r}: give <family>=<dir> for a family of this run "
                f"({', '.join(families)})"
            )
        given[name] = Path(path)
    return given


def run(args: argparse.Namespace, steps: Steps) -> int:
    from job_family import naming, registry
    from job_family.audit.runtime.item import Attr, Status
    from local_aws.environment import local_environment
    from local_aws.flow import DeployedFlow, FlowError, wait_until_settled
    from shared_config.loader import load_config

    work_dir: Path = args.work_dir.resolve()
    names: list[str] = args.families
    say(f"demo: {', '.join(names)} end to end on the embedded local AWS (work dir {work_dir})")

    with steps.step("configuration") as note:
        settings = load_config(args.config)
        if settings.local is None:
            raise ValueError(f"{args.config} has no `local:` environment; add one (see README)")
        local = settings.local
        note.append(f"prefix {settings.prefix}, account {local.account}, {local.region}")
        say(f"    prefix {settings.prefix}   account {local.account}   region {local.region}")

    with steps.step("families") as note:
        given = _assembly_paths(args, names)
        runs: list[FamilyRun] = []
        for name in names:
            spec = registry.load_spec(name)
            assembly = given.get(name) or work_dir / "assemblies" / name
            runs.append(FamilyRun(name, spec, registry.app_root(name), assembly))
            datasets = ", ".join(spec.dataset_names)
            say(f"    {name:<16} {spec.trigger.kind:<13} datasets {datasets}; steps {len(spec.steps)}")
            if spec.sample_files is None:
                raise ValueError(
                    f"{name} declares no sample_files (FamilySpec.sample_files); the demo uploads them"
                )
        note.append(", ".join(f"{run.name} ({run.spec.trigger.kind})" for run in runs))

    apps = {
        INFRASTRUCTURE: (
            INFRASTRUCTURE_APP,
            given[INFRASTRUCTURE] or work_dir / "assemblies" / INFRASTRUCTURE,
        )
    }
    apps |= {run.name: (run.app, run.assembly) for run in runs}
    with steps.step("synth") as note:
        stale: dict[str, tuple[Path, Path]] = {}
        for name, (app, out_dir) in apps.items():
            if args.reuse_assemblies or given.get(name) is not None or assembly_is_fresh(app, out_dir):
                if not (out_dir / "manifest.json").is_file():
                    raise FileNotFoundError(
                        f"no cloud assembly at {out_dir} (manifest.json missing); synthesize it with "
                        f"`cdk synth -c stage={ENVIRONMENT} -o <dir>` in {app}, or run without "
                        "--reuse-assemblies and without an assembly path"
                    )
                say(f"    {name:<16} reused  {out_dir}")
                note.append(f"{name} reused")
            else:
                stale[name] = (app, out_dir)
        for name, took in synth_all(stale).items():
            say(f"    {name:<16} synthesized in {took:5.1f} s -> {stale[name][1]}")
            note.append(f"{name} {took:.0f} s")

    cleanup = ExitStack()  # the environment, then the capture subscriptions: closed in reverse
    try:
        with steps.step("start local AWS") as note:
            env = cleanup.enter_context(
                local_environment(
                    work_dir=work_dir / "run",
                    account_id=local.account,
                    region=local.region,
                    spark_cores=args.spark_cores,
                    spark_driver_memory=args.spark_driver_memory,
                )
            )
            note.append(f"moto on port {env.aws.port}")
            say(f"    moto {env.aws.endpoint_url} (started in {env.aws.started_in_s:.1f} s)")

        with steps.step("deploy") as note:
            for _, out_dir in apps.values():
                env.deploy(out_dir)
            for stack in env.deployment.stacks:
                say(
                    f"    {stack.name:<28} {len(stack.created):3d} created  {len(stack.skipped):3d} skipped  "
                    f"{stack.assets_published} assets  {stack.elapsed_s:4.1f} s"
                )
            note.append(f"{len(env.deployment.stacks)} stacks")
            for family in runs:
                flow = DeployedFlow.discover(
                    env, stack_name=naming.stack_name(settings.prefix, ENVIRONMENT, family.name)
                )
                family.flow = flow
                say(f"    {family.name}")
                say(f"      raw prefix     s3://{flow.raw_bucket}/{flow.key_prefix}/  ({flow.trigger})")
                say(f"      audit table    {flow.audit_table}")
                say(f"      state machine  {flow.state_machine_arn.rsplit(':', 1)[-1]}")

        with steps.step("event sources"):
            for family in runs:
                family.notifications = cleanup.enter_context(
                    family.deployed.capture_notifications(f"local-demo-{family.name}")
                )
            lambdas = env.start_event_sources(interval_s=0.2)
            for source in lambdas.event_sources:
                say(
                    f"    SQS {source.mapping.event_source_arn.rsplit(':', 1)[-1]} -> {source.mapping.function_name}"
                )
            for family in runs:
                topic = family.deployed.topic_arn.rsplit(":", 1)[-1]
                say(f"    notifications: capture queue subscribed to {topic}")

        with steps.step("upload") as note:
            for family in runs:
                assert family.spec.sample_files is not None
                folder = work_dir / "sample" / family.name
                shutil.rmtree(folder, ignore_errors=True)
                samples = family.spec.sample_files(folder)
                family.uploads = family.deployed.upload_samples(samples, delivery_id=SAMPLE_DELIVERY_ID)
                for upload in family.uploads:
                    say(f"    s3://{upload.bucket}/{upload.key}  ({upload.size_bytes:,} bytes)")
                    for obj in upload.files:
                        say(f"        {obj.file_name}  ({obj.size_bytes:,} bytes)")
                note.append(f"{family.name} {len(samples)} files")

        with steps.step("follow") as note:
            pairs = [(family.deployed, upload) for family in runs for upload in family.uploads]
            if not pairs:
                raise FlowError("nothing was uploaded: no family's sample_files wrote a file")
            width = max(len(upload.key) for _, upload in pairs)

            def on_change(upload: Upload, where: str, elapsed: float) -> None:
                say(f"    {elapsed:6.1f} s  {upload.key:<{width}}  {where}")

            timeout_s = args.timeout or TIMEOUT_PER_UPLOAD_S * len(pairs)
            items = wait_until_settled(pairs, timeout_s=timeout_s, on_change=on_change)
            env.glue.wait_until_idle(timeout_s=60)
            statuses = [str(item[Attr.STATUS.value]) for item in items.values()]
            note.append(", ".join(statuses))
            failed = {
                upload.key: items[upload.object_id].get(Attr.CAUSE.value)
                or items[upload.object_id].get(Attr.REASON.value)
                or items[upload.object_id][Attr.STATUS.value]
                for _, upload in pairs
                if items[upload.object_id][Attr.STATUS.value] != Status.SUCCEEDED
            }
            if failed:
                raise FlowError(f"not SUCCEEDED: {failed}")

        failed_steps: list[StepFailedError] = []
        for family in runs:  # every family is shown, even after one of them failed a step
            try:
                _show_family(family, items, args, work_dir, steps)
            except StepFailedError as error:
                failed_steps.append(error)
        if failed_steps:
            raise failed_steps[0]
    finally:
        with steps.step("stop"):
            cleanup.close()
    return 0


def _show_family(
    family: FamilyRun,
    items: dict[str, dict[str, Any]],
    args: argparse.Namespace,
    work_dir: Path,
    steps: Steps,
) -> None:
    """A family's audit items, notifications, quarantine per table and rule, and one named query."""
    from job_family.audit.runtime.item import Attr
    from local_aws.flow import FlowError

    flow, name = family.deployed, family.name
    with steps.step(f"{name}: audit items"):
        rows = []
        for upload in family.uploads:
            item = items[upload.object_id]
            history = " > ".join(str(entry["status"]) for entry in item.get(Attr.HISTORY.value, []))
            rows.append(
                (
                    upload.file_name,
                    item[Attr.STATUS.value],
                    item.get(Attr.ROWS_READ.value, ""),
                    item.get(Attr.ROWS_CONFORMED.value, ""),
                    item.get(Attr.ROWS_QUARANTINED.value, ""),
                    history,
                )
            )
        say(table(rows, ("file", "status", "read", "conformed", "quarantined", "history")))
        ran = sorted(
            {
                run.spark_version
                for run in flow.env.glue.runs
                if run.job_name in flow.job_names and run.spark_version
            }
        )
        say(f"    Glue {family.spec.glue_version} jobs ran on local Spark {', '.join(ran) or '?'}")

    with steps.step(f"{name}: notifications") as note:
        assert family.notifications is not None
        deadline = time.monotonic() + 10
        while len(family.notifications.poll()) < len(family.uploads) and time.monotonic() < deadline:
            time.sleep(0.2)
        received = family.notifications.poll()
        for notification in received:
            message = notification["message"]
            summary = {
                key: value
                for key, value in message.items()
                if not isinstance(value, dict | list) and key not in _LONG_FIELDS
            } if isinstance(message, dict) else {"message": message}  # fmt: skip
            say(f"    {notification['subject'] or '(no subject)'}")
            say(f"        {_short_rule(summary)}")
        note.append(f"{len(received)} received")
        if len(received) < len(family.uploads):
            raise FlowError(f"{len(received)} notification(s) for {len(family.uploads)} uploads")

    with steps.step(f"{name}: quarantine") as note:
        by_table = flow.quarantine_by_rule(work_dir / "query" / name)
        if not by_table:
            say("    no quarantined rows")
        for quarantine, by_rule in by_table.items():
            say(f"    {quarantine}  (per rule, every upload)")
            say(table(sorted(by_rule.items(), key=lambda pair: (-pair[1], pair[0])), ("rule", "rows")))
            note.append(f"{quarantine} {sum(by_rule.values())} rows, {len(by_rule)} rules")

    with steps.step(f"{name}: named query (DuckDB)") as note:
        query = flow.purpose_built_query()
        say(f"    {query['Name']}  (workgroup {query.get('WorkGroup', 'primary')})")
        for line in str(query["QueryString"]).splitlines():
            say(f"      {line}")
        columns, result = flow.run_query(str(query["QueryString"]), work_dir / "query" / name)
        say(table(result[: args.show_rows], columns))
        if not result:
            raise FlowError(f"named query {query['Name']!r} returned no rows")
        note.append(f"{len(result)} rows")


def _summary(steps: Steps) -> None:
    say("\n== summary")
    say(
        table(
            [(name, f"{seconds:6.1f} s", outcome) for name, seconds, outcome in steps.done],
            ("step", "time", "outcome"),
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--family",
        dest="families",
        action="append",
        default=[],
        metavar="NAME",
        help="a job family to run (repeatable; default every family under etl-jobs/)",
    )
    parser.add_argument("--work-dir", type=Path, default=REPO_ROOT / ".local" / "demo")
    parser.add_argument("--config", type=Path, default=REPO_ROOT / "shared_config" / "environments.yaml")
    parser.add_argument("--reuse-assemblies", action="store_true", help="never synthesize; use what is there")
    parser.add_argument(
        "--infrastructure-assembly", type=Path, help="a cloud assembly synthesized with -c stage=local"
    )
    parser.add_argument(
        "--family-assembly",
        action="append",
        metavar="NAME=DIR",
        help="a family's cloud assembly (-c stage=local), used as it is (repeatable)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        help=f"seconds to wait for the uploads to settle (default {TIMEOUT_PER_UPLOAD_S:.0f} per upload: "
        "Glue runs execute one at a time)",
    )
    parser.add_argument("--spark-cores", type=int, default=2)
    parser.add_argument("--spark-driver-memory", default=local_driver.DRIVER_MEMORY)
    parser.add_argument("--show-rows", type=int, default=10, help="rows of the query result to print")
    args = parser.parse_args(argv)
    try:
        args.families = families_to_run(args.families)
    except LookupError as error:
        say(f"demo: {error}")
        return 2
    began = time.perf_counter()
    steps = Steps()
    failure: str | None = None
    with PeakMemory() as memory:
        try:
            code = run(args, steps)
        except StepFailedError as error:
            failure, code = f"FAILED at step '{error.step}': {error}", 1
        except KeyboardInterrupt:
            failure, code = "interrupted", 130
    _summary(steps)
    if failure is not None:
        say(f"\ndemo: {failure}")
    outcome = "succeeded" if code == 0 else "FAILED"
    say(
        f"\ndemo: {outcome} in {time.perf_counter() - began:.1f} s wall time; "
        f"peak memory {_fmt_bytes(memory.peak)} (this process and its children, sampled every 0.2 s)"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
