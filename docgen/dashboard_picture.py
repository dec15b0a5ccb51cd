"""Each job family's CloudWatch dashboard as a picture, `docs/families/<family>-dashboard.png`.

Drawn from the dashboard body the family's dev stack synthesizes (`job_family.dashboard.body`): every
widget at its place and size on CloudWatch's 24-column grid, with its title and what it plots (the
series' labels, the annotation lines, the alarms, the text), so a reader sees the layout an operator
will see. It draws no data: the graphs are empty frames with their legends. `make docs` writes it.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from docgen.synthesis import ROOT, SynthesizedStack
from job_family.dashboard.body import dashboards

FAMILY_PAGES = ROOT / "docs" / "families"
GRID_COLUMNS = 24
COLUMN_IN = 0.62  # inches per grid column
ROW_IN = 0.42  # inches per grid row
COLOURS = ("#1f77b4", "#2ca02c", "#d62728", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")
_TOKEN = re.compile(r"\$\{([A-Za-z0-9]+?)(?:[0-9A-F]{8})?(?:\.[A-Za-z]+)?\}")


def picture_path(family: str) -> Path:
    return FAMILY_PAGES / f"{family}-dashboard.png"


def readable(text: str) -> str:
    """`${NotificationsExecutionsFailedF11C5A51.Arn}` -> `NotificationsExecutionsFailed`."""
    return _TOKEN.sub(lambda match: match.group(1), text)


def series(widget: dict[str, Any]) -> list[str]:
    """The labels of what a graph widget plots (hidden inputs of a math expression left out), left
    axis first."""
    labels: list[tuple[int, str]] = []
    for metric in widget.get("properties", {}).get("metrics", []):
        options = metric[-1] if metric and isinstance(metric[-1], dict) else {}
        if options.get("visible") is False:
            continue
        names = [part for part in metric if isinstance(part, str)]
        label = options.get("label") or (names[1] if len(names) > 1 else options.get("expression", "?"))
        labels.append((1 if options.get("yAxis") == "right" else 0, readable(str(label))))
    return [label + (" (right axis)" if axis else "") for axis, label in sorted(labels, key=lambda x: x[0])]


def annotation_notes(widget: dict[str, Any]) -> list[str]:
    horizontal = widget.get("properties", {}).get("annotations", {}).get("horizontal", [])
    return [f"{a.get('label', '')}: {a.get('value')}" for a in horizontal]


def alarm_names(widget: dict[str, Any]) -> list[str]:
    return [
        readable(str(arn)).removeprefix("Notifications")
        for arn in widget.get("properties", {}).get("alarms", [])
    ]


def render(body: dict[str, Any], path: Path, *, title: str) -> Path:
    """Draw `body`'s widgets into a PNG at `path`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch, Rectangle

    widgets = body.get("widgets", [])
    rows = max((w.get("y", 0) + w.get("height", 6) for w in widgets), default=6)
    figure = plt.figure(figsize=(GRID_COLUMNS * COLUMN_IN, rows * ROW_IN + 0.6), dpi=100)
    axes = figure.add_axes((0.005, 0.005, 0.99, 1 - 0.6 / (rows * ROW_IN + 0.6)))
    axes.set_xlim(0, GRID_COLUMNS)
    axes.set_ylim(rows, 0)
    axes.axis("off")
    figure.suptitle(title, x=0.01, ha="left", fontsize=13, fontweight="bold")

    for widget in widgets:
        x, y = widget.get("x", 0), widget.get("y", 0)
        width, height = widget.get("width", 6), widget.get("height", 6)
        properties = widget.get("properties", {})
        axes.add_patch(
            FancyBboxPatch(
                (x + 0.08, y + 0.08),
                width - 0.16,
                height - 0.16,
                boxstyle="round,pad=0,rounding_size=0.1",
                facecolor="#ffffff" if widget["type"] != "text" else "#f4f6f8",
                edgecolor="#aab7c4",
                linewidth=1,
            )
        )
        if widget["type"] == "text":
            markdown = str(properties.get("markdown", "")).replace("## ", "")
            heading, _, rest = markdown.partition("\n")
            axes.text(x + 0.3, y + 0.55, heading, fontsize=10, fontweight="bold", va="center")
            wrapped = textwrap.fill(rest, width=int(width * 7.2))
            axes.text(x + 0.3, y + 0.95, wrapped, fontsize=7.5, va="top", color="#333333")
            continue
        axes.text(
            x + 0.3, y + 0.5, str(properties.get("title", "")), fontsize=9, fontweight="bold", va="center"
        )
        if widget["type"] == "alarm":
            for index, name in enumerate(alarm_names(widget)):
                column, row = index % 2, index // 2
                left, top = x + 0.3 + column * (width - 0.6) / 2, y + 0.9 + row * 0.75
                axes.add_patch(
                    Rectangle((left, top), (width - 0.9) / 2, 0.6, facecolor="#f1f3f5", edgecolor="#9aa5b1")
                )
                axes.text(left + 0.15, top + 0.3, f"[state]  {name}", fontsize=7.5, va="center")
            continue
        # a graph: an empty plot area, its legend and its annotation lines
        plot_top, plot_bottom = y + 0.85, y + height - 0.35 - 0.32 * len(series(widget))
        axes.add_patch(
            Rectangle(
                (x + 0.5, plot_top),
                width - 0.8,
                max(plot_bottom - plot_top, 0.6),
                facecolor="#fbfcfd",
                edgecolor="#e0e6ec",
                linewidth=0.8,
            )
        )
        axis_label = properties.get("yAxis", {}).get("left", {}).get("label")
        if axis_label:
            axes.text(
                x + 0.32,
                plot_top + max(plot_bottom - plot_top, 0.6) / 2,
                str(axis_label),
                fontsize=6.5,
                rotation=90,
                ha="center",
                va="center",
                color="#555555",
            )
        for index, note in enumerate(annotation_notes(widget)):
            line_y = plot_top + 0.35 + index * 0.45
            axes.plot(
                [x + 0.5, x + width - 0.3], [line_y, line_y], linestyle="--", color="#d62728", linewidth=0.8
            )
            axes.text(
                x + width - 0.4, line_y - 0.08, note, fontsize=6.5, ha="right", va="bottom", color="#d62728"
            )
        axes.text(
            x + width / 2,
            plot_top + max(plot_bottom - plot_top, 0.6) / 2 + 0.2,
            "no data in this picture",
            fontsize=6.5,
            ha="center",
            color="#b0b8c0",
        )
        for index, label in enumerate(series(widget)):
            line_y = y + height - 0.35 - 0.32 * (len(series(widget)) - index - 1) - 0.15
            colour = COLOURS[index % len(COLOURS)]
            axes.plot([x + 0.4, x + 0.8], [line_y, line_y], color=colour, linewidth=2)
            axes.text(
                x + 0.9, line_y, textwrap.shorten(label, width=int(width * 9)), fontsize=6.5, va="center"
            )

    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)
    return path


def write_dashboard_pictures(stacks: Mapping[str, SynthesizedStack]) -> list[Path]:
    """One picture per family, from its synthesized dev stack's (only) dashboard."""
    written = []
    for family, stack in stacks.items():
        [board] = dashboards(stack.template).values()
        title = f"CloudWatch dashboard {board['name']} (the {family} job family, dev)"
        written.append(render(board["body"], picture_path(family), title=title))
    return written
