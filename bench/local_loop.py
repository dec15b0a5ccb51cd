"""The local loop: small files of nyc_taxi, one at a time, through every step of the family in the local AWS.

    python -m bench.local_loop [--files 6] [--rows 50] [--assemblies DIR] [--work-dir DIR] [--json PATH]

What a data engineer waits for each time a file goes through the family on this machine. Set-up (not
timed as the loop): the infrastructure's and the family's cloud assemblies for `local`, reused when
fresh or synthesized (`local_aws.demo.assembly_is_fresh` / `synth`, default `.local/demo/assemblies`,
the ones `make demo` keeps), the embedded AWS started (`local_aws.environment.local_environment`, the
demo's Spark settings), both deployed, the SQS -> Lambda pollers started (every 0.2 s, as in the demo).

Then `--files` different files of `--rows` rows (the family's sample generator: one month each,
2021-01, 2021-02, ..., 2% dirty rows, seed = the file's number) are uploaded one at a time to the raw
bucket at the family's key (`DeployedFlow.key_for`), each followed to its terminal audit status
(`DeployedFlow.wait_until_settled`: the trigger Lambda claims it, the state machine runs both Glue
steps, the audit item reaches SUCCEEDED) before the next is uploaded. A file's time runs from just
before its `put_object` to the poll that sees SUCCEEDED (polled every 0.2 s, so at most 0.2 s late).
The first file starts the local Glue runtime's Spark driver JVM; the next ones find it warm. Reported:
the first file's time and the median of the others (`warm`), each file's timeline (when the audit item
and the Glue runs changed state) and its Glue runs' own times.

Exit 1 when a file does not end SUCCEEDED with every row read; `--json` is written either way.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FAMILY = "nyc_taxi"  # per object: one upload, one execution
DATASET = "yellow_tripdata"
DEFAULT_FILES = 6  # the first, then 5 warm
DEFAULT_ROWS = 50
SETTLE_TIMEOUT_S = 300.0
POLL_INTERVAL_S = 0.2  # the SQS -> Lambda pollers, as in make demo


def month_of(index: int) -> str:
    """The month of the `index`-th file (0-based): 2021-01, 2021-02, ..., 2022-01, ..."""
    return f"{2021 + index // 12}-{index % 12 + 1:02d}"


def write_files(folder: Path, *, count: int, rows: int) -> list[Path]:
    """`count` different CSV files of `rows` trips each (the family's generator, one month per file)."""
    from job_family import registry

    registry.load_spec(FAMILY)  # the family's folder on the import path
    from nyc_taxi.steps import sample_data

    shutil.rmtree(folder, ignore_errors=True)
    return [
        sample_data.write(
            folder, rows=rows, dataset=DATASET, file_format="csv", month=month_of(n), dirty=0.02, seed=n + 1
        )
        for n in range(count)
    ]


def assemblies(root: Path) -> tuple[list[Path], dict[str, float | None]]:
    """The infrastructure's and the family's `local` assemblies under `root`, synthesized unless fresh;
    also the seconds each synth took (None: reused)."""
    from job_family import registry
    from local_aws.demo import INFRASTRUCTURE, INFRASTRUCTURE_APP, assembly_is_fresh, synth_all

    apps = {INFRASTRUCTURE: INFRASTRUCTURE_APP, FAMILY: registry.app_root(FAMILY)}
    stale = {
        name: (app, root / name) for name, app in apps.items() if not assembly_is_fresh(app, root / name)
    }
    synthesized = synth_all(stale)
    took: dict[str, float | None] = {
        name: round(synthesized[name], 2) if name in synthesized else None for name in apps
    }
    return [root / name for name in apps], took


def summary(files: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The first file's time and the warm ones' (the rest) with their median."""
    walls = [float(f["wall_s"]) for f in files]
    warm = walls[1:]
    return {
        "first_s": walls[0] if walls else None,
        "warm_s": warm,
        "warm_median_s": round(statistics.median(warm), 2) if warm else None,
    }


def measure(
    *, files: int, rows: int, assemblies_root: Path, work_dir: Path, say: Callable[[str], None] = print
) -> dict[str, Any]:
    from job_family import naming
    from job_family.audit.runtime.item import Attr, Status
    from local_aws.demo import ENVIRONMENT
    from local_aws.environment import local_environment
    from local_aws.flow import DeployedFlow, Upload
    from shared_config.loader import load_config

    settings = load_config()
    if settings.local is None:
        raise ValueError("shared_config/environments.yaml has no `local:` environment")
    paths = write_files(work_dir / "files", count=files, rows=rows)
    setup: dict[str, Any] = {}
    built, setup["synth_s"] = assemblies(assemblies_root)
    synthesized = (
        f"{name} " + ("reused" if took is None else f"synthesized in {took} s")
        for name, took in setup["synth_s"].items()
    )
    say(f"local loop: assemblies {', '.join(synthesized)}")
    shutil.rmtree(work_dir / "run", ignore_errors=True)
    began = time.perf_counter()
    with local_environment(
        work_dir=work_dir / "run", account_id=settings.local.account, region=settings.local.region
    ) as env:
        setup["start_s"] = round(time.perf_counter() - began, 2)
        began = time.perf_counter()
        env.deploy(*built)
        flow = DeployedFlow.discover(env, stack_name=naming.stack_name(settings.prefix, ENVIRONMENT, FAMILY))
        env.start_event_sources(interval_s=POLL_INTERVAL_S)
        setup["deploy_s"] = round(time.perf_counter() - began, 2)
        say(f"local loop: local AWS started in {setup['start_s']} s, deployed in {setup['deploy_s']} s")
        measured: list[dict[str, Any]] = []
        for number, path in enumerate(paths, start=1):
            key, body = flow.key_for(DATASET, path.name), path.read_bytes()
            timeline: list[tuple[str, float]] = []

            def heard(
                _: Upload, where: str, elapsed_s: float, timeline: list[tuple[str, float]] = timeline
            ) -> None:
                timeline.append((where, round(elapsed_s, 2)))

            began = time.perf_counter()
            upload = flow.upload(key, body)
            item = flow.wait_until_settled([upload], timeout_s=SETTLE_TIMEOUT_S, on_change=heard)[
                upload.object_id
            ]
            wall = round(time.perf_counter() - began, 2)
            env.glue.wait_until_idle(timeout_s=60)
            execution = str(item.get(Attr.EXECUTION_NAME.value, ""))
            runs = [
                {
                    "job": flow.job_names.get(run.job_name, run.job_name),
                    "state": run.state,
                    "elapsed_s": None if run.elapsed_s is None else round(run.elapsed_s, 2),
                    "warm_jvm": run.warm,
                }
                for run in env.glue.runs
                if run.arguments.get("--run_id") == execution
            ]
            record = {
                "file": path.name,
                "bytes": len(body),
                "wall_s": wall,
                "status": item.get(Attr.STATUS.value),
                "rows_read": item.get(Attr.ROWS_READ.value),
                "rows_conformed": item.get(Attr.ROWS_CONFORMED.value),
                "rows_quarantined": item.get(Attr.ROWS_QUARANTINED.value),
                "timeline": timeline,
                "glue_runs": runs,
            }
            measured.append(record)
            glue = ", ".join(
                f"{r['job']} {r['elapsed_s']} s ({'warm' if r['warm_jvm'] else 'new'} JVM)" for r in runs
            )
            steps = ", ".join(f"{where} {at}" for where, at in timeline)
            say(f"local loop: file {number} {path.name}: {wall} s [{steps}]; Glue runs: {glue}")
            if record["status"] != Status.SUCCEEDED or record["rows_read"] != rows:
                cause = item.get(Attr.CAUSE.value) or item.get(Attr.REASON.value) or ""
                raise RuntimeError(
                    f"{path.name} ended {record['status']} with {record['rows_read']} of {rows} rows read {cause}"
                )
    return {
        "family": FAMILY,
        "dataset": DATASET,
        "rows_per_file": rows,
        "file_format": "csv",
        "setup": setup,
        "files": measured,
        **summary(measured),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.local_loop", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--files", type=int, default=DEFAULT_FILES, help="files, the first one cold (default 6)"
    )
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="rows per file (default 50)")
    parser.add_argument("--assemblies", type=Path, default=REPO / ".local" / "demo" / "assemblies")
    parser.add_argument("--work-dir", type=Path, default=REPO / "output" / "bench" / "local-loop")
    parser.add_argument("--json", type=Path, help="write the result here")
    args = parser.parse_args(argv)
    if args.files < 2:
        parser.error("--files: at least 2 (the first, then the warm ones)")
    try:
        result = measure(
            files=args.files,
            rows=args.rows,
            assemblies_root=args.assemblies.resolve(),
            work_dir=args.work_dir.resolve(),
        )
        code = 0
    except Exception as error:
        traceback.print_exc()
        result, code = {"family": FAMILY, "error": f"{type(error).__name__}: {error}"}, 1
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=str) + "\n")
    if code == 0:
        warm = " ".join(f"{s:g}" for s in result["warm_s"])
        print(
            f"local loop: first {result['first_s']:g} s, warm median {result['warm_median_s']:g} s ({warm})"
        )
    else:
        print(f"local loop: FAILED: {result['error']}")
    return code


if __name__ == "__main__":
    sys.exit(main())
