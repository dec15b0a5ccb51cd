"""Copy the reference job family under a new name: its folder and its CI workflow.

Every path and every text file is rewritten with the spellings of `names.FamilyName`. Generated
output (cdk.out, caches, bytecode) is never copied. The copy synthesizes and passes its tests as is;
adapting it to its own data is described in docs/adding-a-job-family.md.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from scaffold.names import FamilyName, family_name

SOURCE = FamilyName("nyc_taxi")
SKIPPED_DIRS = frozenset({"cdk.out", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class Generated:
    family: FamilyName
    folder: Path
    workflow: Path
    files: int


def existing_families(root: Path) -> set[str]:
    return {path.parent.name for path in (root / "etl-jobs").glob("*/cdk.json")}


def _rename(text: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        text = text.replace(old, new)
    return text


def _copy_file(source: Path, dest: Path, pairs: list[tuple[str, str]]) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    data = source.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        shutil.copy2(source, dest)
        return
    dest.write_text(_rename(text, pairs), encoding="utf-8")
    dest.chmod(source.stat().st_mode)


def _files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not SKIPPED_DIRS.intersection(path.relative_to(folder).parts)
        and not path.name.endswith(SKIPPED_SUFFIXES)
    )


def tidy(folder: Path) -> None:
    """ruff's import order depends on the package name: re-sort the imports and format the copy."""
    for command in (["check", "--fix", "--quiet", "--select", "I"], ["format", "--quiet"]):
        subprocess.run([sys.executable, "-m", "ruff", *command, str(folder)], check=True)


def new_job_family(root: Path, name: str, *, source: FamilyName = SOURCE) -> Generated:
    """Create `etl-jobs/<name>/` and `.github/workflows/etl-<name>.yml` from the `source` family."""
    family = family_name(name, existing=existing_families(root))
    source_folder = root / "etl-jobs" / source.snake
    source_workflow = root / ".github" / "workflows" / f"etl-{source.snake}.yml"
    for needed in (source_folder / "cdk.json", source_workflow):
        if not needed.is_file():
            raise FileNotFoundError(f"{needed} not found; run make new-job from the repository root")
    pairs = family.replacements(source)
    folder = root / "etl-jobs" / family.snake
    files = _files(source_folder)
    for path in files:
        _copy_file(path, folder / _rename(str(path.relative_to(source_folder)), pairs), pairs)
    workflow = source_workflow.with_name(f"etl-{family.snake}.yml")
    _copy_file(source_workflow, workflow, pairs)
    tidy(folder)
    return Generated(family=family, folder=folder, workflow=workflow, files=len(files) + 1)
