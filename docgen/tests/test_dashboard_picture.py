"""The dashboard picture: what it reads from a dashboard body, and that every family's is committed."""

from __future__ import annotations

from pathlib import Path

from docgen.dashboard_picture import alarm_names, annotation_notes, picture_path, readable, render, series
from job_family import registry

BODY = {
    "widgets": [
        {
            "type": "text",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 2,
            "properties": {"markdown": "## probe\nsteps"},
        },
        {
            "type": "metric",
            "x": 0,
            "y": 2,
            "width": 12,
            "height": 6,
            "properties": {
                "title": "1. first: run time",
                "metrics": [
                    [{"label": "minutes", "expression": "m / 60000"}],
                    [
                        "Glue",
                        "glue.driver.aggregate.elapsedTime",
                        "JobName",
                        "${JobsFirst1A2B3C4D}",
                        {"id": "m", "visible": False},
                    ],
                    ["DataLakeKit/probe", "RowsRead", "Step", "first", {"yAxis": "right"}],
                ],
                "annotations": {"horizontal": [{"label": "job timeout (minutes)", "value": 30}]},
                "yAxis": {"left": {"label": "minutes"}},
            },
        },
        {
            "type": "alarm",
            "x": 12,
            "y": 2,
            "width": 12,
            "height": 3,
            "properties": {"title": "Alarms", "alarms": ["${NotificationsExecutionsFailedF11C5A51.Arn}"]},
        },
    ]
}


def test_series_are_the_visible_labels_left_axis_first() -> None:
    assert series(BODY["widgets"][1]) == ["minutes", "RowsRead (right axis)"]


def test_tokens_become_construct_names() -> None:
    assert readable("${JobsFirst1A2B3C4D}") == "JobsFirst"
    assert alarm_names(BODY["widgets"][2]) == ["ExecutionsFailed"]
    assert annotation_notes(BODY["widgets"][1]) == ["job timeout (minutes): 30"]


def test_a_body_renders_to_a_png(tmp_path: Path) -> None:
    path = render(BODY, tmp_path / "probe-dashboard.png", title="probe")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_family_has_its_dashboard_picture_committed() -> None:
    missing = [f for f in registry.family_names() if not picture_path(f).is_file()]
    assert missing == [], f"no dashboard picture for {missing}; run `make docs` and commit it"
