"""Configurations of real-looking accounts, and a git clone with a remote, for bootstrap's tests
(fixtures registered by conftest.py; helpers imported by the tests)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared_config import DEFAULT_CONFIG_PATH, load_config
from shared_config.az_context import render

REAL = {"deployment": "210987654321", "dev": "410987654321", "test": "510987654321", "prod": "610987654321"}
CONNECTION = "arn:aws:codeconnections:eu-west-1:210987654321:connection/3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f"
OWNER, NAME = "acme-data", "datalake-kit"


def real_data(**accounts: str) -> dict[str, Any]:
    """The sample configuration with real-looking accounts (`accounts` overrides some), owner and e-mail."""
    chosen = REAL | accounts
    raw: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    raw["deployment"]["account"] = chosen["deployment"]
    raw["repository"]["owner"] = OWNER
    raw["repository"]["connection_arn"] = CONNECTION.replace(REAL["deployment"], chosen["deployment"])
    raw["notifications"]["emails"] = ["data-engineering@acme-data.io"]
    for name in ("dev", "test", "prod"):
        raw["environments"][name]["account"] = chosen[name]
    return raw


def write_config(path: Path, raw: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


@pytest.fixture
def real_config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "environments.yaml", real_data())


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@acme-data.io", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


@dataclass
class ReleaseRepo:
    """A clone holding a configuration, its AZ lookups and the apps' context files, with a remote
    named after the configured repository (`.../acme-data/datalake-kit.git`)."""

    root: Path
    remote: Path

    @property
    def config(self) -> Path:
        return self.root / "shared_config" / "environments.yaml"

    def commit(self, message: str = "change") -> None:
        git(self.root, "add", "-A")
        git(self.root, "commit", "-q", "-m", message)

    def push(self, *refspecs: str) -> None:
        git(self.root, "push", "-q", "origin", *refspecs)


@pytest.fixture
def release_repo(tmp_path: Path) -> Callable[..., ReleaseRepo]:
    """`release_repo(raw=None, branches=("main", "test", "prod"))`: committed and pushed to each branch."""

    def make(
        raw: dict[str, Any] | None = None, branches: tuple[str, ...] = ("main", "test", "prod")
    ) -> ReleaseRepo:
        remote = tmp_path / "github.com" / OWNER / f"{NAME}.git"
        remote.mkdir(parents=True)
        git(remote, "init", "-q", "--bare")
        root = tmp_path / "clone"
        root.mkdir()
        git(root, "init", "-q", "-b", "main")
        repo = ReleaseRepo(root=root, remote=remote)
        config = write_config(repo.config, raw or real_data())
        (root / "infrastructure").mkdir()
        (root / "infrastructure" / "cdk.context.json").write_text(render(load_config(config)))
        (root / "etl-jobs" / "nyc_taxi").mkdir(parents=True)
        (root / "etl-jobs" / "nyc_taxi" / "cdk.context.json").write_text(json.dumps({}))
        repo.commit("Configure the environments")
        git(root, "remote", "add", "origin", str(remote))
        repo.push(*(f"HEAD:{branch}" for branch in branches))
        return repo

    return make
