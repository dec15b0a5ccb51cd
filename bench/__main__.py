"""`make bench` / `python -m bench`: see bench/README.md.

Environment: BENCH_SIZES (default 100k,1M; 5M on request), BENCH_FORMATS (csv,parquet), BENCH_ENGINES
(ours,baseline,duckdb), BENCH_SKIP (any of synth,tests), BENCH_OUT (docs/benchmarks).
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import checks, measure, report
from bench.cases import (
    DEFAULT_SIZES,
    ENGINES,
    FORMATS,
    LAKE_DELIVERIES,
    LAKE_MAX_ROWS,
    REPO,
    STEPS,
    WORK,
    Case,
    data_file,
    environment,
    fill_lake,
    label,
    parse_sizes,
)

TARGET_ROWS = 1_000_000
TARGET_SPEEDUP_VS_BASELINE = 5.0
TARGET_MAX_SLOWDOWN_VS_DUCKDB = 8.0
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
    sizes: tuple[int, ...], formats: tuple[str, ...], engines: tuple[str, ...]
) -> list[dict[str, Any]]:
    records, totals = [], []
    for rows in sizes:
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
                if engine == "baseline" and rows <= LAKE_MAX_ROWS:
                    record["lake"] = _lake_run(record, source)
                records.append(record)
    _ratios(records)
    return records


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


def targets(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    verdicts = []
    for record in records:
        if record["engine"] != "ours" or record["rows"] != TARGET_ROWS:
            continue
        ratios = record["ratios"]["total"]
        for key, when in (
            ("ours_over_baseline", "first delivery"),
            ("ours_over_baseline_lake", f"delivery {LAKE_DELIVERIES}, a year in the lake"),
        ):
            if ratios.get(key):
                speedup = round(1 / ratios[key], 2)
                verdicts.append(
                    {
                        "target": f"ours >= {TARGET_SPEEDUP_VS_BASELINE:g}x faster than the seed-style baseline "
                        f"({when})",
                        "format": record["format"],
                        "value": f"{speedup}x faster",
                        "met": speedup >= TARGET_SPEEDUP_VS_BASELINE,
                    }
                )
        if ratios.get("ours_over_duckdb"):
            slowdown = ratios["ours_over_duckdb"]
            verdicts.append(
                {
                    "target": f"ours within {TARGET_MAX_SLOWDOWN_VS_DUCKDB:g}x of DuckDB",
                    "format": record["format"],
                    "value": f"{slowdown}x DuckDB's time",
                    "met": slowdown <= TARGET_MAX_SLOWDOWN_VS_DUCKDB,
                }
            )
    return verdicts


def cdk_apps() -> list[Path]:
    return sorted(
        p.parent
        for p in [REPO / "infrastructure" / "cdk.json", *REPO.glob("etl-jobs/*/cdk.json")]
        if p.exists()
    )


def _summary(output: str) -> str:
    lines = [
        line.strip("= ") for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)", line)
    ]
    return lines[-1] if lines else (output.strip().splitlines() or ["no output"])[-1][:160]


def run_tooling(skip: tuple[str, ...]) -> list[dict[str, Any]]:
    tooling: list[dict[str, Any]] = []
    env = {
        **os.environ,
        "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "CDK_DISABLE_VERSION_CHECK": "1",
        "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
    }
    if "synth" not in skip:
        cdk = str(REPO / "node_modules" / ".bin" / "cdk")
        for app in cdk_apps():
            name = str(app.relative_to(REPO))
            progress(f"cdk synth {name}: running")
            command = [
                cdk,
                "synth",
                "--quiet",
                "--no-notices",
                "--no-version-reporting",
                "--output",
                str(WORK / "cdk.out" / name),
            ]
            result = measure.run(command, env=env, cwd=app)
            ok = "ok" if result.returncode == 0 else f"exit {result.returncode}"
            tooling.append(
                {
                    "kind": "cdk synth",
                    "name": name,
                    "wall_s": result.wall_s,
                    "peak_rss_mib": result.peak_rss_mib,
                    "result": ok,
                }
            )
            progress(f"cdk synth {name}: {result.wall_s:.1f} s ({ok})")
    if "tests" not in skip:
        for tier in ("not spark and not e2e", "spark", "e2e"):
            progress(f'pytest -m "{tier}": running')
            command = [sys.executable, "-m", "pytest", "-q", "-m", tier, "-p", "no:cacheprovider"]
            result = measure.run(command, env=env, cwd=REPO, timeout=1200)
            summary = _summary(result.output)
            tooling.append(
                {
                    "kind": "test tier",
                    "name": f'-m "{tier}"',
                    "wall_s": result.wall_s,
                    "peak_rss_mib": result.peak_rss_mib,
                    "result": summary,
                }
            )
            progress(f'pytest -m "{tier}": {result.wall_s:.1f} s ({summary})')
    return tooling


def main() -> None:
    sizes = (
        parse_sizes(os.environ.get("BENCH_SIZES", ""))
        if os.environ.get("BENCH_SIZES", "").strip()
        else DEFAULT_SIZES
    )
    formats = _choice("BENCH_FORMATS", FORMATS)
    engines = _choice("BENCH_ENGINES", ENGINES)
    skip = _choice("BENCH_SKIP", ("synth", "tests")) if os.environ.get("BENCH_SKIP", "").strip() else ()
    out = REPO / os.environ.get("BENCH_OUT", "docs/benchmarks")
    load_before = measure.load_average()
    progress(
        f"sizes {','.join(label(s) for s in sizes)}; formats {','.join(formats)}; engines {','.join(engines)}; "
        f"{os.cpu_count()} cores"
    )
    records = run_cases(sizes, formats, engines)
    agreement = checks.agreement([checks.Totals(**r["check"]) for r in records])
    publish(out, records, agreement, [], load_before, complete=False)
    tooling = run_tooling(skip)
    publish(out, records, agreement, tooling, load_before, complete=True)


def publish(
    out: Path,
    records: list[dict[str, Any]],
    agreement: list[dict[str, Any]],
    tooling: list[dict[str, Any]],
    load_before: tuple[float, float, float],
    *,
    complete: bool,
) -> None:
    """Print the tables and write latest.json + latest.png (first without the tooling times, so a run
    stopped during the test tiers still leaves the engine figures)."""
    load_after = measure.load_average()
    verdicts = targets(records)
    load_text = "/".join(f"{x:.2f}" for x in load_after)
    if complete:
        print("\n" + report.records_table(records))
        print("\nAgreement (conformed rows, quarantined rows, sum(total_amount), purpose-built trips):")
        for record in records:
            c = record["check"]
            quarantined = c["quarantined"] if c["quarantined"] is not None else "-"
            print(
                f"  {c['engine']:8} {label(c['rows']):>3} {c['file_format']:7} conformed {c['conformed']:>9,} "
                f"quarantined {quarantined:>7} total_amount {c['total_amount']:>16} "
                f"purpose-built trips {c['purpose_built_trips'] or '-'}"
            )
        for check in agreement:
            same = check.get("ours_equals_duckdb")
            matches = "yes" if same else "NO" if same is not None else "-"
            print(
                f"  {label(check['rows'])} {check['format']}: ours == DuckDB: {matches}; ours reconciled "
                f"(conformed + quarantined == rows): {check.get('reconciled', '-')}"
            )
        if tooling:
            print("\n" + report.tooling_table(tooling))
        print("\nTargets (1M rows, both steps, wall incl. start-up):")
        for verdict in verdicts:
            met = "met" if verdict["met"] else "NOT met"
            print(f"  {verdict['format']:7} {verdict['target']}: {verdict['value']} -> {met}")
        before = "/".join(f"{x:.2f}" for x in load_before)
        print(
            f"\nload average before {before}, after {load_text}; {time.monotonic() - _STARTED:.0f} s in all"
        )

    payload = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "complete": complete,
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in load_after],
            **_versions(),
        },
        "method": (
            "Each step is its own process (JVM start-up included for Spark), run in turn per size and format; "
            "peak RSS is the whole process tree sampled every 0.1 s from /proc; rows/s = input rows / wall s; "
            "ratios are ours wall / peer wall (ours/baseline 0.2 = 5x faster)."
        ),
        "records": records,
        "agreement": agreement,
        "targets": verdicts,
        "tooling": tooling,
        "bench_wall_s": round(time.monotonic() - _STARTED, 1),
    }
    report.write_json(out / "latest.json", payload)
    subtitle = f"{os.cpu_count()} cores, load average {load_text} at the end; {payload['generated_at']}"
    report.write_chart(out / "latest.png", records, subtitle=subtitle)
    progress(f"wrote {(out / 'latest.json').relative_to(REPO)} and {(out / 'latest.png').relative_to(REPO)}")


def _versions() -> dict[str, str]:
    import duckdb
    import pyspark

    return {"python": platform.python_version(), "pyspark": pyspark.__version__, "duckdb": duckdb.__version__}


if __name__ == "__main__":
    main()
