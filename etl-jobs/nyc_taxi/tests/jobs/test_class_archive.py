"""class_archive: local drivers start from their Spark's JVM class-data archive only when `make setup` wrote it."""

from __future__ import annotations

from pathlib import Path

import pytest

from job_family.glue.runtime import class_archive


def test_no_archive_means_no_option(tmp_path: Path) -> None:
    assert class_archive.java_options(tmp_path / "missing.jsa") == ""


def test_an_archive_is_used_quietly_and_only_if_the_jvm_accepts_it(tmp_path: Path) -> None:
    archive = tmp_path / "spark-classes.jsa"
    archive.write_bytes(b"archive")
    options = class_archive.java_options(archive).split()
    assert f"-XX:SharedArchiveFile={archive}" in options
    assert "-Xshare:auto" in options  # a stale or foreign archive is skipped, the JVM still starts
    assert "-Xlog:cds=off" in options


def test_each_spark_has_its_archive_in_the_project_tools_folder() -> None:
    project = Path(__file__).resolve().parents[4]
    assert class_archive.archive_for("3.5") == project / ".tools" / "spark-3.5-classes.jsa"
    assert class_archive.archive_for("4.1") == project / ".tools" / "spark-4.1-classes.jsa"


def test_by_default_a_driver_uses_the_archive_of_the_spark_it_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert class_archive.running_spark() == "3.5"  # this project's pyspark (nyc_taxi: Glue 5.1)
    monkeypatch.setattr(class_archive, "REPOSITORY_ROOT", tmp_path)
    (tmp_path / ".tools").mkdir()
    (tmp_path / ".tools" / "spark-4.1-classes.jsa").write_bytes(b"another Spark's archive")
    assert class_archive.java_options() == ""
    (tmp_path / ".tools" / "spark-3.5-classes.jsa").write_bytes(b"archive")
    assert f"-XX:SharedArchiveFile={tmp_path}/.tools/spark-3.5-classes.jsa" in class_archive.java_options()


def test_a_recording_that_fails_stops_setup_naming_the_spark_and_family_and_keeps_no_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(class_archive, "REPOSITORY_ROOT", tmp_path)
    monkeypatch.setattr(class_archive.sys, "executable", "/bin/false")  # every recording process fails
    with pytest.raises(
        SystemExit, match=r"class archive of Spark 3\.5 was not recorded: nyc_taxi's sample failed"
    ):
        class_archive.record_all()
    assert not list(tmp_path.glob(".tools/*.jsa"))
