"""What `make bench` runs: data files, the engine x size x format x step cases, and their commands."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nyc_taxi.steps.sample_data as sample_data

from bench.targets import GROWTH_FROM_ROWS, SCALE_ROWS

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "sample-data" / "bench"  # /sample-data/ is git-ignored; files are reused between runs
WORK = REPO / "output" / "bench"  # /output/ is git-ignored; cleared per case
DATASET = "yellow_tripdata"
MONTH = "2021-01"
FORMATS = ("csv", "parquet")
ENGINES = ("ours", "baseline", "duckdb")
# `make bench` without BENCH_SIZES: every engine at 1M and 5M rows, and ours alone at 100k (the small-file
# step times job_family/cost.py prices a run with; the other engines there would add about a minute).
DEFAULT_PLAN: tuple[tuple[int, tuple[str, ...]], ...] = (
    (100_000, ("ours",)),
    (1_000_000, ENGINES),
    (SCALE_ROWS, ENGINES),
)
# Sizes above SCALE_ROWS (5M) are growth sizes (`make bench BENCH_SIZES=20M`): only ours runs there (no
# target needs the others, and the baseline alone would take minutes more), and the growth series gets
# its points below (ours) when the run did not ask for them.
GROWTH_SERIES = (GROWTH_FROM_ROWS, SCALE_ROWS)
# The seed re-aggregates its whole conformed table on every run, so its purpose-built step grows with the
# lake. At this size it is also timed as the 12th monthly delivery (a year of deliveries in its table).
LAKE_DELIVERIES = 12
LAKE_ROWS = 1_000_000
STEPS = ("raw_to_conformed", "conformed_to_purpose_built")
MODULES = {
    "ours": "job_family.glue.runtime.local_run",
    "baseline": "bench.seed_baseline",
    "duckdb": "bench.duckdb_reference",
}


def step_arguments(prog: str, doc: str | None, argv: list[str] | None) -> argparse.Namespace:
    """`<step> --input <path> --output <dir>`: the command line every engine's module takes."""
    parser = argparse.ArgumentParser(prog=prog, description=(doc or "").split("\n\n")[0])
    parser.add_argument("step", choices=list(STEPS))
    parser.add_argument("--input", required=True, type=Path)
    parser.add_argument("--output", required=True, type=Path)
    return parser.parse_args(argv)


def label(rows: int) -> str:
    return f"{rows // 1_000_000}M" if rows % 1_000_000 == 0 else f"{rows // 1000}k"


def parse_sizes(text: str) -> tuple[int, ...]:
    """`100000,1000000` or `100k,1M` -> (100000, 1000000)."""
    sizes = []
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        factor = 1_000_000 if part.endswith("m") else 1000 if part.endswith("k") else 1
        try:
            sizes.append(int(float(part.rstrip("mk")) * factor))
        except ValueError:
            raise SystemExit(f"BENCH_SIZES={text!r}: use row counts like 100000,1000000 or 100k,1M") from None
    if not sizes or min(sizes) <= 0:
        raise SystemExit(f"BENCH_SIZES={text!r}: give at least one positive row count, e.g. BENCH_SIZES=1M")
    return tuple(sizes)


def plan(sizes: tuple[int, ...] | None, engines: tuple[str, ...]) -> list[tuple[int, tuple[str, ...]]]:
    """(rows, engines) to run, smallest first. No sizes given: DEFAULT_PLAN (of `engines`). Else every
    engine at each size up to SCALE_ROWS; above it ours only, with the growth series' smaller points
    (ours) added when not asked for."""
    if sizes is None:
        found = [(rows, tuple(e for e in chosen if e in engines)) for rows, chosen in DEFAULT_PLAN]
        return [(rows, chosen) for rows, chosen in found if chosen]
    growth = [rows for rows in sizes if rows > SCALE_ROWS]
    if growth and "ours" not in engines:
        raise SystemExit(
            f"BENCH_SIZES={','.join(label(r) for r in growth)}: sizes above {label(SCALE_ROWS)} measure how ours "
            "grows; add ours to BENCH_ENGINES"
        )
    chosen = {rows: engines if rows <= SCALE_ROWS else ("ours",) for rows in sizes}
    for rows in GROWTH_SERIES if growth else ():
        chosen.setdefault(rows, ("ours",))
    return sorted(chosen.items())


def data_file(rows: int, file_format: str) -> Path:
    """The deterministic sample file for a size and format (`make sample-data`'s generator), made once."""
    folder = DATA / label(rows)
    target = folder / f"{DATASET}_{MONTH}.{file_format}"
    if not target.exists():
        partial = folder / ".partial"
        shutil.rmtree(partial, ignore_errors=True)
        made = sample_data.write(
            partial, rows=rows, dataset=DATASET, file_format=file_format, month=MONTH, dirty=0.02, seed=42
        )
        made.rename(target)
        shutil.rmtree(partial, ignore_errors=True)
    return target


@dataclass(frozen=True)
class Case:
    engine: str
    rows: int
    file_format: str
    step: str

    @property
    def name(self) -> str:
        lake = f" (delivery {LAKE_DELIVERIES} of {LAKE_DELIVERIES})" if self.lake else ""
        return f"{self.engine} {label(self.rows)} {self.file_format} {self.step}{lake}"

    lake: bool = False

    @property
    def folder(self) -> Path:
        return WORK / self.engine / f"{label(self.rows)}-{self.file_format}" / ("lake" if self.lake else "")

    def output(self) -> Path:
        return self.folder / self.step

    def command(self, source: Path) -> list[str]:
        step_input = source if self.step == "raw_to_conformed" else self.folder / "raw_to_conformed"
        family = ["--family", "nyc_taxi"] if self.engine == "ours" else []
        extra = ["--run-id", "bench"] if self.engine == "ours" else []
        return [
            sys.executable, "-m", MODULES[self.engine], *family, self.step,
            "--input", str(step_input), "--output", str(self.output()), *extra,
        ]  # fmt: skip


def environment() -> dict[str, str]:
    paths = [str(REPO), str(REPO / "etl-jobs" / "nyc_taxi")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYARROW_IGNORE_TIMEZONE": "1"}


def fill_lake(first_run: Path, lake: Path, deliveries: int = LAKE_DELIVERIES) -> int:
    """The baseline's conformed table after `deliveries` monthly deliveries of the same size: its output
    of this run (the newest, under today's ingestion date) plus copies of it under the ingestion dates
    of the earlier months (the seed partitions by ingestion year/month/day). Returns the rows' multiple."""
    shutil.rmtree(lake, ignore_errors=True)
    shutil.copytree(first_run, lake / "raw_to_conformed")
    table = lake / "raw_to_conformed" / "conformed" / "yellow_taxi_trip_record"
    (newest,) = [p for p in table.glob("year=*/month=*/day=*") if p.is_dir()]
    year, month, day = (int(part.split("=", 1)[1]) for part in newest.parts[-3:])
    for earlier in range(1, deliveries):
        month_index = year * 12 + month - 1 - earlier
        folder = (
            table
            / f"year={month_index // 12}"
            / f"month={month_index % 12 + 1:02d}"
            / f"day={min(day, 28):02d}"
        )
        shutil.copytree(newest, folder)
    return deliveries
