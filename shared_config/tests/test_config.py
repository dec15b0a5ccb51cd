"""The configuration: the real file loads, and every invalid case names the field, the value and a fix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared_config import ConfigError, is_placeholder_account, load_config, parse_config
from shared_config.__main__ import main as check_config
from shared_config.loader import DEFAULT_CONFIG_PATH


@pytest.fixture(scope="module")
def valid() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    return data


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return caught.value.problems


def with_env(valid: dict[str, Any], env: str, **fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(valid)
    data["environments"][env].update(fields)
    return data


def test_the_real_environments_file_loads() -> None:
    settings = load_config()
    assert set(settings.environments) == {"dev", "test", "prod"}
    assert settings.environment("prod").require_approval is True
    assert settings.environment("dev").branch == "main"
    assert [env.branch for env in settings.environments.values()] == ["main", "test", "prod"]


def test_only_dev_lets_a_stack_deletion_remove_data() -> None:
    settings = load_config()
    assert {name: env.destroy_data_on_delete for name, env in settings.environments.items()} == {
        "dev": True,
        "test": False,
        "prod": False,
    }


def test_rejects_an_account_that_is_not_12_digits(valid: dict[str, Any]) -> None:
    [problem] = problems_of(with_env(valid, "test", account="12345"))
    assert problem.startswith("environments.test.account: '12345' is not an AWS account id")
    assert "use the 12 digits" in problem


def test_rejects_an_account_written_as_a_number(valid: dict[str, Any]) -> None:
    [problem] = problems_of(with_env(valid, "dev", account=111111111111))
    assert problem.startswith("environments.dev.account:")
    assert 'quote it, e.g. "111111111111"' in problem


def test_rejects_an_unknown_region(valid: dict[str, Any]) -> None:
    problems = problems_of(with_env(valid, "dev", region="eu-westeros-1"))
    assert problems[0] == (
        "environments.dev.region: 'eu-westeros-1' is not an AWS region; "
        "use a region name such as eu-west-1 or us-east-2"
    )


def test_rejects_availability_zones_of_another_region(valid: dict[str, Any]) -> None:
    [problem] = problems_of(with_env(valid, "test", availability_zones=["us-east-1a", "eu-west-1b"]))
    assert "environments.test" in problem
    assert "['us-east-1a'] are not zones of eu-west-1" in problem
    assert "use names such as eu-west-1a" in problem


def test_rejects_a_single_availability_zone(valid: dict[str, Any]) -> None:
    [problem] = problems_of(with_env(valid, "dev", availability_zones=["eu-west-1a"]))
    assert "lists 1 zones; list 2 or 3" in problem


@pytest.mark.parametrize(
    ("cidr", "expected"),
    [
        ("10.0.0.0/33", "'10.0.0.0/33' is not a network"),
        ("10.20.0.1/22", "'10.20.0.1/22' is not a network"),
        ("10.20.0.0/27", "has a /27 mask; a VPC needs /16 to /24"),
        ("172.16.0.0/12", "has a /12 mask; a VPC needs /16 to /24"),
        ("52.1.0.0/22", "is not a private range"),
    ],
)
def test_rejects_an_unusable_vpc_cidr(valid: dict[str, Any], cidr: str, expected: str) -> None:
    [problem] = problems_of(with_env(valid, "test", vpc_cidr=cidr))
    assert problem.startswith("environments.test.vpc_cidr:")
    assert expected in problem
    assert "e.g. 10.20.0.0/22" in problem


def test_fails_when_vpc_cidrs_overlap(valid: dict[str, Any]) -> None:
    [problem] = problems_of(with_env(valid, "prod", vpc_cidr="10.10.0.0/21"))
    assert problem.startswith("environments.prod.vpc_cidr: 10.10.0.0/21 overlaps dev's 10.10.0.0/22")
    assert "give each environment its own range" in problem


def test_fails_when_two_environments_share_a_branch(valid: dict[str, Any]) -> None:
    [problem] = problems_of(with_env(valid, "test", branch="main"))
    assert problem.startswith("environments.test.branch: 'main' is already dev's branch")


@pytest.mark.parametrize("prefix", ["DLK", "1lake", "dl_k", "dl--k", "lake-"])
def test_rejects_a_prefix_that_cannot_start_a_bucket_name(valid: dict[str, Any], prefix: str) -> None:
    data = copy.deepcopy(valid) | {"prefix": prefix}
    [problem] = problems_of(data)
    assert problem.startswith(f"prefix: {prefix!r} cannot start an S3 bucket name")
    assert "e.g. dlk" in problem


def test_rejects_a_prefix_that_makes_a_bucket_name_longer_than_63(valid: dict[str, Any]) -> None:
    data = copy.deepcopy(valid) | {"prefix": "a-very-long-data-lake-prefix"}
    problems = problems_of(data)
    assert len(problems) == 4  # one per environment, local included
    assert problems[0].startswith("prefix: 'a-very-long-data-lake-prefix' makes the dev bucket name")
    assert "(S3 allows 63); shorten the prefix by" in problems[0]


def test_rejects_deletion_opt_in_where_data_is_retained(valid: dict[str, Any]) -> None:
    [problem] = problems_of(with_env(valid, "prod", allow_data_deletion=True))
    assert "allow_data_deletion: true contradicts retain_data: true" in problem


def test_names_a_missing_field_and_how_to_add_it(valid: dict[str, Any]) -> None:
    data = copy.deepcopy(valid)
    del data["environments"]["dev"]["vpc_cidr"]
    [problem] = problems_of(data)
    assert problem == (
        "environments.dev.vpc_cidr: is missing; add `vpc_cidr:` (see shared_config/environments.yaml for an example)"
    )


def test_names_a_misspelt_field(valid: dict[str, Any]) -> None:
    [problem] = problems_of(with_env(valid, "dev", retain_date=True))
    assert (
        problem == "environments.dev.retain_date: True is not a known field; remove it or check its spelling"
    )


def test_rejects_a_connection_arn_that_is_not_codeconnections(valid: dict[str, Any]) -> None:
    data = copy.deepcopy(valid)
    data["repository"]["connection_arn"] = "arn:aws:iam::123456789012:role/x"
    [problem] = problems_of(data)
    assert problem.startswith("repository.connection_arn:")
    assert "is not a CodeConnections ARN" in problem


def test_rejects_a_malformed_email(valid: dict[str, Any]) -> None:
    data = copy.deepcopy(valid)
    data["notifications"]["emails"] = ["ops-at-example.com"]
    [problem] = problems_of(data)
    assert "['ops-at-example.com'] are not e-mail addresses" in problem


def test_collects_every_error_before_raising(valid: dict[str, Any]) -> None:
    data = with_env(valid, "dev", account="x", region="nowhere-1")
    data = with_env(data, "test", vpc_cidr="10.20.0.0/33", branch="prod")
    data["prefix"] = "BAD"
    problems = problems_of(data)
    fields = {problem.split(":")[0] for problem in problems}
    assert {
        "environments.dev.account",
        "environments.dev.region",
        "environments.test.vpc_cidr",
        "environments.prod.branch",  # test now claims prod's branch
        "prefix",
    } <= fields


def test_error_message_lists_the_file_and_each_problem(tmp_path: Path, valid: dict[str, Any]) -> None:
    bad = tmp_path / "environments.yaml"
    bad.write_text(yaml.safe_dump(with_env(valid, "dev", account="12")))
    with pytest.raises(
        ConfigError, match=r"environments.yaml has 1 problem\(s\):\n  - environments.dev.account"
    ):
        load_config(bad)


def test_reports_invalid_yaml_with_its_location(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("prefix: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_check_config_exits_non_zero_and_prints_every_error(
    tmp_path: Path, valid: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "environments.yaml"
    bad.write_text(yaml.safe_dump(with_env(valid, "dev", account="12", vpc_cidr="10.0.0.0/40")))
    assert check_config([str(bad)]) == 1
    err = capsys.readouterr().err
    assert "environments.dev.account" in err
    assert "environments.dev.vpc_cidr" in err


def test_check_config_accepts_the_real_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_config([]) == 0
    assert "placeholder account" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("account", "placeholder"),
    [("111111111111", True), ("000000000000", True), ("123456789012", True), ("210987654321", False)],
)
def test_recognises_placeholder_accounts(account: str, placeholder: bool) -> None:
    assert is_placeholder_account(account) is placeholder


def test_local_environment_is_a_stage_target_but_no_pipeline_target() -> None:
    settings = load_config()
    assert settings.local is not None
    assert "local" not in settings.environments
    assert settings.environment("local").account == "123456789012"
    assert list(settings.stage_targets()) == ["dev", "test", "prod", "local"]


def test_local_environment_is_validated_like_the_others(valid: dict[str, Any]) -> None:
    data = copy.deepcopy(valid)
    data["local"]["vpc_cidr"] = "10.10.0.0/22"
    [problem] = problems_of(data)
    assert problem.startswith("local.vpc_cidr: 10.10.0.0/22 overlaps dev's")


def test_local_is_reserved_for_the_embedded_environment(valid: dict[str, Any]) -> None:
    data = copy.deepcopy(valid)
    data["environments"]["local"] = data.pop("local")
    [problem] = problems_of(data)
    assert problem.startswith("environments.local: 'local' is reserved for the embedded local AWS")


def test_unknown_environment_names_the_configured_ones() -> None:
    with pytest.raises(KeyError, match="configured: dev, test, prod, local"):
        load_config().environment("staging")
