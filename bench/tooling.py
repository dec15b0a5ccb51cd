"""The parts of `make bench` that time what a developer runs: the local loop, `make demo`, `cdk synth` of
each app and `make test`'s pytest run (its three tiers). Each is its own process, measured by
`bench.measure.run` (wall time, peak RSS of its process tree), in an environment like make's (the
project's `.venv/bin` first on PATH, no PYTHONPATH: `make demo` and `make test` set none)."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import measure
from bench.cases import REPO, WORK

# `make test` runs `pytest` once; the bench runs its three tiers apart (the e2e tier has its own target)
# and sums them. The marker expressions partition the suite: every test is in exactly one tier (checked
# from the counts each run prints).
TIERS = (("fast", "not spark and not e2e"), ("spark", "spark and not e2e"), ("e2e", "e2e"))
DEMO_DIR = WORK / "demo"
LOOP_DIR = WORK / "local-loop"
_COUNT = re.compile(r"(\d+) (passed|failed|errors?|skipped|deselected|xfailed|xpassed)\b")
_DEMO_STEP = re.compile(r"^ {4}(?P<step>\S.*?)\s+(?P<seconds>\d+\.\d) s {2}(?P<outcome>.*)$")
_DEMO_SYNTH = re.compile(r"^ {4}(?P<app>\S+)\s+synthesized in\s+(?P<seconds>\d+\.\d) s")

Progress = Callable[[str], None]


def environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return env | {
        "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "CDK_DISABLE_VERSION_CHECK": "1",
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    }


def _log(name: str, output: str) -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / name
    path.write_text(output)
    return path


def _tail(output: str, lines: int = 1) -> str:
    return " | ".join(output.strip().splitlines()[-lines:])[:300] or "no output"


# --- make demo -------------------------------------------------------------------------------------------


def demo_steps(output: str) -> dict[str, float]:
    """The demo's summary table (step -> seconds), read from its output."""
    steps: dict[str, float] = {}
    _, found, summary = output.partition("\n== summary\n")
    for line in summary.splitlines() if found else []:
        match = _DEMO_STEP.match(line)
        if match:
            steps[match["step"]] = float(match["seconds"])
    return steps


def demo_synth(output: str) -> dict[str, float]:
    """Seconds each app's `cdk synth` took inside the demo."""
    return {m["app"]: float(m["seconds"]) for m in map(_DEMO_SYNTH.match, output.splitlines()) if m}


def run_demo(progress: Progress) -> dict[str, Any]:
    """`python -m local_aws.demo` end to end (every family), with no assembly to reuse: it synthesizes."""
    shutil.rmtree(DEMO_DIR, ignore_errors=True)
    progress("make demo (python -m local_aws.demo, fresh assemblies): running")
    command = [sys.executable, "-m", "local_aws.demo", "--work-dir", str(DEMO_DIR)]
    result = measure.run(command, env=environment(), cwd=REPO, timeout=1200)
    log = _log("demo.log", result.output)
    ok = result.returncode == 0 and "demo: succeeded" in result.output
    outcome = "ok" if ok else f"exit {result.returncode}: {_tail(result.output)}"
    progress(f"make demo: {result.wall_s:.1f} s ({outcome}); output in {log.relative_to(REPO)}")
    return {
        "kind": "make demo",
        "name": "python -m local_aws.demo",
        "wall_s": result.wall_s,
        "peak_rss_mib": result.peak_rss_mib,
        "result": outcome,
        "steps_s": demo_steps(result.output),
        "synth_s": demo_synth(result.output),
    }


# --- the local loop --------------------------------------------------------------------------------------


def run_local_loop(progress: Progress, *, assemblies: Path) -> dict[str, Any]:
    """`python -m bench.local_loop` in its own process, on the `local` assemblies under `assemblies`
    (synthesized there unless fresh); its JSON result plus wall and peak RSS."""
    progress("local loop (python -m bench.local_loop): running")
    result_file = LOOP_DIR / "result.json"
    result_file.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "bench.local_loop",
        "--assemblies", str(assemblies), "--work-dir", str(LOOP_DIR), "--json", str(result_file),
    ]  # fmt: skip
    result = measure.run(command, env=environment(), cwd=REPO, timeout=1800)
    _log("local-loop.log", result.output)
    loop: dict[str, Any] = json.loads(result_file.read_text()) if result_file.exists() else {}
    if result.returncode != 0 and not loop.get("error"):
        loop["error"] = f"exit {result.returncode}: {_tail(result.output)}"
    loop |= {"process_wall_s": result.wall_s, "peak_rss_mib": result.peak_rss_mib}
    for line in result.output.splitlines():
        if line.startswith("local loop:"):
            progress(line)
    return loop


# --- cdk synth -------------------------------------------------------------------------------------------


def cdk_apps() -> list[Path]:
    return sorted(
        p.parent
        for p in [REPO / "infrastructure" / "cdk.json", *REPO.glob("etl-jobs/*/cdk.json")]
        if p.exists()
    )


def run_synth(progress: Progress) -> list[dict[str, Any]]:
    """`cdk synth` of each app, every environment (what `make synth` and the pipelines' synth step run)."""
    timed: list[dict[str, Any]] = []
    cdk = str(REPO / "node_modules" / ".bin" / "cdk")
    for app in cdk_apps():
        name = str(app.relative_to(REPO))
        progress(f"cdk synth {name}: running")
        command = [cdk, "synth", "--quiet", "--no-notices", "--no-version-reporting"]
        command += ["--output", str(WORK / "cdk.out" / name)]
        result = measure.run(command, env=environment(), cwd=app)
        ok = "ok" if result.returncode == 0 else f"exit {result.returncode}"
        timed.append(
            {
                "kind": "cdk synth",
                "name": name,
                "wall_s": result.wall_s,
                "peak_rss_mib": result.peak_rss_mib,
                "result": ok,
            }
        )
        progress(f"cdk synth {name}: {result.wall_s:.1f} s ({ok})")
    return timed


# --- make test -------------------------------------------------------------------------------------------


def pytest_counts(output: str) -> dict[str, int]:
    """The counts of pytest's last summary line (`12 passed, 3 deselected, 1 warning in 4.2s`)."""
    lines = [line for line in output.splitlines() if _COUNT.search(line) and re.search(r" in [\d.]+s", line)]
    counts: dict[str, int] = {}
    for number, what in _COUNT.findall(lines[-1] if lines else ""):
        key = "errors" if what.startswith("error") else what
        counts[key] = counts.get(key, 0) + int(number)
    return counts


def tier_record(tier: str, expression: str, measurement: measure.Measurement) -> dict[str, Any]:
    counts = pytest_counts(measurement.output)
    collected = sum(counts.values()) if counts else None
    summary = ", ".join(f"{n} {what}" for what, n in counts.items()) or _tail(measurement.output)
    return {
        "kind": "test tier",
        "tier": tier,
        "name": f'-m "{expression}"',
        "wall_s": measurement.wall_s,
        "peak_rss_mib": measurement.peak_rss_mib,
        "result": summary,
        "passed": measurement.returncode == 0 and not counts.get("failed") and not counts.get("errors"),
        "collected": collected,
        "selected": None if collected is None else collected - counts.get("deselected", 0),
    }


def run_tests(progress: Progress) -> list[dict[str, Any]]:
    """`python -m pytest -m <tier>` for each tier, as `make test` runs pytest (repository root, its config)."""
    timed = []
    for tier, expression in TIERS:
        progress(f'pytest -m "{expression}": running')
        command = [sys.executable, "-m", "pytest", "-q", "-m", expression, "-p", "no:cacheprovider"]
        result = measure.run(command, env=environment(), cwd=REPO, timeout=1800)
        _log(f"pytest-{tier}.log", result.output)
        timed.append(tier_record(tier, expression, result))
        progress(f'pytest -m "{expression}": {result.wall_s:.1f} s ({timed[-1]["result"]})')
    return timed
