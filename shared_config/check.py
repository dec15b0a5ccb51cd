"""`make check-config`: is a configuration complete for every app, and what is still a placeholder?

`load_config` already refuses a file that is wrong in itself; `check_config` also refuses one that
leaves out what some app needs: the `local` environment (make demo and the end-to-end tests deploy it)
and each job family's settings for every environment (`etl-jobs/<family>/settings.yaml`). It lists
the placeholders (accepted by synth and local runs, refused by every bootstrap and deploy command)
and says when `infrastructure/cdk.context.json` must be refreshed for this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from shared_config.az_context import render
from shared_config.loader import LOCAL, ConfigError, Problem, read_config
from shared_config.model import Settings
from shared_config.yaml_source import YamlDocument, read_yaml

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
CONTEXT_FILE = REPOSITORY_ROOT / "infrastructure" / "cdk.context.json"
FIELD_PATH = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Placeholder:
    path: tuple[str | int, ...]
    value: str
    line: int | None


@dataclass
class Report:
    """What `check_config` found in a valid file."""

    source: str
    settings: Settings
    placeholders: list[Placeholder] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def shown(path: Path | str) -> str:
    """`path` relative to the repository when it is inside it (as users type it), else as given."""
    try:
        return Path(path).resolve().relative_to(REPOSITORY_ROOT).as_posix()
    except ValueError:
        return str(path)


def check_config(path: Path | str, *, root: Path = REPOSITORY_ROOT) -> Report:
    """Validate `path` for every app; ConfigError listing every problem (of this file and of the
    families' settings files), else a Report with the placeholders and what to do next."""
    source = shown(path)
    settings, document = read_config(path)
    problems: list[Problem] = []
    if settings.local is None:
        problems.append(
            Problem(
                (LOCAL,),
                "is missing; make demo and the end-to-end tests deploy the `local` environment onto the "
                "embedded AWS: copy the `local:` section of the sample shared_config/environments.yaml",
                line=document.line_of(()),
            )
        )
    # `local` is required above, so the families are held to it even when it is missing here
    problems.extend(family_settings_problems(root, [*settings.environments, LOCAL]))
    if problems:
        raise ConfigError(source, problems)
    report = Report(source=source, settings=settings)
    report.placeholders = [
        Placeholder(path=where, value=value, line=document.line_of(where))
        for where, value in settings.placeholders()
    ]
    context_file = root / "infrastructure" / "cdk.context.json"
    current = context_file.read_text(encoding="utf-8") if context_file.is_file() else ""
    if current != render(settings):
        config = (
            ""
            if Path(path).resolve() == (root / "shared_config" / "environments.yaml").resolve()
            else f" CONFIG={source}"
        )
        report.notes.append(
            f"infrastructure/cdk.context.json does not hold the AZ lookups of {source}; synth and deploy "
            f"need them: run make refresh-azs{config}"
        )
    return report


def family_settings_problems(root: Path, environment_names: Iterable[str]) -> list[Problem]:
    """Every job family (`etl-jobs/<family>/settings.yaml`) has valid settings for exactly the
    configuration's environments (pipeline targets and `local`) and for exactly the family's steps.
    The framework reads them (`job_family.settings`); the family's spec names its steps."""
    from job_family import registry
    from job_family.settings import SettingsError, load_settings

    names = list(environment_names)
    problems: list[Problem] = []
    for family in registry.family_names(root):
        settings_file = registry.app_root(family, root) / "settings.yaml"
        try:
            settings = load_settings(settings_file)
            settings.check_covers(names)
            settings.check_steps([step.name for step in registry.load_spec(family, root).steps])
        except SettingsError as error:
            document = _document(settings_file)
            for text in error.problems:
                where, _, rest = str(text).partition(": ")
                if not (rest and FIELD_PATH.fullmatch(where)):
                    where, rest = "", str(text)
                parts = tuple(where.split(".")) if where else ()
                problems.append(
                    Problem(
                        parts,
                        rest,
                        line=document.line_of(parts) if document else None,
                        file=shown(settings_file),
                    )
                )
    return problems


def _document(path: Path) -> YamlDocument | None:
    try:
        return read_yaml(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
