"""The configuration: the real file loads, and every invalid case names the field, the value and a fix."""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared_config import ConfigError, is_placeholder_account, load_config, parse_config
from shared_config.__main__ import main as check_config
from shared_config.check import check_config as check_for_every_app
from shared_config.loader import DEFAULT_CONFIG_PATH
from shared_config.model import is_placeholder_email

CONNECTION_PLACEHOLDER = (
    "arn:aws:codeconnections:eu-west-1:999999999999:connection/00000000-0000-0000-0000-000000000000"
)


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
    assert problem.startswith("environments.prod.allow_data_deletion: true contradicts retain_data: true")


def test_names_a_missing_field_and_how_to_add_it(valid: dict[str, Any]) -> None:
    data = copy.deepcopy(valid)
    del data["environments"]["dev"]["vpc_cidr"]
    [problem] = problems_of(data)
    assert problem == (
        "environments.dev.vpc_cidr: is missing; add `vpc_cidr:` (see shared_config/environments.yaml for an example)"
    )


def test_names_a_misspelt_field_and_the_field_it_resembles(valid: dict[str, Any]) -> None:
    [problem] = problems_of(with_env(valid, "dev", retain_date=True))
    assert problem == (
        "environments.dev.retain_date: is not a known field (value True); did you mean `retain_data`? "
        "remove it or check its spelling"
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


def test_error_message_lists_the_file_the_line_and_each_problem(tmp_path: Path) -> None:
    bad = tmp_path / "environments.yaml"
    text = DEFAULT_CONFIG_PATH.read_text().replace('account: "111111111111"', 'account: "12"')
    bad.write_text(text)
    line = text.splitlines().index('    account: "12"') + 1
    with pytest.raises(ConfigError) as caught:
        load_config(bad)
    assert str(caught.value) == (
        f"{bad} has 1 problem:\n  - {bad}:{line}: environments.dev.account: '12' is not an AWS account id; "
        'use the 12 digits of the account, quoted, e.g. "123456789012"'
    )
    assert caught.value.details[0].line == line


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


def test_check_config_accepts_the_real_file_and_lists_its_placeholders_with_their_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert check_config([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("shared_config/environments.yaml: OK\n")
    lines = DEFAULT_CONFIG_PATH.read_text().splitlines()
    listed = re.findall(r"^  shared_config/environments\.yaml:(\d+): (\S+): '(.*)'$", out, flags=re.MULTILINE)
    assert [(field, value) for _, field, value in listed] == [
        ("deployment.account", "999999999999"),
        ("repository.owner", "example-org"),
        ("repository.connection_arn", CONNECTION_PLACEHOLDER),
        ("notifications.emails[0]", "data-engineering@example.com"),
        ("environments.dev.account", "111111111111"),
        ("environments.test.account", "222222222222"),
        ("environments.prod.account", "333333333333"),
    ]
    for line, _, value in listed:
        assert value in lines[int(line) - 1]
    assert "make bootstrap-* and make deploy-* refuse them" in out


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


# --- what a file says twice ------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "environments.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def sample_text() -> str:
    return DEFAULT_CONFIG_PATH.read_text()


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    found = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    return found[occurrence - 1]


def test_refuses_a_key_written_twice_naming_both_lines(tmp_path: Path) -> None:
    text = sample_text().replace("    branch: test\n", "    branch: test\n    branch: main\n", 1)
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    first, second = line_of(text, "branch: test"), line_of(text, "branch: main", occurrence=2)
    duplicate = caught.value.details[0]
    assert (duplicate.field, duplicate.line) == ("environments.test.branch", second)
    assert duplicate.text.startswith(
        f"is written twice (lines {first} and {second}); YAML keeps only the last"
    )


def test_refuses_a_whole_environment_written_twice(tmp_path: Path) -> None:
    text = sample_text()
    dev_block = text[text.index("  dev:\n") : text.index("  test:\n")]
    text = text.replace("  test:\n", dev_block.replace("10.10.0.0/22", "10.40.0.0/22") + "  test:\n", 1)
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert caught.value.problems[0].startswith("environments.dev: is written twice")


def test_refuses_two_environments_in_one_account_and_region(valid: dict[str, Any]) -> None:
    [problem] = problems_of(with_env(valid, "test", account="111111111111"))
    assert problem.startswith(
        "environments.test.account: '111111111111' in eu-west-1 is already dev's account and region"
    )
    assert "use another account or region" in problem


def test_accepts_two_environments_in_one_account_in_different_regions(valid: dict[str, Any]) -> None:
    data = with_env(valid, "test", account="111111111111", region="eu-central-1")
    data["environments"]["test"]["availability_zones"] = ["eu-central-1a", "eu-central-1b"]
    assert parse_config(data).environments["test"].region == "eu-central-1"


def test_refuses_an_email_listed_twice(valid: dict[str, Any]) -> None:
    data = copy.deepcopy(valid)
    data["notifications"]["emails"] = ["ops@acme.io", "lake@acme.io", "Ops@Acme.io"]
    [problem] = problems_of(data)
    assert problem.startswith("notifications.emails[2]: 'Ops@Acme.io' is already listed (emails[0])")


# --- what some app needs ----------------------------------------------------------------------------


@pytest.mark.parametrize("notifications", [None, {}, {"emails": []}])
def test_refuses_a_configuration_that_notifies_nobody(valid: dict[str, Any], notifications: Any) -> None:
    data = copy.deepcopy(valid)
    if notifications is None:
        del data["notifications"]
    else:
        data["notifications"] = notifications
    [problem] = problems_of(data)
    assert (
        "lists no e-mail address, so failed pipelines, failed files and alarms would reach nobody" in problem
    )


def test_check_config_refuses_a_file_without_the_local_environment(
    tmp_path: Path, valid: dict[str, Any]
) -> None:
    data = copy.deepcopy(valid)
    del data["local"]
    with pytest.raises(ConfigError) as caught:
        check_for_every_app(write(tmp_path, yaml.safe_dump(data, sort_keys=False)))
    problem, *_ = caught.value.problems  # the families' settings for local then have no environment either
    assert problem.startswith("local: is missing; make demo and the end-to-end tests deploy")


def test_check_config_refuses_an_environment_a_job_family_has_no_settings_for(
    tmp_path: Path, valid: dict[str, Any]
) -> None:
    root = tmp_path / "repo"
    family = root / "etl-jobs" / "nyc_taxi"
    family.mkdir(parents=True)
    real = DEFAULT_CONFIG_PATH.parents[1] / "etl-jobs" / "nyc_taxi"
    for name in ("settings.yaml", "cdk.json"):
        shutil.copy(real / name, family)
    (family / "nyc_taxi").symlink_to(real / "nyc_taxi")
    data = copy.deepcopy(valid)
    data["environments"]["qa"] = {
        **data["environments"]["test"],
        "account": "444444444444",
        "vpc_cidr": "10.40.0.0/22",
        "branch": "qa",
    }
    config = write(tmp_path, yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        check_for_every_app(config, root=root)
    [problem] = caught.value.details
    assert problem.file == f"{root}/etl-jobs/nyc_taxi/settings.yaml"
    assert problem.field == "environments.qa"
    assert problem.text.startswith("missing; add an entry for qa")
    assert problem.line == line_of((family / "settings.yaml").read_text(), "environments:")
    assert str(caught.value).endswith(f"  - {problem.file}:{problem.line}: environments.qa: {problem.text}")


def test_check_config_says_when_the_az_lookups_must_be_refreshed(tmp_path: Path) -> None:
    text = sample_text().replace("[eu-west-1a, eu-west-1b, eu-west-1c]", "[eu-west-1a, eu-west-1c]")
    report = check_for_every_app(write(tmp_path, text, "mine.yaml"))
    [note] = report.notes
    assert note.endswith(f"run make refresh-azs CONFIG={tmp_path / 'mine.yaml'}")


def test_check_config_needs_no_refresh_for_the_committed_file() -> None:
    assert check_for_every_app(DEFAULT_CONFIG_PATH).notes == []


# --- partitions -------------------------------------------------------------------------------------


def test_refuses_an_environment_in_another_partition_with_the_reason(valid: dict[str, Any]) -> None:
    data = with_env(valid, "prod", region="cn-north-1", availability_zones=["cn-north-1a", "cn-north-1b"])
    [problem] = problems_of(data)
    assert problem.startswith(
        "environments.prod.region: 'cn-north-1' is in the aws-cn partition, but the deployment account "
        "(eu-west-1) is in aws"
    )
    assert "CodePipeline cannot deploy across partitions" in problem


def test_accepts_a_whole_configuration_in_another_partition(valid: dict[str, Any]) -> None:
    data = copy.deepcopy(valid)
    data["deployment"]["region"] = "us-gov-west-1"
    data["repository"]["connection_arn"] = (
        "arn:aws-us-gov:codeconnections:us-gov-west-1:999999999999:connection/00000000-0000-0000-0000-000000000000"
    )
    for name in ("dev", "test", "prod"):
        data["environments"][name]["region"] = "us-gov-west-1"
        data["environments"][name]["availability_zones"] = ["us-gov-west-1a", "us-gov-west-1b"]
    settings = parse_config(data)
    assert settings.partition == "aws-us-gov"
    assert {env.partition for env in settings.environments.values()} == {"aws-us-gov"}


def test_refuses_a_connection_of_another_partition(valid: dict[str, Any]) -> None:
    data = copy.deepcopy(valid)
    data["repository"]["connection_arn"] = CONNECTION_PLACEHOLDER.replace("arn:aws:", "arn:aws-cn:")
    [problem] = problems_of(data)
    assert problem.startswith("repository.connection_arn: is an aws-cn ARN, but the deployment account")


# --- every message in our words ----------------------------------------------------------------------

PYDANTIC_PHRASES = ("Input should", "Field required", "Extra inputs", "validation error", "pydantic", "type=")


@pytest.mark.parametrize(
    ("env_fields", "field", "expected"),
    [
        (
            {"nat_gateways": "two"},
            "nat_gateways",
            "'two' is not a whole number; write e.g. `nat_gateways: 30`",
        ),
        ({"nat_gateways": 4}, "nat_gateways", "4 is too large; use at most 3"),
        ({"nat_gateways": -1}, "nat_gateways", "-1 is too small; use at least 0"),
        ({"retain_data": "maybe"}, "retain_data", "'maybe' is not true or false"),
        ({"availability_zones": "eu-west-1a"}, "availability_zones", "'eu-west-1a' is not a list"),
        ({"lifecycle": 5}, "lifecycle", "5 is not a mapping"),
        (
            {"lifecycle": {"raw_expiry_days": 0}},
            "lifecycle.raw_expiry_days",
            "0 is too small; use at least 1",
        ),
        (
            {"redshift": {"base_capacity_rpu": 4}},
            "redshift.base_capacity_rpu",
            "4 is too small; use at least 8",
        ),
        (
            {"redshift": {"base_capacity_rpu": 12}},
            "redshift.base_capacity_rpu",
            "12 is not a Redshift Serverless base capacity, which comes in steps of 8 RPUs; use 8 or 16",
        ),
        (
            {"nat_gateways": 3},
            "nat_gateways",
            "3 NAT gateways for 2 availability zones: a VPC places at most one",
        ),
        ({"branch": "feature/*"}, "branch", "'feature/*' is not a usable git branch name"),
        ({"branch": "main.lock"}, "branch", "'main.lock' is not a usable git branch name"),
        ({"availability_zones": [1, 2]}, "availability_zones[0]", "1 must be text"),
    ],
)
def test_words_every_field_error_itself(
    valid: dict[str, Any], env_fields: dict[str, Any], field: str, expected: str
) -> None:
    problems = problems_of(with_env(valid, "dev", **env_fields))
    assert problems[0].startswith(f"environments.dev.{field}: {expected}")
    assert not [phrase for phrase in PYDANTIC_PHRASES for problem in problems if phrase in problem]


def test_words_a_bad_repository_owner_itself(valid: dict[str, Any]) -> None:
    data = copy.deepcopy(valid)
    data["repository"]["owner"] = "acme org"
    [problem] = problems_of(data)
    assert problem == (
        "repository.owner: 'acme org' is not a GitHub user or organisation name (letters, digits, "
        "hyphens); fix the value"
    )


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    text = sample_text().replace("    vpc_cidr: 10.20.0.0/22\n", "    vpc_cidr: [10.20.0.0/22\n", 1)
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    [problem] = caught.value.details
    assert problem.text.startswith("is not valid YAML here (")
    assert problem.line is not None and problem.line >= line_of(text, "vpc_cidr: [10.20")


@pytest.mark.parametrize(
    ("email", "placeholder"),
    [
        ("ops@example.com", True),
        ("ops@mail.example.org", True),
        ("ops@acme.io", False),
        ("x@myexample.com", False),
    ],
)
def test_recognises_placeholder_emails(email: str, placeholder: bool) -> None:
    assert is_placeholder_email(email) is placeholder


def test_a_configuration_of_real_values_has_no_placeholders(valid: dict[str, Any]) -> None:
    data = copy.deepcopy(valid)
    data["deployment"]["account"] = "210987654321"
    data["repository"]["owner"] = "acme"
    data["repository"]["connection_arn"] = (
        "arn:aws:codeconnections:eu-west-1:210987654321:connection/3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f"
    )
    data["notifications"]["emails"] = ["lake@acme.io"]
    for index, name in enumerate(("dev", "test", "prod")):
        data["environments"][name]["account"] = f"{4 + index}10987654321"
    assert parse_config(data).placeholders() == []
