"""Every CDK app's own package is importable by name in tests, as it is when its app.py runs, and the
Spark tests of every job family and of the framework share one local SparkSession.

`infrastructure/` is on pytest's `pythonpath` (pyproject.toml); every job family folder
`etl-jobs/<family>/` holding the family's package `etl-jobs/<family>/<family>/` is added here, so a
family made by `make new-job` needs no edit to any shared file. Each family's package has the
family's own name, so they never clash.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent


def job_family_folders(root: Path = ROOT) -> list[Path]:
    return sorted(
        init.parent.parent
        for init in (root / "etl-jobs").glob("*/*/__init__.py")
        if init.parent.name == init.parent.parent.name
    )


for _folder in job_family_folders():
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One local SparkSession (`local[1]`, one shuffle partition, no UI) for every Spark test."""
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")  # pyspark.testing imports pyspark.pandas
    from pyspark.sql import SparkSession

    from job_family.glue.runtime import job_runtime

    builder = (
        SparkSession.builder.master("local[1]")
        .appName("job-family-tests")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        # the status store keeps every query's plan text even without a UI: the jobs' plans are large,
        # and a session serving hundreds of tests would fill the driver's heap with them
        .config("spark.sql.ui.retainedExecutions", "20")
        .config("spark.ui.retainedJobs", "50")
        .config("spark.ui.retainedStages", "50")
        # one driver serves every Spark test of the run: the file-shape and bad-value suites build
        # large plans, and with Spark's default 1 GiB heap the tests after them ran out of memory
        .config("spark.driver.memory", "2g")
    )
    for key, value in job_runtime.SESSION_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
