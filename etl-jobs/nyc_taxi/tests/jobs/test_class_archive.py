"""class_archive: local drivers start from the JVM class-data archive only when `make setup` wrote it."""

from __future__ import annotations

from pathlib import Path

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


def test_the_default_archive_is_in_the_project_tools_folder() -> None:
    project = Path(__file__).resolve().parents[4]
    assert project / ".tools" / "spark-classes.jsa" == class_archive.ARCHIVE
