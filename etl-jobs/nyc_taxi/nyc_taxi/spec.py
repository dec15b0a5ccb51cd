"""The nyc_taxi job family, declared: TLC trip files, one run per arriving file, two Glue steps.

s3://<raw>/nyc_taxi/<yellow_tripdata|green_tripdata>/<file>.csv|.csv.gz|.parquet
  -> raw_to_conformed: typed conformed rows + quarantine (rules in steps/quality.py)
  -> conformed_to_purpose_built: rules/*.sql over the pickup months the file touched
"""

from __future__ import annotations

from pathlib import Path

from job_family.spec import (
    CSV,
    CSV_GZ,
    PARQUET,
    DatasetSpec,
    FamilySpec,
    PerObject,
    SmokeTest,
    StepSpec,
    Zone,
)
from nyc_taxi import queries
from nyc_taxi.steps import schemas

_PUBLISHED = (CSV_GZ, PARQUET, CSV)


def _sample_files(folder: Path) -> list[tuple[str, Path]]:
    """The real TLC sample (the first 49 trips of January 2021, copied into `folder`), then a generated
    3,000-trip February file with 5% dirty rows (one broken rule each)."""
    import shutil

    from nyc_taxi.steps import sample_data

    real = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "yellow_tripdata_2021-01_head50.csv"
    folder.mkdir(parents=True, exist_ok=True)
    tlc = Path(shutil.copyfile(real, folder / real.name))
    generated = sample_data.write(
        folder, rows=3000, dataset="yellow_tripdata", file_format="csv", month="2021-02", dirty=0.05, seed=42
    )
    return [("yellow_tripdata", tlc), ("yellow_tripdata", generated)]


SPEC = FamilySpec(
    name="nyc_taxi",
    description="conformed, quarantine and purpose-built TLC trip tables",
    datasets=tuple(DatasetSpec(name, formats=_PUBLISHED) for name in schemas.DATASETS),
    trigger=PerObject(),
    steps=(
        StepSpec(
            "raw_to_conformed",
            module="nyc_taxi.steps.raw_to_conformed",
            description="a raw TLC file -> typed conformed Parquet + quarantine, with a run report",
            static=(Zone.CONFORMED.value, Zone.QUARANTINE.value, Zone.REPORTS.value, "database"),
            per_run=("source_path", "dataset", "run_id"),
            reads=(Zone.RAW,),
            writes=(Zone.CONFORMED, Zone.QUARANTINE, Zone.REPORTS),
        ),
        StepSpec(
            "conformed_to_purpose_built",
            module="nyc_taxi.steps.conformed_to_purpose_built",
            description="recompute the purpose-built partitions a conformed file touched (rules/*.sql)",
            static=(
                Zone.CONFORMED.value,
                Zone.PURPOSE_BUILT.value,
                Zone.RULES.value,
                Zone.REFERENCE.value,
                Zone.REPORTS.value,
                "database",
            ),
            per_run=("dataset", "run_id"),
            reads=(Zone.CONFORMED, Zone.RULES, Zone.REFERENCE),
            writes=(Zone.REPORTS, Zone.PURPOSE_BUILT),
        ),
    ),
    tables=schemas.TABLES,
    named_queries=queries.named_queries,
    counts_step="raw_to_conformed",
    smoke_test=SmokeTest(dataset="yellow_tripdata", fixture="fixtures/yellow_tripdata_smoke.csv"),
    sample_files=_sample_files,
    glue_version="5.1",
)
