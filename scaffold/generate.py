"""A new, minimal job family from the framework's template (`scaffold/template/`), never a copy of
another family: a spec, one step with a trivial transform, a schema and its rule, sample data, settings
for every environment, tests (the framework's contracts, the step, the end-to-end contract), a README,
the CI workflow and the family's generated docs page.

Template files are `*.tmpl`; `__family__` in their paths and text becomes the family's name. The
`cdk.json` takes the feature flags of the infrastructure app (one set of flags for every app), and
`settings.yaml` one entry per environment of shared_config/environments.yaml (and `local`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from scaffold.names import FamilyName, family_name

TEMPLATE = Path(__file__).resolve().parent / "template"
PLACEHOLDER = "__family__"
WORKFLOW_TEMPLATE = "workflow.yml.tmpl"
MAX_FILES = 25  # what `make new-job` may write, its docs page included
# The Glue capacity of the generated step in every environment (the smallest Spark job).
JOB_SETTINGS = {"worker_type": "G.1X", "worker_count": 2, "timeout_min": 30, "max_concurrent_runs": 3}


@dataclass(frozen=True)
class Generated:
    family: FamilyName
    folder: Path
    workflow: Path
    files: list[Path]


def existing_families(root: Path) -> set[str]:
    return {path.parent.name for path in (root / "etl-jobs").glob("*/cdk.json")}


def _render(text: str, family: FamilyName) -> str:
    return text.replace(PLACEHOLDER, family.snake)


def cdk_json(root: Path) -> str:
    """The infrastructure app's cdk.json (its feature flags) with the family app's command."""
    source = json.loads((root / "infrastructure" / "cdk.json").read_text(encoding="utf-8"))
    return json.dumps({**source, "app": "../../.venv/bin/python app.py"}, indent=2) + "\n"


def settings_yaml(root: Path, family: FamilyName, step: str = "conform") -> str:
    """One entry per environment of environments.yaml and `local`, with the step's capacity."""
    config = yaml.safe_load((root / "shared_config" / "environments.yaml").read_text(encoding="utf-8"))
    names = [*config.get("environments", {}), *(["local"] if "local" in config else [])]
    environments = {
        name: {
            "jobs": {step: dict(JOB_SETTINGS)},
            "log_retention_days": 14,
            "query_results_expiry_days": 7,
            # the post-deploy check in the environments the pipelines release to before prod
            "post_deploy_check": name not in ("prod", "local"),
        }
        for name in names
    }
    header = (
        f"# Per-environment settings of the {family.snake} job family: Glue capacity per step, limits and\n"
        "# retention (see job_family/settings.py for every field and its default).\n"
    )
    return header + yaml.safe_dump({"environments": environments}, sort_keys=False)


def new_job_family(root: Path, name: str) -> Generated:
    """Create `etl-jobs/<name>/` and `.github/workflows/etl-<name>.yml` from the template."""
    family = family_name(name, existing=existing_families(root))
    folder = root / "etl-jobs" / family.snake
    written: list[Path] = []

    def write(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    for source in sorted(TEMPLATE.rglob("*.tmpl")):
        relative = source.relative_to(TEMPLATE).as_posix()
        if relative == WORKFLOW_TEMPLATE:
            continue
        target = folder / _render(relative.removesuffix(".tmpl"), family)
        write(target, _render(source.read_text(encoding="utf-8"), family))
    write(folder / "cdk.json", cdk_json(root))
    write(folder / "settings.yaml", settings_yaml(root, family))
    workflow = root / ".github" / "workflows" / f"etl-{family.snake}.yml"
    write(workflow, _render((TEMPLATE / WORKFLOW_TEMPLATE).read_text(encoding="utf-8"), family))
    tidy(folder)
    return Generated(family=family, folder=folder, workflow=workflow, files=written)


def tidy(folder: Path) -> None:
    """ruff's import order depends on the package name: re-sort the imports and format the family."""
    for command in (["check", "--fix", "--quiet", "--select", "I"], ["format", "--quiet"]):
        subprocess.run([sys.executable, "-m", "ruff", *command, str(folder)], check=True)


def write_docs_page(root: Path, family: FamilyName) -> Path:
    """The family's generated page, docs/families/<family>.md (a synth of its dev stage)."""
    subprocess.run(
        [sys.executable, "-m", "docgen", "--family", family.snake],
        cwd=root,
        check=True,
        env={**os.environ, "PYTHONPATH": str(root / "infrastructure")},
    )
    return root / "docs" / "families" / f"{family.snake}.md"
