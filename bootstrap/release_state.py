"""Is what `make deploy-*` would deploy what the pipelines will build from git?

The pipelines build from the repository: on their first run they synthesize the app from their
branch and update themselves to it (self-mutation). A one-time deploy from a configuration that
differs from the committed one would be reverted at once, or point a pipeline at a branch that does
not exist. So before deploying (dry run included) `release_problems` requires:

1. the file passed as CONFIG to hold what HEAD's shared_config/environments.yaml holds (and the
   working copy of that file too: the app reads it);
2. the app's cdk.context.json as committed, and for the infrastructure app the AZ lookups of this
   configuration (`make refresh-azs`);
3. a git remote for the configured repository (`repository.owner/name`), and on it, as far as this
   clone last heard (`git fetch`), each deployed environment's branch holding the same configuration
   and context as HEAD.

Each problem says the git commands that fix it. Uncommitted changes to the app's code are only a
note: the pipelines will run the committed code.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path

import yaml

from bootstrap.commands import REPOSITORY_ROOT
from shared_config.az_context import render
from shared_config.model import EnvironmentConfig, Settings

CONFIG_FILE = "shared_config/environments.yaml"
INFRASTRUCTURE = "infrastructure"


class Git:
    """Read-only git queries in one repository."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", *args], cwd=self.root, capture_output=True, text=True, check=False)

    def is_repository(self) -> bool:
        return self._run("rev-parse", "--git-dir").returncode == 0

    def show(self, revision: str, path: str) -> str | None:
        result = self._run("show", f"{revision}:{path}")
        return result.stdout if result.returncode == 0 else None

    def current_branch(self) -> str:
        result = self._run("symbolic-ref", "--quiet", "--short", "HEAD")
        return result.stdout.strip() if result.returncode == 0 else "HEAD"

    def remotes(self) -> dict[str, str]:
        """Remote name -> fetch URL."""
        found: dict[str, str] = {}
        for line in self._run("remote", "-v").stdout.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[2] == "(fetch)":
                found[parts[0]] = parts[1]
        return found

    def has_ref(self, ref: str) -> bool:
        return self._run("rev-parse", "--verify", "--quiet", ref).returncode == 0

    def changed(self, paths: Sequence[str]) -> list[str]:
        """Paths under `paths` with uncommitted changes (staged, unstaged or untracked)."""
        result = self._run("status", "--porcelain", "--", *paths)
        return [line[3:] for line in result.stdout.splitlines() if line.strip()]


def _yaml(text: str | None) -> object:
    try:
        return yaml.safe_load(text) if text is not None else None
    except yaml.YAMLError:
        return text


def _json(text: str | None) -> object:
    try:
        return json.loads(text) if text is not None else None
    except ValueError:
        return text


def repository_remote(git: Git, settings: Settings) -> str | None:
    """The remote whose URL is the configured repository (github.com/<owner>/<name>), if any."""
    wanted = re.compile(
        rf"[:/]{re.escape(settings.repository.owner)}/{re.escape(settings.repository.name)}(\.git)?/?$",
        flags=re.IGNORECASE,
    )
    matching = [name for name, url in git.remotes().items() if wanted.search(url)]
    return "origin" if "origin" in matching else (matching[0] if matching else None)


def release_problems(
    settings: Settings,
    *,
    config: Path,
    app_folder: str,
    environments: Sequence[EnvironmentConfig],
    root: Path = REPOSITORY_ROOT,
) -> tuple[list[str], list[str]]:
    """(problems that stop the deploy, notes) for deploying `app_folder`'s pipelines of `environments`."""
    git = Git(root)
    if not git.is_repository():
        return (
            [
                f"{root} is not a git clone; the pipelines build from the repository "
                f"{settings.repository.full_name}: clone it and deploy from the clone"
            ],
            [],
        )
    problems: list[str] = []
    branch = git.current_branch()
    committed = git.show("HEAD", CONFIG_FILE)
    given = config.read_text(encoding="utf-8")
    working = (root / CONFIG_FILE).read_text(encoding="utf-8") if (root / CONFIG_FILE).is_file() else None
    is_default = config.resolve() == (root / CONFIG_FILE).resolve()
    if _yaml(given) != _yaml(committed) or _yaml(working) != _yaml(committed):
        copy = "" if is_default else f"cp {config} {CONFIG_FILE} && "
        problems.append(
            f"{'CONFIG=' + str(config) if not is_default else CONFIG_FILE} differs from the committed "
            f"{CONFIG_FILE}; the pipelines build from git and would replace what you deploy now with the "
            f"committed file on their first run. Commit and push it first: {copy}make refresh-azs && "
            f"git add {CONFIG_FILE} {INFRASTRUCTURE}/cdk.context.json && "
            f"git commit -m 'Configure the environments' && git push origin {branch}"
        )
    context = f"{app_folder}/cdk.context.json"
    working_context = (root / context).read_text(encoding="utf-8") if (root / context).is_file() else None
    if app_folder == INFRASTRUCTURE and _json(working_context) != _json(render(settings)):
        problems.append(
            f"{context} does not hold the AZ lookups of this configuration; synth in the pipelines would "
            f"fail: make refresh-azs && git add {context} && git commit -m 'Refresh the AZ lookups' && "
            f"git push origin {branch}"
        )
    elif _json(working_context) != _json(git.show("HEAD", context)):
        problems.append(
            f"{context} differs from the committed one; the pipelines synthesize with the committed file: "
            f"git add {context} && git commit -m 'Update {context}' && git push origin {branch}"
        )
    remote = repository_remote(git, settings)
    if remote is None:
        problems.append(
            f"no git remote points at {settings.repository.full_name} (repository in {CONFIG_FILE}), the "
            "repository the pipelines watch; add it and push: git remote add origin "
            f"https://github.com/{settings.repository.full_name}.git && git push -u origin {branch}"
        )
        return problems, _notes(git, app_folder)
    for env in environments:
        ref = f"refs/remotes/{remote}/{env.branch}"
        if not git.has_ref(ref):
            problems.append(
                f"branch {env.branch!r} (environments.{env.name}.branch) is not on {remote} as far as this "
                f"clone knows, so the {env.name} pipeline would find no source; create it: "
                f"git push {remote} HEAD:{env.branch} (or git fetch {remote} if it exists)"
            )
            continue
        same_config = _yaml(git.show(ref, CONFIG_FILE)) == _yaml(committed)
        same_context = _json(git.show(ref, context)) == _json(git.show("HEAD", context))
        if not (same_config and same_context):
            differing = " and ".join(
                name for name, same in ((CONFIG_FILE, same_config), (context, same_context)) if not same
            )
            problems.append(
                f"{remote}/{env.branch} holds another {differing} than HEAD, and the {env.name} pipeline "
                f"rebuilds itself from {env.branch}; push HEAD there first (git push {remote} "
                f"HEAD:{env.branch}), or deploy only the environments whose branch is up to date (ENV=...)"
            )
    return problems, _notes(git, app_folder)


def _notes(git: Git, app_folder: str) -> list[str]:
    changed = git.changed([app_folder, "shared_config", "delivery"])
    if not changed:
        return []
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    return [f"uncommitted changes ({shown}): the pipelines will build the committed code, not these"]
