"""What reading one file shape gave, for the families' shape tests: the figures a run report would hold
and the conformed rows (`Outcome`), gathered from the shapes' classified rows (`outcomes`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Outcome:
    path: Path
    physical_schema: list[dict[str, str]]
    columns: list[dict[str, Any]]
    extra_columns: tuple[str, ...]
    missing_optional_columns: tuple[str, ...]
    details: dict[str, Any]
    rows_read: int
    conformed: list[dict[str, Any]]
    quarantined_by_rule: dict[str, int]

    @property
    def rows_conformed(self) -> int:
        return len(self.conformed)

    @property
    def rows_quarantined(self) -> int:
        return self.rows_read - self.rows_conformed


def outcomes(
    facts: Mapping[str, tuple[Path, Any, Any]], rows: Sequence[dict[str, Any]], broken_rules: str
) -> dict[str, Outcome]:
    """Per shape name: `facts` holds (path, the `storage.InputFile` read, the conform result with
    `columns`, `extra_columns`, `missing_optional_columns`); `rows` the classified rows of every shape as
    dicts, tagged with their shape's name in `shape` and their broken rules in `broken_rules`."""
    found = {}
    for name, (path, source, result) in facts.items():
        mine = [row for row in rows if row["shape"] == name]
        by_rule: dict[str, int] = {}
        for row in mine:
            for rule in row[broken_rules]:
                by_rule[rule] = by_rule.get(rule, 0) + 1
        found[name] = Outcome(
            path=path,
            physical_schema=source.physical_schema(),
            columns=[use.as_dict() for use in result.columns],
            extra_columns=result.extra_columns,
            missing_optional_columns=result.missing_optional_columns,
            details=source.details,
            rows_read=len(mine),
            conformed=[
                {k: v for k, v in row.items() if k not in ("shape", broken_rules)}
                for row in mine
                if not row[broken_rules]
            ],
            quarantined_by_rule=by_rule,
        )
    return found
