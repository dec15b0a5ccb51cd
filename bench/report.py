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


def write_chart(path: Path, records: list[dict[str, Any]], *, subtitle: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = sorted({(r["rows"], r["format"]) for r in records})
    colors = {"ours": "#1f77b4", "baseline": "#d62728", "baseline_lake": "#ff9896", "duckdb": "#2ca02c"}
    names = {
        "ours": "ours (Spark jobs)",
        "baseline": "seed-style Spark baseline, first delivery",
        "baseline_lake": "seed-style Spark baseline, 12th delivery (re-aggregates its whole table)",
        "duckdb": "DuckDB reference",
    }
    lake_records = [
        {**r, "engine": "baseline_lake", "total": r["lake"]["total"]} for r in records if r.get("lake")
    ]
    records = [*records, *lake_records]
    from matplotlib.ticker import FuncFormatter

    fig, (wall_ax, rss_ax) = plt.subplots(1, 2, figsize=(13, 5.6))
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
    ticks = [f"{label(rows)} rows, {fmt}" for rows, fmt in groups]
    for ax in (wall_ax, rss_ax):
        ax.set_xticks(range(len(groups)), ticks, fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    walls_all = [r["total"]["wall_s"] for r in records]
    wall_ax.set_yscale("log")
    wall_ax.set_ylim(min(walls_all) / 2, max(walls_all) * 2)
    wall_ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
    wall_ax.set_ylabel("seconds (log scale)")
    wall_ax.set_title("Wall time, both steps, JVM start-up included (lower is better)", fontsize=10)
    rss_ax.set_ylabel("MiB")
    rss_ax.set_title("Peak RSS of the process tree, larger of the two steps", fontsize=10)
    handles, labels = wall_ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9, frameon=False)
    fig.suptitle(
        f"make bench: raw->conformed + conformed->purpose-built, NYC yellow taxi\n{subtitle}", fontsize=10
    )
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
