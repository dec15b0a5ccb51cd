"""The job families of this repository: every `etl-jobs/<family>/` with a cdk.json and a package named
after the folder holding `spec.py` with `SPEC`. Tools that serve every family (the local AWS, the
demo, `make run-job`) find them here instead of importing any by name."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from job_family.spec import FamilySpec

REPOSITORY_ROOT = Path(__file__).resolve().parents[1]


def family_names(root: Path = REPOSITORY_ROOT) -> list[str]:
    return sorted(
        path.parent.name
        for path in (root / "etl-jobs").glob("*/cdk.json")
        if (path.parent / path.parent.name / "spec.py").is_file()
    )


def app_root(family: str, root: Path = REPOSITORY_ROOT) -> Path:
    return root / "etl-jobs" / family


def load_spec(family: str, root: Path = REPOSITORY_ROOT) -> FamilySpec:
    """The family's `SPEC`, its folder put on the import path as its app.py sees it."""
    known = family_names(root)
    if family not in known:
        raise LookupError(f"{family!r} is not a job family; use one of: {', '.join(known) or 'none'}")
    folder = str(app_root(family, root))
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec: FamilySpec = importlib.import_module(f"{family}.spec").SPEC
    return spec
