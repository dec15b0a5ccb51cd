"""The targets `make bench` reports (issue 14), each as one record with its verdict.

    {"metric": "local_loop.warm_s", "value": 3.2, "unit": "s", "target": "<= 4", "met": true, "what": ...}

`target` is `"<= <bound>"` or `">= <bound>"` in the record's `unit`; `met` is None when the run did not
measure it (`value` None, `note` says why: a skipped part, a size or engine not in the run). Pure
functions of the figures the run collected, so they are unit-tested without Spark.

| metric | what | target |
|---|---|---|
| `local_loop.warm_s` | a 50-row nyc_taxi file from upload to SUCCEEDED in the local AWS, median of 5 warm files | <= 4 s |
| `demo_s` | `python -m local_aws.demo` end to end, assemblies synthesized fresh | <= 45 s |
| `e2e_tier_s` | `pytest -m e2e` | <= 60 s |
| `make_test_pytest_s` | `make test`'s pytest run: the sum of its three tiers | <= 180 s |
| `5M.<fmt>.ours_over_duckdb` | raw -> purpose-built, ours wall / DuckDB wall | <= 2.5 |
| `5M.<fmt>.speedup_over_baseline` | seed-style baseline wall / ours wall (first delivery) | >= 2 |
| `5M.<fmt>.peak_rss_mib` | ours, peak RSS of the larger step's process tree | <= 2048 MiB |
| `growth.<fmt>.time_per_row_rise` | worst ratio of ours' time per row between consecutive sizes from 1M up | <= 1.10 |
| `growth.<fmt>.peak_rss_mib` | ours' peak RSS over the sizes from 1M up | <= 2048 MiB |
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

SCALE_ROWS = 5_000_000
GROWTH_FROM_ROWS = 1_000_000
# "time per row flat or falling": a rise of up to 10% between two sizes is read as flat (run-to-run noise
# of a shared 2-core machine is about that); more is a rise.
GROWTH_MAX_RISE = 1.10
MAX_PEAK_RSS_MIB = 2048.0  # "2 GB", read as 2 GiB
FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class Target:
    metric: str
    label: str  # short, for the chart and the table
    what: str
    unit: str
    op: Literal["<=", ">="]
    bound: float

    @property
    def text(self) -> str:
        return f"{self.op} {self.bound:g}"

    def met(self, value: float) -> bool:
        return value <= self.bound if self.op == "<=" else value >= self.bound

    def share(self, value: float) -> float:
        """How much of the target the value uses: <= 1 when met, whatever the direction (for the chart)."""
        if self.op == "<=":
            return value / self.bound
        return self.bound / value if value else float("inf")

    def record(self, value: float | None, *, note: str = "", **detail: Any) -> dict[str, Any]:
        rounded = None if value is None else round(value, 3)
        record: dict[str, Any] = {
            "metric": self.metric,
            "value": rounded,
            "unit": self.unit,
            "target": self.text,
            "met": None if rounded is None else self.met(rounded),
            "label": self.label,
            "what": self.what,
        }
        if note:
            record["note"] = note
        return record | detail


LOCAL_LOOP = Target(
    "local_loop.warm_s",
    "local loop, warm (per file)",
    "local loop, warm: a 50-row nyc_taxi file, upload -> trigger -> state machine -> both Glue steps -> "
    "SUCCEEDED, median of 5 files after the first",
    "s",
    "<=",
    4.0,
)
DEMO = Target(
    "demo_s",
    "make demo",
    "make demo (python -m local_aws.demo), fresh assemblies, end to end",
    "s",
    "<=",
    45.0,
)
E2E_TIER = Target("e2e_tier_s", "e2e tier", 'the e2e tier: pytest -m "e2e"', "s", "<=", 60.0)
MAKE_TEST = Target(
    "make_test_pytest_s",
    "make test (pytest)",
    "make test's pytest run (lint excluded): the sum of its three tiers, each its own pytest process",
    "s",
    "<=",
    180.0,
)


def scale_targets(file_format: str) -> tuple[Target, Target, Target]:
    where = f"5M rows {file_format}, raw -> purpose-built (both steps, JVM start-up included)"
    return (
        Target(
            f"5M.{file_format}.ours_over_duckdb",
            f"5M {file_format}: ours / DuckDB",
            f"{where}: ours wall / DuckDB wall",
            "x",
            "<=",
            2.5,
        ),
        Target(
            f"5M.{file_format}.speedup_over_baseline",
            f"5M {file_format}: baseline / ours",
            f"{where}: seed-style baseline wall / ours wall (first delivery)",
            "x",
            ">=",
            2.0,
        ),
        Target(
            f"5M.{file_format}.peak_rss_mib",
            f"5M {file_format}: ours' peak RSS",
            f"{where}: ours, peak RSS of a step's process tree",
            "MiB",
            "<=",
            MAX_PEAK_RSS_MIB,
        ),
    )


def growth_targets(file_format: str) -> tuple[Target, Target]:
    return (
        Target(
            f"growth.{file_format}.time_per_row_rise",
            f"growth {file_format}: time/row rise",
            f"growth, {file_format}: ours' time per row from 1M rows up, the largest rise between consecutive "
            f"sizes (<= {GROWTH_MAX_RISE:g}: flat or falling)",
            "x",
            "<=",
            GROWTH_MAX_RISE,
        ),
        Target(
            f"growth.{file_format}.peak_rss_mib",
            f"growth {file_format}: peak RSS",
            f"growth, {file_format}: ours' peak RSS over the sizes from 1M rows up (bounded)",
            "MiB",
            "<=",
            MAX_PEAK_RSS_MIB,
        ),
    )


def _label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows // 1000}k"


# --- the parts of a run ----------------------------------------------------------------------------------


def local_loop(loop: Mapping[str, Any] | None, *, skipped: str = "") -> dict[str, Any]:
    """From `bench.local_loop`'s result: the warm median, with the first run and each warm file beside it."""
    if not loop:
        return LOCAL_LOOP.record(None, note=skipped or "not measured in this run")
    if loop.get("error"):
        return LOCAL_LOOP.record(None, note=f"failed: {loop['error']}")
    warm = [float(s) for s in loop.get("warm_s", [])]
    if not warm:
        return LOCAL_LOOP.record(None, note="no warm file was measured")
    return LOCAL_LOOP.record(
        statistics.median(warm), first_run_s=loop.get("first_s"), warm_runs_s=warm, family=loop.get("family")
    )


def demo(result: Mapping[str, Any] | None, *, skipped: str = "") -> dict[str, Any]:
    if not result:
        return DEMO.record(None, note=skipped or "not measured in this run")
    if result.get("result") != "ok":
        return DEMO.record(None, note=f"failed: {result.get('result')}", wall_s=result.get("wall_s"))
    return DEMO.record(float(result["wall_s"]), steps_s=result.get("steps_s", {}))


def tests(tiers: Sequence[Mapping[str, Any]], *, skipped: str = "") -> list[dict[str, Any]]:
    """The e2e tier's wall, and make test's pytest run as the sum of the tiers (only when every tier ran,
    every test passed and the tiers partition the suite: no test in two tiers, none in none)."""
    if not tiers:
        note = skipped or "not measured in this run"
        return [E2E_TIER.record(None, note=note), MAKE_TEST.record(None, note=note)]
    e2e = next((t for t in tiers if t.get("tier") == "e2e"), None)
    if e2e is None:
        records = [E2E_TIER.record(None, note="the e2e tier did not run")]
    elif e2e.get("passed"):
        records = [E2E_TIER.record(float(e2e["wall_s"]))]
    else:  # a tier that fails meets no target, however fast
        records = [
            E2E_TIER.record(float(e2e["wall_s"]), note=f"tests failed: {e2e['result']}") | {"met": False}
        ]
    selected = [t.get("selected") for t in tiers]
    collected = {t.get("collected") for t in tiers}
    partition = None not in selected and collected == {sum(s or 0 for s in selected)}
    total = sum(float(t["wall_s"]) for t in tiers)
    tiers_s = {t["name"]: t["wall_s"] for t in tiers}
    failed = [t["name"] for t in tiers if not t.get("passed")]
    if failed:
        note = f"tests failed in {', '.join(failed)}"
        records.append(MAKE_TEST.record(total, note=note, tiers_s=tiers_s) | {"met": False})
    elif not partition:
        note = f"the tiers do not run each test once (selected {selected} of {sorted(map(str, collected))})"
        records.append(MAKE_TEST.record(None, note=note, tiers_s=tiers_s))
    else:
        records.append(MAKE_TEST.record(total, tiers_s=tiers_s))
    return records


def scale(records: Sequence[Mapping[str, Any]], formats: Sequence[str] = FORMATS) -> list[dict[str, Any]]:
    """The 5M targets from the engine records (`bench.__main__.run_cases`)."""
    found: list[dict[str, Any]] = []
    for file_format in formats:
        peers = {r["engine"]: r for r in records if r["rows"] == SCALE_ROWS and r["format"] == file_format}
        over_duckdb, speedup, rss = scale_targets(file_format)
        ours, duck, base = peers.get("ours"), peers.get("duckdb"), peers.get("baseline")
        missing = "not in this run: 5M rows {} (BENCH_SIZES, BENCH_FORMATS, BENCH_ENGINES)"
        ours_s = float(ours["total"]["wall_s"]) if ours else None
        if ours_s is not None and duck:
            duck_s = float(duck["total"]["wall_s"])
            found.append(over_duckdb.record(ours_s / duck_s, ours_s=ours_s, duckdb_s=duck_s))
        else:
            found.append(over_duckdb.record(None, note=missing.format("ours and DuckDB")))
        if ours_s is not None and base:
            base_s = float(base["total"]["wall_s"])
            found.append(speedup.record(base_s / ours_s, ours_s=ours_s, baseline_s=base_s))
        else:
            found.append(speedup.record(None, note=missing.format("ours and the baseline")))
        if ours:
            found.append(rss.record(float(ours["total"]["peak_rss_mib"])))
        else:
            found.append(rss.record(None, note=missing.format("ours")))
    return found


def growth_series(records: Sequence[Mapping[str, Any]], file_format: str) -> list[dict[str, Any]]:
    """Ours from 1M rows up, by size: wall, time per row (µs) and peak RSS."""
    ours = sorted(
        (
            r
            for r in records
            if r["engine"] == "ours" and r["format"] == file_format and r["rows"] >= GROWTH_FROM_ROWS
        ),
        key=lambda r: int(r["rows"]),
    )
    return [
        {
            "rows": int(r["rows"]),
            "wall_s": float(r["total"]["wall_s"]),
            "us_per_row": round(float(r["total"]["wall_s"]) / int(r["rows"]) * 1e6, 3),
            "peak_rss_mib": float(r["total"]["peak_rss_mib"]),
        }
        for r in ours
    ]


def growth(
    series_by_format: Mapping[str, Sequence[Mapping[str, Any]]], *, measured: str = "this run"
) -> list[dict[str, Any]]:
    """Time per row flat or falling, and peak RSS bounded, over each format's series (at least 2 sizes)."""
    found: list[dict[str, Any]] = []
    for file_format, series in series_by_format.items():
        rise_target, rss_target = growth_targets(file_format)
        sizes = "-".join(_label(int(point["rows"])) for point in series)
        if len(series) < 2:
            note = "needs ours at 1M rows and a larger size (the default run: 1M, 5M; make bench BENCH_SIZES=20M)"
            found += [rise_target.record(None, note=note), rss_target.record(None, note=note)]
            continue
        per_row = [float(point["us_per_row"]) for point in series]
        rise = max(later / earlier for earlier, later in itertools.pairwise(per_row))
        detail = {"sizes": sizes, "measured": measured}
        found.append(
            rise_target.record(rise, us_per_row=dict(zip(sizes.split("-"), per_row, strict=True)), **detail)
        )
        found.append(rss_target.record(max(float(point["peak_rss_mib"]) for point in series), **detail))
    return found


def verdict_line(record: Mapping[str, Any]) -> str:
    """`met      <what>: <value> <unit> (target <= 4 s)`, for the end of the run."""
    met = {True: "met", False: "NOT met", None: "-"}[record["met"]]
    value = "not measured" if record["value"] is None else f"{record['value']:g} {record['unit']}"
    extra = f"; {record['note']}" if record.get("note") else ""
    first = record.get("first_run_s")
    if first is not None:
        extra = f"; first file {first:g} s{extra}"
    return f"{met:8} {record['metric']:34} {value:>16}  target {record['target']} {record['unit']}{extra}"
