"""`python -m ops ACTION --family F --env E`: operate a deployed job family (the Makefile's Operate section).

    python -m ops [--config F] [--dry-run] [--endpoint-url U] status    --family nyc_taxi --env dev
    python -m ops ... pause|resume --family nyc_taxi --env dev
    python -m ops ... reprocess --family nyc_taxi --env dev (--key K | --keys K1,K2 | --since 2026-01-31)
    python -m ops ... erase     --family nyc_taxi --env dev --key K [--confirm]

Order of checks: the arguments, the configuration (the environment exists; no placeholder account
outside `local`, which needs the embedded AWS's endpoint), then, unless a dry run of status, pause or
resume (which print their AWS CLI lines and touch nothing), the credentials through STS: they must
belong to the environment's account. Dry runs of reprocess and erase read (never write) to print the
exact commands. Every refusal prints `stopped: <reason>` once and exits 2.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from job_family import registry
from job_family.ingest.runtime.handler import timestamp
from ops import deployed, erase, erasure, ingestion, reprocess, status
from ops.aws import Aws
from ops.errors import RefusedError
from ops.stack import read_stack
from ops.target import Target, resolve_target
from ops.throttle import Throttle
from shared_config import DEFAULT_CONFIG_PATH, ConfigError, load_config

ACTIONS = ("status", "pause", "resume", "reprocess", "erase")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG_PATH, help="environments.yaml to use")
    parser.add_argument("--dry-run", action="store_true", help="print the AWS CLI commands, change nothing")
    parser.add_argument(
        "--endpoint-url",
        default=os.environ.get("AWS_ENDPOINT_URL", ""),
        help="another AWS endpoint, e.g. the embedded local AWS (default: $AWS_ENDPOINT_URL)",
    )
    actions = parser.add_subparsers(dest="action", required=True)
    for name, text in (
        ("status", "recent runs by status, failures with their cause, queue depths, paused or not"),
        ("pause", "stop starting runs; arrivals wait in the queue"),
        ("resume", "start runs again; the waiting arrivals are processed once each"),
        ("reprocess", "run objects (or deliveries) again, at a bounded rate"),
        ("erase", "erase one source object (a delivery folder per delivery) from the lake"),
    ):
        action = actions.add_parser(name, help=text)
        action.add_argument("--family", required=True, help="a job family, e.g. nyc_taxi")
        action.add_argument("--env", required=True, help="an environment of the configuration, e.g. dev")
        if name == "status":
            action.add_argument("--limit", type=int, default=10, help="items shown per status (default 10)")
        if name in ("reprocess", "erase"):
            action.add_argument("--key", default="", help="a key below the family's raw prefix")
            action.add_argument("--poll-s", type=float, default=10.0, help="seconds between progress checks")
        if name == "reprocess":
            action.add_argument("--keys", default="", help="keys, comma-separated")
            action.add_argument("--since", default="", help="yyyy-mm-dd: everything that arrived since (UTC)")
            action.add_argument(
                "--max-concurrent", type=int, default=None, help="run fewer at a time than Glue allows"
            )
            action.add_argument("--interval-s", type=float, default=1.0, help="seconds between two starts")
        if name == "erase":
            action.add_argument("--confirm", action="store_true", help="delete (without it: print the plan)")
    return parser


def _operator(arn: str) -> str:
    """Who acts: the caller's ARN, and the local user name when there is one."""
    try:
        user = os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        user = ""
    return f"{arn} ({user})" if user else arn


def main(argv: list[str], *, session: Any = None, say: Callable[[str], None] = print) -> int:
    args = _parser().parse_args(argv)
    try:
        return _run(args, session=session, say=say)
    except (RefusedError, ConfigError) as error:
        print(f"stopped: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, *, session: Any, say: Callable[[str], None]) -> int:
    # arguments first: no configuration or AWS is read for a command that cannot run
    keys: list[str] = []
    since: datetime | None = None
    if args.action == "reprocess":
        keys = reprocess.split_keys(args.key, args.keys, args.since)
        since = reprocess.parse_since(args.since) if args.since else None
        if args.max_concurrent is not None and args.max_concurrent < 1:
            raise RefusedError(f"MAX_CONCURRENT={args.max_concurrent} must be 1 or more")
    if args.action == "erase" and not args.key:
        raise RefusedError(
            "set KEY=<the source object's key> (a delivery folder for a family run per delivery)"
        )
    settings = load_config(args.config)
    target = resolve_target(
        settings,
        family=args.family,
        environment=args.env,
        families=registry.family_names(),
        endpoint_url=args.endpoint_url or None,
    )
    if args.dry_run and args.action == "status":
        say(status.commands(target, limit=args.limit))
        return 0
    if args.dry_run and args.action in ("pause", "resume"):
        say(ingestion.commands(target, enabled=args.action == "resume"))
        return 0
    aws = Aws(target, session=session)
    by = _operator(aws.check_account())
    stack = read_stack(aws, target.stack_name)
    if args.action == "status":
        report = status.gather(aws, stack, limit=args.limit)
        say(status.render(report, target, stack, limit=args.limit))
        return 0
    if args.action == "pause":
        ingestion.pause(aws, stack, say)
        return 0
    if args.action == "resume":
        ingestion.resume(aws, stack, say)
        return 0
    if args.action == "reprocess":
        return _reprocess(args, aws, target, stack, keys=keys, since=since, by=by, say=say)
    return _erase(args, aws, target, stack, by=by, say=say)


def _reprocess(
    args: argparse.Namespace,
    aws: Aws,
    target: Target,
    stack: Any,
    *,
    keys: list[str],
    since: datetime | None,
    by: str,
    say: Callable[[str], None],
) -> int:
    layout = deployed.trigger_layout(aws, stack)
    limit = deployed.concurrency_limit(aws, deployed.deployed_glue_tasks(aws, stack))
    if args.max_concurrent is not None:
        limit = min(limit, args.max_concurrent)
    found = reprocess.subjects(aws, stack, layout, keys=keys, since=since)
    if not found:
        raise RefusedError(f"nothing to reprocess: no object of {stack.family} arrived since {args.since}")
    steps = reprocess.plan(aws, stack, found)
    if args.dry_run:
        at = timestamp(datetime.now(UTC))
        say(reprocess.plan_commands(target, stack, steps, limit=limit, at=at, by=by))
        return 0
    try:
        paused = deployed.event_source_mapping(aws, stack).paused
    except RefusedError:
        paused = False
    if paused:
        say("note: ingestion is paused (make resume); reprocess starts its runs anyway")
    say(f"reprocess {len(steps)} subject(s) of {target.describe()}: at most {limit} running at a time")
    throttle = Throttle(limit=limit, interval_s=args.interval_s, poll_s=args.poll_s)
    started, skipped = reprocess.run(aws, stack, steps, throttle=throttle, by=by, say=say)
    say(f"started {len(started)}, skipped {len(skipped)}; follow them with make status")
    if not started and skipped:
        raise RefusedError(f"nothing was started ({len(skipped)} skipped, reasons above)")
    return 0


def _erase(
    args: argparse.Namespace, aws: Aws, target: Target, stack: Any, *, by: str, say: Callable[[str], None]
) -> int:
    layout = deployed.trigger_layout(aws, stack)
    now = datetime.now(UTC)
    subject = erase.subject_of(args.key, stack, layout)
    facts = erase.gather(aws, stack, layout, args.key)
    plan = erasure.plan(facts, recompute_run_id=erase.recompute_run_id(subject, now))
    if plan.blockers:
        raise RefusedError(f"{subject} cannot be erased now: " + "; ".join(plan.blockers))
    if plan.nothing_left:
        if not plan.items and not plan.raw_versions:
            raise RefusedError(f"nothing to erase: no object version and no audit item for {subject}")
        say(f"{subject}: already erased, nothing left to delete")
        for item in plan.items:
            say(
                f"  audit item {item.get('object_id')}: ERASED at {item.get('erased_at')} by {item.get('erased_by')}"
            )
        return 0
    if args.dry_run:
        say(erase.commands(target, stack, plan, by=by, at=timestamp(now)))
        return 0
    if not args.confirm:
        say(f"would erase {subject} from {target.describe()}:")
        for line in erasure.describe(plan, done=False):
            say(line)
        raise RefusedError(
            "erase deletes data for good and cannot be undone; to do exactly the above, run again with CONFIRM=1"
        )
    say(f"erasing {subject} from {target.describe()} (by {by}):")
    erase.execute(aws, stack, plan, by=by, say=say, poll_s=args.poll_s)
    say(f"erased {subject}:")
    for line in erasure.describe(plan, done=True):
        say(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
