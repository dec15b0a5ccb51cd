"""Every CDK app's own package is importable by name in tests, as it is when its app.py runs.

`infrastructure/` is on pytest's `pythonpath` (pyproject.toml); every job family folder
`etl-jobs/<family>/` holding a `cdk.json` is added here, so a family made by `make new-job` needs no
edit to any shared file. Each family's package has the family's own name, so they never clash.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def job_family_folders(root: Path = ROOT) -> list[Path]:
    return sorted(cdk_json.parent for cdk_json in (root / "etl-jobs").glob("*/cdk.json"))


for _folder in job_family_folders():
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))
