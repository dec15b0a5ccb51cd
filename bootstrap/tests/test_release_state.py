"""`make deploy-*` deploys only what the pipelines will build from git, and says how to get there."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from bootstrap.release_state import release_problems
from bootstrap.tests.fixtures import ReleaseRepo, git, real_data, write_config
from shared_config import Settings, load_config

Factory = Callable[..., ReleaseRepo]


def problems_of(
    repo: ReleaseRepo,
    *,
    app: str = "infrastructure",
    envs: tuple[str, ...] = ("dev", "test", "prod"),
    config: Path | None = None,
) -> tuple[list[str], list[str]]:
    path = config or repo.config
    settings: Settings = load_config(path)
    return release_problems(
        settings,
        config=path,
        app_folder=app,
        environments=[settings.environments[name] for name in envs],
        root=repo.root,
    )


def test_a_committed_and_pushed_configuration_deploys(release_repo: Factory) -> None:
    repo = release_repo()
    assert problems_of(repo) == ([], [])
    assert problems_of(repo, app="etl-jobs/nyc_taxi") == ([], [])


def test_refuses_an_uncommitted_configuration_with_the_git_commands(release_repo: Factory) -> None:
    repo = release_repo()
    repo.config.write_text(repo.config.read_text().replace("nat_gateways: 0", "nat_gateways: 1", 1))
    [problem], _ = problems_of(repo, app="etl-jobs/nyc_taxi")
    assert problem.startswith(
        "shared_config/environments.yaml differs from the committed shared_config/environments.yaml; "
        "the pipelines build from git"
    )
    assert problem.endswith(
        "make refresh-azs && git add shared_config/environments.yaml infrastructure/cdk.context.json && "
        "git commit -m 'Configure the environments' && git push origin main"
    )


def test_comments_alone_do_not_count_as_a_difference(release_repo: Factory) -> None:
    repo = release_repo()
    repo.config.write_text("# my accounts\n" + repo.config.read_text())
    assert problems_of(repo)[0] == []


def test_refuses_another_config_file_until_it_is_the_committed_one(
    release_repo: Factory, tmp_path: Path
) -> None:
    repo = release_repo()
    other = write_config(tmp_path / "mine.yaml", real_data(dev="710987654321"))
    [problem], _ = problems_of(repo, config=other, app="etl-jobs/nyc_taxi")
    assert problem.startswith(f"CONFIG={other} differs from the committed shared_config/environments.yaml")
    assert f"cp {other} shared_config/environments.yaml && make refresh-azs && git add" in problem


def test_accepts_another_config_file_that_holds_the_committed_configuration(
    release_repo: Factory, tmp_path: Path
) -> None:
    repo = release_repo()
    same = tmp_path / "same.yaml"
    same.write_text(repo.config.read_text())
    assert problems_of(repo, config=same)[0] == []


def test_refuses_stale_az_lookups_for_the_infrastructure(release_repo: Factory) -> None:
    repo = release_repo()
    (repo.root / "infrastructure" / "cdk.context.json").write_text("{}\n")
    repo.commit("forget the lookups")
    repo.push("HEAD:main", "HEAD:test", "HEAD:prod")
    [problem], _ = problems_of(repo)
    assert problem.startswith(
        "infrastructure/cdk.context.json does not hold the AZ lookups of this configuration"
    )
    assert "make refresh-azs && git add infrastructure/cdk.context.json" in problem
    assert problems_of(repo, app="etl-jobs/nyc_taxi")[0] == []  # the job family does not read them


def test_refuses_an_uncommitted_context_file(release_repo: Factory) -> None:
    repo = release_repo()
    (repo.root / "etl-jobs" / "nyc_taxi" / "cdk.context.json").write_text(json.dumps({"x": 1}))
    [problem], _ = problems_of(repo, app="etl-jobs/nyc_taxi")
    assert problem.startswith("etl-jobs/nyc_taxi/cdk.context.json differs from the committed one")


def test_refuses_without_a_remote_for_the_configured_repository(release_repo: Factory) -> None:
    repo = release_repo()
    git(repo.root, "remote", "set-url", "origin", str(repo.remote.parent.parent / "someone" / "else.git"))
    [problem], _ = problems_of(repo)
    assert problem.startswith("no git remote points at acme-data/datalake-kit")
    assert problem.endswith(
        "git remote add origin https://github.com/acme-data/datalake-kit.git && git push -u origin main"
    )


def test_refuses_an_environment_whose_branch_is_not_pushed(release_repo: Factory) -> None:
    repo = release_repo(branches=("main",))
    problems, _ = problems_of(repo)
    assert problems == [
        f"branch {branch!r} (environments.{env}.branch) is not on origin as far as this clone knows, so the "
        f"{env} pipeline would find no source; create it: git push origin HEAD:{branch} (or git fetch origin "
        "if it exists)"
        for env, branch in (("test", "test"), ("prod", "prod"))
    ]
    assert problems_of(repo, envs=("dev",))[0] == []


def test_refuses_an_environment_whose_branch_holds_another_configuration(release_repo: Factory) -> None:
    repo = release_repo()
    repo.config.write_text(repo.config.read_text().replace("nat_gateways: 0", "nat_gateways: 1", 1))
    repo.commit("one NAT gateway in dev")
    repo.push("HEAD:main")
    [problem], _ = problems_of(repo, envs=("dev", "prod"))
    assert problem.startswith(
        "origin/prod holds another shared_config/environments.yaml than HEAD, and the prod pipeline rebuilds "
        "itself from prod"
    )
    assert problems_of(repo, envs=("dev",))[0] == []


def test_refuses_outside_a_git_clone(tmp_path: Path) -> None:
    config = write_config(tmp_path / "loose" / "shared_config" / "environments.yaml", real_data())
    settings = load_config(config)
    problems, _ = release_problems(
        settings,
        config=config,
        app_folder="infrastructure",
        environments=list(settings.environments.values()),
        root=tmp_path / "loose",
    )
    assert problems[0].endswith(
        "is not a git clone; the pipelines build from the repository acme-data/datalake-kit: clone it and deploy from the clone"
    )


def test_notes_uncommitted_code_of_the_app(release_repo: Factory) -> None:
    repo = release_repo()
    (repo.root / "infrastructure" / "stack.py").write_text("# work in progress\n")
    problems, notes = problems_of(repo)
    assert problems == []
    assert notes == [
        "uncommitted changes (infrastructure/stack.py): the pipelines will build the committed code, not these"
    ]
