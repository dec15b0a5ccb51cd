"""`make bench` / `python -m bench`: see bench/README.md.

Environment: BENCH_SIZES (default: ours at 100k, every engine at 1M and 5M; above 5M: growth, ours only), BENCH_FORMATS (csv,parquet),
BENCH_ENGINES (ours,baseline,duckdb), BENCH_SKIP (any of engines,demo,loop,synth,tests), BENCH_OUT
(docs/benchmarks).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import checks, measure, report, targets, tooling
from bench.cases import (
    ENGINES,
    FORMATS,
    LAKE_DELIVERIES,
    LAKE_ROWS,
    REPO,
    STEPS,
    Case,
    data_file,
    environment,
    fill_lake,
    label,
    parse_sizes,
    plan,
)

GROWTH_FILE = "growth.json"  # the last run that measured a growth size (make bench BENCH_SIZES=20M)
METHOD = (
    "Engines: each step is its own process (JVM start-up included for Spark), run in turn per size and format; "
    "peak RSS is the whole process tree sampled every 0.1 s from /proc; rows/s = input rows / wall s; ratios "
    "are ours wall / peer wall (ours/baseline 0.5 = 2x faster). Local loop: 50-row nyc_taxi files uploaded one "
    "at a time into the embedded AWS, each followed to SUCCEEDED (polled every 0.2 s); warm = median of the "
    "files after the first. make demo: python -m local_aws.demo end to end with no assembly to reuse. make "
    "test: the sum of its three pytest tiers, each its own process (lint excluded)."
)
_STARTED = time.monotonic()


def progress(message: str) -> None:
    load = "/".join(f"{x:.1f}" for x in measure.load_average())
    print(f"[bench {time.monotonic() - _STARTED:6.0f}s load {load}] {message}", flush=True)


def _choice(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [c for c in chosen if c not in default]
    if unknown:
        raise SystemExit(f"{name}={text!r}: unknown {', '.join(unknown)}; choose from {','.join(default)}")
    return chosen


def _figures(rows: int, wall: float, rss: float) -> dict[str, Any]:
    return {"wall_s": round(wall, 2), "rows_per_s": int(rows / wall) if wall else None, "peak_rss_mib": rss}


def run_cases(
    cases: list[tuple[int, tuple[str, ...]]], formats: tuple[str, ...], records: list[dict[str, Any]]
) -> None:
    """Run each case, appending its record to `records` as it completes (SystemExit on a failed case)."""
    totals = []
    for rows, engines in cases:
        for file_format in formats:
            progress(f"data {label(rows)} {file_format}: preparing (generated once, then reused)")
            source = data_file(rows, file_format)
            progress(
                f"data {label(rows)} {file_format}: {source.relative_to(REPO)} ({source.stat().st_size / 2**20:,.0f} MiB)"
            )
            for engine in engines:
                shutil.rmtree(Case(engine, rows, file_format, STEPS[0]).folder, ignore_errors=True)
                record: dict[str, Any] = {"engine": engine, "rows": rows, "format": file_format, "ratios": {}}
                for step in STEPS:
                    result = _run(Case(engine, rows, file_format, step), source)
                    record[step] = _figures(rows, result.wall_s, result.peak_rss_mib)
                wall = sum(record[s]["wall_s"] for s in STEPS)
                record["total"] = _figures(rows, wall, max(record[s]["peak_rss_mib"] for s in STEPS))
                base = Case(engine, rows, file_format, STEPS[0]).output()
                totals.append(checks.totals(engine, rows, file_format, base, base.parent / STEPS[1]))
                record["check"] = totals[-1].as_dict()
                if engine == "baseline" and rows == LAKE_ROWS:
                    record["lake"] = _lake_run(record, source)
                records.append(record)


def _run(case: Case, source: Path) -> measure.Measurement:
    progress(f"{case.name}: running")
    result = measure.run(case.command(source), env=environment(), cwd=REPO)
    if result.returncode != 0:
        print(result.output[-4000:], file=sys.stderr)
        raise SystemExit(f"bench: {case.name} failed (exit {result.returncode}); output above")
    progress(f"{case.name}: {result.wall_s:.1f} s, peak {result.peak_rss_mib:,.0f} MiB")
    return result


def _lake_run(record: dict[str, Any], source: Path) -> dict[str, Any]:
    """The baseline's purpose-built step again, its conformed table holding a year of deliveries."""
    rows, file_format = record["rows"], record["format"]
    case = Case("baseline", rows, file_format, STEPS[1], lake=True)
    fill_lake(Case("baseline", rows, file_format, STEPS[0]).output(), case.folder)
    result = _run(case, source)
    trips = checks.purpose_built_trips(case.output())
    first = record["check"]["purpose_built_trips"] or 0
    if trips != LAKE_DELIVERIES * first:
        raise SystemExit(f"bench: {case.name} counted {trips} trips, expected {LAKE_DELIVERIES} x {first}")
    step = _figures(rows, result.wall_s, result.peak_rss_mib)
    wall = record[STEPS[0]]["wall_s"] + step["wall_s"]
    peak = max(record[STEPS[0]]["peak_rss_mib"], step["peak_rss_mib"])
    return {
        "deliveries": LAKE_DELIVERIES,
        "table_rows": LAKE_DELIVERIES * rows,
        "purpose_built_trips": trips,
        STEPS[1]: step,
        "total": _figures(rows, wall, peak),
    }


def _ratios(records: list[dict[str, Any]]) -> None:
    for record in records:
        if record["engine"] != "ours":
            continue
        peers = {
            r["engine"]: r for r in records if (r["rows"], r["format"]) == (record["rows"], record["format"])
        }
        for step in (*STEPS, "total"):
            ratios: dict[str, float | None] = {}
            for engine, key in (("baseline", "ours_over_baseline"), ("duckdb", "ours_over_duckdb")):
                peer = peers.get(engine)
                ratios[key] = round(record[step]["wall_s"] / peer[step]["wall_s"], 3) if peer else None
            lake = peers.get("baseline", {}).get("lake", {}).get(step)
            if lake:
                ratios["ours_over_baseline_lake"] = round(record[step]["wall_s"] / lake["wall_s"], 3)
            record["ratios"][step] = ratios


SKIPPABLE = ("engines", "demo", "loop", "synth", "tests")


@dataclass
class Results:
    """What the run measured so far (published after each part, so a stopped run leaves what it had)."""

    options: dict[str, Any]
    out: Path
    load_before: tuple[float, float, float]
    records: list[dict[str, Any]] = field(default_factory=list)
    agreement: list[dict[str, Any]] = field(default_factory=list)
    tooling: list[dict[str, Any]] = field(default_factory=list)
    loop: dict[str, Any] | None = None
    engines_error: str = ""

    def skipped(self, part: str) -> str:
        return f"skipped (BENCH_SKIP={part})" if part in self.options["skipped"] else ""

    def failures(self) -> list[str]:
        failed = [
            f"make demo ({t['result']})"
            for t in self.tooling
            if t["kind"] == "make demo" and t["result"] != "ok"
        ]
        failed += [
            f"tests {t['name']} ({t['result']})"
            for t in self.tooling
            if t["kind"] == "test tier" and not t["passed"]
        ]
        if self.loop and self.loop.get("error"):
            failed.append(f"local loop ({self.loop['error']})")
        if self.engines_error:
            failed.append(f"engines ({self.engines_error})")
        return failed


def main() -> None:
    text = os.environ.get("BENCH_SIZES", "").strip()
    sizes = parse_sizes(text) if text else None
    formats = _choice("BENCH_FORMATS", FORMATS)
    engines = _choice("BENCH_ENGINES", ENGINES)
    skip = _choice("BENCH_SKIP", SKIPPABLE) if os.environ.get("BENCH_SKIP", "").strip() else ()
    cases = [] if "engines" in skip else plan(sizes, engines)
    options = {
        "sizes": [label(rows) for rows, _ in cases],
        "engines_by_size": {label(rows): list(chosen) for rows, chosen in cases},
        "formats": list(formats),
        "skipped": list(skip),
        "default": (sizes, formats, engines, skip) == (None, FORMATS, ENGINES, ()),
    }
    results = Results(options, REPO / os.environ.get("BENCH_OUT", "docs/benchmarks"), measure.load_average())
    plan_text = "; ".join(f"{label(rows)}: {','.join(chosen)}" for rows, chosen in cases) or "none"
    progress(
        f"engines by size {plan_text}; formats {','.join(formats)}; skipped {','.join(skip) or 'nothing'}; "
        f"{os.cpu_count()} cores"
    )
    if "demo" not in skip:
        results.tooling.append(tooling.run_demo(progress))
        publish(results, complete=False)
    if "loop" not in skip:
        # the demo's assemblies, just synthesized; without the demo, make demo's own (reused when fresh)
        assemblies = tooling.DEMO_DIR if "demo" not in skip else REPO / ".local" / "demo"
        results.loop = tooling.run_local_loop(progress, assemblies=assemblies / "assemblies")
        publish(results, complete=False)
    if cases:
        try:
            run_cases(cases, formats, results.records)
        except SystemExit as error:  # the other parts still run; the run fails at the end
            results.engines_error = str(error)
            progress(f"engines stopped: {error}")
        _ratios(results.records)
        results.agreement = checks.agreement([checks.Totals(**r["check"]) for r in results.records])
        publish(results, complete=False)
    if "synth" not in skip:
        results.tooling += tooling.run_synth(progress)
    if "tests" not in skip:
        results.tooling += tooling.run_tests(progress)
    publish(results, complete=True)
    failures = results.failures()
    if failures:
        raise SystemExit("bench: these parts failed (figures written anyway): " + "; ".join(failures))


def evaluate(results: Results) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Every target's record; and the growth series to record in growth.json when this run measured a
    growth size (else the growth verdicts come from the recorded growth.json, if any, or from this run's
    sizes from 1M up)."""
    records, formats = results.records, results.options["formats"]
    tiers = [t for t in results.tooling if t["kind"] == "test tier"]
    demo = next((t for t in results.tooling if t["kind"] == "make demo"), None)
    verdicts = [
        targets.local_loop(results.loop, skipped=results.skipped("loop")),
        targets.demo(demo, skipped=results.skipped("demo")),
        *targets.tests(tiers, skipped=results.skipped("tests")),
        *targets.scale(records, formats),
    ]
    if results.engines_error:
        stopped = f"engines stopped: {results.engines_error}"
        verdicts = [
            v | {"note": stopped} if v["value"] is None and v["metric"][:2] == "5M" else v for v in verdicts
        ]
    series = {file_format: targets.growth_series(records, file_format) for file_format in formats}
    largest = max((int(point["rows"]) for points in series.values() for point in points), default=0)
    recorded = results.out / GROWTH_FILE
    if largest > targets.SCALE_ROWS:
        return [*verdicts, *targets.growth(series)], {"series": series}
    if recorded.exists():
        growth = json.loads(recorded.read_text())
        measured = f"{recorded.name} of {growth['generated_at']} (make bench BENCH_SIZES={growth['sizes']})"
        return [*verdicts, *targets.growth(growth["series"], measured=measured)], None
    return [*verdicts, *targets.growth(series)], None


def publish(results: Results, *, complete: bool) -> None:
    """Write latest.json + latest.png (after each part; `complete` once every part ran) and, at the end,
    print the tables and the targets."""
    load_after = measure.load_average()
    verdicts, growth = evaluate(results)
    load_text = "/".join(f"{x:.2f}" for x in load_after)
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    machine = {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "load_average_before": [round(x, 2) for x in results.load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        **_versions(),
    }
    if complete:
        _print(results, verdicts, load_text)
    payload = {
        "generated_at": generated_at,
        "complete": complete,
        "run": results.options,
        "machine": machine,
        "method": METHOD,
        "targets": verdicts,
        "records": results.records,
        "agreement": results.agreement,
        "local_loop": results.loop,
        "tooling": results.tooling,
        "bench_wall_s": round(time.monotonic() - _STARTED, 1),
    }
    out = results.out
    report.write_json(out / "latest.json", payload)
    if growth is not None:
        sizes = ",".join(results.options["sizes"])
        growth_payload = {"generated_at": generated_at, "sizes": sizes, "machine": machine, **growth}
        report.write_json(
            out / GROWTH_FILE,
            growth_payload | {"targets": [v for v in verdicts if v["metric"].startswith("growth.")]},
        )
    subtitle = f"{os.cpu_count()} cores, load average {load_text} at the end; {generated_at}"
    report.write_chart(out / "latest.png", results.records, verdicts, subtitle=subtitle)
    written = ", ".join(
        str((out / name).relative_to(REPO) if (out / name).is_relative_to(REPO) else out / name)
        for name in ("latest.json", "latest.png")
    )
    progress(f"wrote {written}" + (f" and {GROWTH_FILE}" if growth is not None else ""))


def _print(results: Results, verdicts: list[dict[str, Any]], load_text: str) -> None:
    if results.records:
        print("\n" + report.records_table(results.records))
        print("\nAgreement (conformed rows, quarantined rows, sum(total_amount), purpose-built trips):")
        for record in results.records:
            c = record["check"]
            quarantined = c["quarantined"] if c["quarantined"] is not None else "-"
            print(
                f"  {c['engine']:8} {label(c['rows']):>3} {c['file_format']:7} conformed {c['conformed']:>9,} "
                f"quarantined {quarantined:>7} total_amount {c['total_amount']:>16} "
                f"purpose-built trips {c['purpose_built_trips'] or '-'}"
            )
        for check in results.agreement:
            same = check.get("ours_equals_duckdb")
            matches = "yes" if same else "NO" if same is not None else "-"
            print(
                f"  {label(check['rows'])} {check['format']}: ours == DuckDB: {matches}; ours reconciled "
                f"(conformed + quarantined == rows): {check.get('reconciled', '-')}"
            )
    if results.tooling:
        print("\n" + report.tooling_table(results.tooling))
    if results.loop and not results.loop.get("error"):
        print(
            f"\nLocal loop ({results.loop['rows_per_file']}-row {results.loop['family']} files, upload -> SUCCEEDED):"
        )
        for number, measured in enumerate(results.loop["files"], start=1):
            runs = ", ".join(f"{r['job']} {r['elapsed_s']} s" for r in measured["glue_runs"])
            print(
                f"  file {number} {'first' if number == 1 else 'warm '} {measured['wall_s']:6.2f} s  (Glue runs: {runs})"
            )
    print("\nTargets (issue 14):")
    for verdict in verdicts:
        print("  " + targets.verdict_line(verdict))
    before = "/".join(f"{x:.2f}" for x in results.load_before)
    print(f"\nload average before {before}, after {load_text}; {time.monotonic() - _STARTED:.0f} s in all")


def _versions() -> dict[str, str]:
    import duckdb
    import pyspark

    return {"python": platform.python_version(), "pyspark": pyspark.__version__, "duckdb": duckdb.__version__}


if __name__ == "__main__":
    main()
