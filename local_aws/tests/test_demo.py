"""The `make demo` driver: failures name their step, assemblies are reused only when fresh, output is aligned."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from job_family import registry
from local_aws import demo


def test_demo_exits_non_zero_naming_the_step_when_an_assembly_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = demo.main(
        [
            "--work-dir",
            str(tmp_path),
            "--reuse-assemblies",
            "--infrastructure-assembly",
            str(tmp_path / "missing"),
        ]
    )

    out = capsys.readouterr().out
    assert code == 1
    assert "demo: FAILED at step 'synth'" in out
    assert str(tmp_path / "missing") in out
    assert "run without --reuse-assemblies" in out
    assert "stage=local" in out


def test_demo_exits_non_zero_naming_the_configuration_step_for_a_bad_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = demo.main(["--work-dir", str(tmp_path), "--config", str(tmp_path / "nope.yaml")])

    assert code == 1
    assert "demo: FAILED at step 'configuration'" in capsys.readouterr().out


def test_an_assembly_is_fresh_only_when_newer_than_every_source_of_its_app(tmp_path: Path) -> None:
    app = tmp_path / "app"
    (app / "pkg").mkdir(parents=True)
    source = app / "pkg" / "stack.py"
    source.write_text("x = 1\n")
    out_dir = tmp_path / "out"
    assert not demo.assembly_is_fresh(app, out_dir)

    out_dir.mkdir()
    (out_dir / "manifest.json").write_text("{}")
    now = time.time()
    os.utime(source, (now - 100, now - 100))
    os.utime(out_dir / "manifest.json", (now, now))
    assert demo.assembly_is_fresh(app, out_dir)

    os.utime(source, (now + 100, now + 100))
    assert not demo.assembly_is_fresh(app, out_dir)


def test_tables_are_aligned_with_a_rule_under_the_header() -> None:
    text = demo.table([("negative_fare", 17), ("pickup_missing", 8)], ("rule", "rows"))

    assert text.splitlines() == [
        "    rule            rows",
        "    --------------  ----",
        "    negative_fare   17",
        "    pickup_missing  8",
    ]


def test_tree_rss_counts_the_children_of_a_process() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(50_000_000); time.sleep(5)"])
    try:
        deadline = time.monotonic() + 5
        while (own := demo.tree_rss_bytes(child.pid)) < 50_000_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert own >= 50_000_000
        assert demo.tree_rss_bytes(os.getpid()) >= own
    finally:
        child.kill()
        child.wait()


def test_an_assembly_path_given_is_used_as_it_is_never_synthesized_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "given"

    code = demo.main(["--work-dir", str(tmp_path / "work"), "--infrastructure-assembly", str(missing)])

    assert code == 1
    assert "demo: FAILED at step 'synth'" in capsys.readouterr().out
    assert not missing.exists()


def test_an_unknown_family_exits_2_with_one_line_naming_every_family(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = demo.main(["--family", "no_such_family"])

    assert code == 2
    assert capsys.readouterr().out.splitlines() == [
        f"demo: FAMILY=no_such_family is not a job family; use one of: {', '.join(registry.family_names())}"
    ]


def test_the_demo_runs_every_family_unless_told_which() -> None:
    first = registry.family_names()[0]

    assert demo.families_to_run([]) == registry.family_names()
    assert demo.families_to_run([first, first]) == [first]


def test_a_family_assembly_must_name_a_family_of_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = registry.family_names()[0]

    code = demo.main(
        ["--work-dir", str(tmp_path), "--family", first, "--family-assembly", f"other_family={tmp_path}"]
    )

    out = capsys.readouterr().out
    assert code == 1
    assert "demo: FAILED at step 'families'" in out
    assert f"give <family>=<dir> for a family of this run ({first})" in out


def test_a_family_assembly_is_stale_when_the_framework_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "REPO_ROOT", tmp_path)
    family_app, infrastructure_app = tmp_path / "etl-jobs" / "fam", tmp_path / "infrastructure"
    framework = tmp_path / "job_family" / "stack.py"
    for source in (family_app / "app.py", infrastructure_app / "app.py", framework):
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text("x = 1\n")
    now = time.time()
    for out_dir, app in ((tmp_path / "out-fam", family_app), (tmp_path / "out-infra", infrastructure_app)):
        out_dir.mkdir()
        (out_dir / "manifest.json").write_text("{}")
        os.utime(app / "app.py", (now - 100, now - 100))
        os.utime(out_dir / "manifest.json", (now, now))
    os.utime(framework, (now + 100, now + 100))

    assert not demo.assembly_is_fresh(family_app, tmp_path / "out-fam")
    assert demo.assembly_is_fresh(infrastructure_app, tmp_path / "out-infra")


def test_no_module_of_local_aws_imports_a_job_family() -> None:
    """local_aws serves every family through the framework (job_family.registry, FamilySpec)."""
    import ast

    families = set(registry.family_names())
    imported: dict[str, set[str]] = {}
    for path in sorted(Path(demo.__file__).parent.rglob("*.py")):
        if "tests" in path.relative_to(Path(demo.__file__).parent).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found = {name.split(".")[0] for name in names} & families
            if found:
                imported.setdefault(path.name, set()).update(found)

    assert families
    assert imported == {}


def test_the_apps_are_synthesized_at_once_and_a_failure_is_raised_after_every_synth_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.fail("this test needs 2 cores: synth_all runs one synth per core")
    both_started = threading.Barrier(2, timeout=10)  # broken (an error) if the synths ran one by one
    ended: list[str] = []

    def synth(app: Path, out_dir: Path) -> None:
        both_started.wait()
        if app.name == "broken":
            raise RuntimeError("cdk synth of broken failed (exit 1)")
        time.sleep(0.2)  # the failure above is raised before this synth ends
        ended.append(app.name)

    monkeypatch.setattr(demo, "synth", synth)
    apps = {name: (tmp_path / name, tmp_path / "out" / name) for name in ("infrastructure", "nyc_taxi")}
    took = demo.synth_all(apps)
    assert list(took) == ["infrastructure", "nyc_taxi"] and sorted(ended) == ["infrastructure", "nyc_taxi"]

    ended.clear()
    # the broken app first: its failure comes before the other synth has ended
    apps = {name: (tmp_path / name, tmp_path / "out" / name) for name in ("broken", "infrastructure")}
    with pytest.raises(RuntimeError, match="cdk synth of broken failed"):
        demo.synth_all(apps)
    assert ended == ["infrastructure"]
