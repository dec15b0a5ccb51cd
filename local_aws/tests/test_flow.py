"""Following uploads: every transition reported once, `received` never skipped for a claimed file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from local_aws.flow import DeployedFlow, FlowError, Upload


class ScriptedFlow(DeployedFlow):
    """A flow whose progress is scripted per key (no AWS behind it)."""

    def __init__(self, script: dict[str, list[str]]) -> None:
        self._script: dict[str, Iterator[str]] = {key: iter(steps) for key, steps in script.items()}
        self._last: dict[str, str] = {}

    def progress(self, upload: Upload) -> str:
        self._last[upload.key] = next(self._script[upload.key], self._last.get(upload.key, "uploaded"))
        return self._last[upload.key]

    def audit_item(self, upload: Upload) -> dict[str, Any] | None:
        return {"status": self._last[upload.key]}


def _upload(key: str) -> Upload:
    return Upload(bucket="raw", key=key, version_id="v1", size_bytes=1)


def _follow(flow: ScriptedFlow, uploads: list[Upload], timeout_s: float = 5) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    flow.wait_until_settled(
        uploads, timeout_s=timeout_s, on_change=lambda u, where, _: seen.append((u.key, where))
    )
    return seen


def test_each_transition_is_reported_once_and_received_is_never_skipped() -> None:
    flow = ScriptedFlow(
        {"a.csv": ["uploaded", "uploaded", "job 1 Raw running", "job 1 Raw running", "SUCCEEDED"]}
    )

    seen = _follow(flow, [_upload("a.csv")])

    assert [where for _, where in seen] == ["uploaded", "received", "job 1 Raw running", "SUCCEEDED"]


def test_a_rejected_file_is_not_reported_as_received() -> None:
    flow = ScriptedFlow({"x.txt": ["uploaded", "REJECTED"], "b.csv": ["received", "FAILED"]})

    seen = _follow(flow, [_upload("x.txt"), _upload("b.csv")])

    assert [where for key, where in seen if key == "x.txt"] == ["uploaded", "REJECTED"]
    assert [where for key, where in seen if key == "b.csv"] == ["received", "FAILED"]


def test_files_that_never_settle_fail_naming_where_they_are() -> None:
    flow = ScriptedFlow({"slow.csv": ["job 2 Purpose running"]})

    with pytest.raises(FlowError, match=r"not settled after 0 s: \{'slow.csv': 'job 2 Purpose running'\}"):
        _follow(flow, [_upload("slow.csv")], timeout_s=0.1)
