"""The bench table, `docs/benchmarks/latest.json` and the chart beside it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.cases import ENGINES, STEPS, label

COLUMNS = (
    "engine",
    "size",
    "format",
    "step",
    "wall s",
    "rows/s",
    "peak RSS MiB",
    "ours/baseline",
    "ours/baseline, 12th delivery",
    "ours/DuckDB",
)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def records_table(records: list[dict[str, Any]]) -> str:
    lines = []
    for record in records:
        lake = record.get("lake")
        steps = [(step, record[step]) for step in (*STEPS, "total")]
        if lake:
            when = f" (delivery {lake['deliveries']}: {label(lake['table_rows'])} rows in its table)"
            steps += [(f"{step}{when}", lake[step]) for step in (STEPS[1], "total")]
        for step, figures in steps:
            ratios = record["ratios"].get(step, {}) if record["engine"] == "ours" else {}
            lines.append(
                (
                    record["engine"],
                    label(record["rows"]),
                    record["format"],
                    step,
                    _fmt(figures["wall_s"]),
                    _fmt(figures["rows_per_s"]),
                    _fmt(figures["peak_rss_mib"]),
                    _fmt(ratios.get("ours_over_baseline")),
                    _fmt(ratios.get("ours_over_baseline_lake")),
                    _fmt(ratios.get("ours_over_duckdb")),
                )
            )
    return _table(COLUMNS, lines)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=False)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"]
    out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    out += [
        "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows
    ]
    return "\n".join(out)


def tooling_table(tooling: list[dict[str, Any]]) -> str:
    rows = [(t["kind"], t["name"], _fmt(t["wall_s"]), _fmt(t["peak_rss_mib"]), t["result"]) for t in tooling]
    return _table(("kind", "what", "wall s", "peak RSS MiB", "result"), rows)


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2) + "\n")


def target_share(record: dict[str, Any]) -> float | None:
    """How much of its target a record uses: value / bound for an at-most target, bound / value for an
    at-least one; <= 1 is met. None when not measured."""
    value = record.get("value")
    if value is None:
        return None
    op, bound = record["target"].split()
    if op == "<=":
        return float(value) / float(bound)
    return float(bound) / float(value) if value else float("inf")


def write_chart(
    path: Path, records: list[dict[str, Any]], targets: list[dict[str, Any]], *, subtitle: str
) -> None:
    """The targets (share of each used, met or not) under the engines' wall time and peak RSS."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    target_height = 1.2 + 0.32 * len(targets)
    if records:
        fig = plt.figure(figsize=(13, 5.6 + target_height))
        grid = fig.add_gridspec(2, 2, height_ratios=(5.6, target_height))
        _engine_panels(fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), records)
        target_ax = fig.add_subplot(grid[1, :])
    else:
        fig, target_ax = plt.subplots(figsize=(13, target_height + 0.8))
    _targets_panel(target_ax, targets)
    fig.suptitle(
        f"make bench: the issue 14 targets; nyc_taxi on local Spark vs a seed-style baseline and DuckDB\n{subtitle}",
        fontsize=10,
    )
    fig.tight_layout(h_pad=3.0)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _targets_panel(ax: Any, targets: list[dict[str, Any]]) -> None:
    colors = {True: "#2ca02c", False: "#d62728"}
    shares = [target_share(t) for t in targets]
    known = [s for s in shares if s is not None and s != float("inf")]
    high = max([2.0, *known]) * 1.6
    low = min([0.2, *known]) / 1.6
    ys = list(range(len(targets)))[::-1]
    for y, record, share in zip(ys, targets, shares, strict=True):
        bound = f"target {record['target']} {record['unit']}"
        if share is None:
            ax.text(
                low * 1.05,
                y,
                f"not measured: {record.get('note', '')}"[:110],
                va="center",
                fontsize=7,
                color="grey",
            )
            continue
        ax.barh(y, min(share, high) - low, left=low, color=colors[bool(record["met"])], height=0.6)
        value = f"{record['value']:g} {record['unit']}"
        first = f", first file {record['first_run_s']:g} s" if record.get("first_run_s") is not None else ""
        verdict = "met" if record["met"] else "NOT met"
        ax.text(min(share, high) * 1.03, y, f"{value} ({bound}){first}: {verdict}", va="center", fontsize=7)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlim(low, high * 3.5)
    ax.set_ylim(-0.7, len(targets) - 0.3)
    ax.set_yticks(ys, [t.get("label", t["metric"]) for t in targets], fontsize=8)
    ax.set_xticks([t for t in (0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32) if low <= t <= high * 3.5])
    ax.xaxis.set_major_formatter(matplotlib_formatter())
    ax.xaxis.set_minor_formatter(matplotlib_formatter(minor=True))
    ax.set_xlabel(
        "share of the target used (value / limit; for 'at least' targets limit / value): 1 = the target, left of it = met",
        fontsize=8,
    )
    ax.set_title("Targets (green: met, red: not met)", fontsize=10)
    ax.grid(axis="x", alpha=0.3)


def matplotlib_formatter(*, minor: bool = False) -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _: "" if minor else f"{x:g}")


def _engine_panels(wall_ax: Any, rss_ax: Any, records: list[dict[str, Any]]) -> None:
    groups = sorted({(r["rows"], r["format"]) for r in records})
    colors = {"ours": "#1f77b4", "baseline": "#d62728", "baseline_lake": "#ff9896", "duckdb": "#2ca02c"}
    names = {
        "ours": "ours (Spark jobs)",
        "baseline": "seed-style Spark baseline, first delivery",
        "baseline_lake": "seed-style baseline, 12th delivery (re-aggregates its whole table)",
        "duckdb": "DuckDB reference",
    }
    lake_records = [
        {**r, "engine": "baseline_lake", "total": r["lake"]["total"]} for r in records if r.get("lake")
    ]
    records = [*records, *lake_records]
    order = [*ENGINES[:2], "baseline_lake", *ENGINES[2:]]
    engines = [e for e in order if any(r["engine"] == e for r in records)]
    width = 0.8 / len(engines)
    for index, engine in enumerate(engines):
        by_group = {(r["rows"], r["format"]): r for r in records if r["engine"] == engine}
        present = [g for g in groups if g in by_group]
        xs = [groups.index(g) + (index - (len(engines) - 1) / 2) * width for g in present]
        walls = [by_group[g]["total"]["wall_s"] for g in present]
        rss = [by_group[g]["total"]["peak_rss_mib"] for g in present]
        bars = wall_ax.bar(xs, walls, width, label=names[engine], color=colors[engine])
        wall_ax.bar_label(bars, labels=[f"{w:.0f} s" if w >= 10 else f"{w:.1f} s" for w in walls], fontsize=7)
        bars = rss_ax.bar(xs, rss, width, label=names[engine], color=colors[engine])
        rss_ax.bar_label(bars, labels=[f"{m:,.0f}" for m in rss], fontsize=7)
    ticks = [f"{label(rows)} rows\n{fmt}" for rows, fmt in groups]
    for ax in (wall_ax, rss_ax):
        ax.set_xticks(range(len(groups)), ticks, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    walls_all = [r["total"]["wall_s"] for r in records]
    wall_ax.set_yscale("log")
    wall_ax.set_ylim(min(walls_all) / 2, max(walls_all) * 8)  # room for the legend
    from matplotlib.ticker import LogLocator

    wall_ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    wall_ax.yaxis.set_major_formatter(matplotlib_formatter())
    wall_ax.yaxis.set_minor_formatter(matplotlib_formatter(minor=True))
    wall_ax.set_ylabel("seconds (log scale)")
    wall_ax.set_title("Wall time raw -> purpose-built, both steps, JVM start-up included", fontsize=10)
    wall_ax.legend(fontsize=7, loc="upper left", frameon=False)
    rss_ax.axhline(2048, color="grey", linestyle="--", linewidth=0.8)
    rss_ax.set_ylabel("MiB (dashed: the 2 GiB target)")
    rss_ax.set_title("Peak RSS of the process tree, larger of the two steps", fontsize=10)
