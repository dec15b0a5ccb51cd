"""Each Glue version's local Spark: which pyspark, where, and what local mode adds for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from job_family import runtimes
from job_family.spec import GLUE_PYTHON


def test_every_glue_version_a_family_may_declare_has_its_spark() -> None:
    assert {version: runtimes.runtime(version).spark for version in GLUE_PYTHON} == {
        "5.1": "3.5",
        "6.0": "4.1",
    }
    assert runtimes.runtime("5.1").folder is None  # the project's own pyspark
    assert runtimes.runtime("6.0").folder == runtimes.TOOLS / "spark-4.1"


def test_spark_4_reads_s3a_durations_as_plain_numbers() -> None:
    conf = runtimes.runtime("6.0").local_conf
    assert conf["spark.hadoop.fs.s3a.threads.keepalivetime"] == "60"
    assert all(value.isdigit() for value in conf.values())
    assert runtimes.runtime("5.1").local_conf == {}


def test_an_unknown_version_and_a_runtime_not_installed_say_what_to_do(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=r"Glue version '4.0' is not supported; use one of"):
        runtimes.runtime("4.0")
    monkeypatch.setattr(runtimes, "TOOLS", tmp_path)
    with pytest.raises(
        FileNotFoundError, match=r"Spark 4.1 \(Glue 6.0\) is not installed .*; run `make setup`"
    ):
        runtimes.python_path("6.0")
    assert runtimes.python_path("5.1") == ""
