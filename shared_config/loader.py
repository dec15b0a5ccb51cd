"""Load and validate environments.yaml, collecting every error before raising.

`load_config()` returns a frozen `Settings`; a bad file raises `ConfigError` whose message lists
each problem as `<where>: <what is wrong>; <how to fix it>`, so a bad config fails before synth.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shared_config.model import EnvironmentConfig, Settings
from shared_config.naming import longest_bucket_name

DEFAULT_CONFIG_PATH = Path(__file__).with_name("environments.yaml")
MAX_BUCKET_NAME_LENGTH = 63
LOCAL = "local"


class ConfigError(ValueError):
    """A configuration file that cannot be used; `problems` holds one line per error."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listing = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{source} has {len(problems)} problem(s):\n{listing}")


def load_config(path: str | Path = DEFAULT_CONFIG_PATH) -> Settings:
    """Read, validate and return the configuration at `path`."""
    source = Path(path)
    try:
        raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(str(source), ["file not found; pass the path of an environments.yaml"]) from None
    except yaml.YAMLError as error:
        raise ConfigError(str(source), [f"not valid YAML ({error}); fix the syntax at that line"]) from None
    return parse_config(raw, source=str(source))


def parse_config(raw: object, *, source: str = "<config>") -> Settings:
    """Validate already-parsed YAML data; raise ConfigError listing every problem found."""
    if not isinstance(raw, Mapping):
        raise ConfigError(source, ["the file must be a mapping with prefix, deployment, environments, ..."])
    problems: list[str] = []
    environments = _parse_environments(raw.get("environments"), problems)
    local = _parse_local(raw.get(LOCAL), problems)
    top_level = {key: value for key, value in raw.items() if key not in ("environments", LOCAL)}
    settings: Settings | None = None
    try:
        settings = Settings.model_validate({**top_level, "environments": {}})
    except ValidationError as error:
        problems.extend(_describe(error))
    prefix = settings.prefix if settings is not None else None
    every_raw = {**_mapping(raw.get("environments")), **({LOCAL: raw[LOCAL]} if LOCAL in raw else {})}
    every_parsed = {**environments, **({LOCAL: local} if local else {})}
    problems.extend(_cross_environment_problems(prefix, every_raw, every_parsed))
    if problems:
        raise ConfigError(source, problems)
    assert settings is not None
    return settings.model_copy(update={"environments": environments, "local": local})


def _path(name: str) -> str:
    return LOCAL if name == LOCAL else f"environments.{name}"


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _parse_local(raw: object, problems: list[str]) -> EnvironmentConfig | None:
    """The embedded local environment (make demo, end-to-end tests); no pipeline ever deploys it."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append("local: must be a mapping of account, region, availability_zones, vpc_cidr, ...")
        return None
    try:
        return EnvironmentConfig.model_validate({**raw, "name": LOCAL})
    except ValidationError as error:
        problems.extend(_describe(error, where="local"))
        return None


def _parse_environments(raw: object, problems: list[str]) -> dict[str, EnvironmentConfig]:
    if not isinstance(raw, Mapping) or not raw:
        problems.append("environments: missing or empty; define at least dev, test and prod")
        return {}
    parsed: dict[str, EnvironmentConfig] = {}
    for name, body in raw.items():
        if name == LOCAL:
            problems.append(
                "environments.local: 'local' is reserved for the embedded local AWS; move it to a top-level `local:` section or rename it"
            )
            continue
        if not isinstance(body, Mapping):
            problems.append(f"environments.{name}: must be a mapping of account, region, vpc_cidr, ...")
            continue
        try:
            parsed[name] = EnvironmentConfig.model_validate({**body, "name": name})
        except ValidationError as error:
            problems.extend(_describe(error, where=f"environments.{name}"))
    return parsed


def _cross_environment_problems(
    prefix: str | None, raw: object, parsed: dict[str, EnvironmentConfig]
) -> list[str]:
    """Checks that span environments. Branches and CIDRs are compared on the raw values, so an
    environment with an unrelated field error is still checked."""
    if not isinstance(raw, Mapping):
        return []
    bodies = {name: body for name, body in raw.items() if isinstance(body, Mapping)}
    problems: list[str] = []
    for (first, first_body), (second, second_body) in combinations(bodies.items(), 2):
        first_net, second_net = _network(first_body.get("vpc_cidr")), _network(second_body.get("vpc_cidr"))
        if first_net and second_net and first_net.overlaps(second_net):
            problems.append(
                f"{_path(second)}.vpc_cidr: {second_net} overlaps {first}'s {first_net}; "
                "give each environment its own range so VPCs can be peered, "
                "e.g. 10.10.0.0/22, 10.20.0.0/22, 10.30.0.0/22"
            )
        branch = second_body.get("branch")
        if branch is not None and branch == first_body.get("branch"):
            problems.append(
                f"{_path(second)}.branch: {branch!r} is already {first}'s branch; "
                "each environment needs its own branch (e.g. main -> dev, test -> test, prod -> prod)"
            )
    if prefix is None:
        return problems
    for env in parsed.values():
        name = longest_bucket_name(prefix, env)
        if len(name) > MAX_BUCKET_NAME_LENGTH:
            excess = len(name) - MAX_BUCKET_NAME_LENGTH
            problems.append(
                f"prefix: {prefix!r} makes the {env.name} bucket name {name!r} {len(name)} characters "
                f"long (S3 allows {MAX_BUCKET_NAME_LENGTH}); shorten the prefix by {excess} or more"
            )
    return problems


def _network(value: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(value), strict=True)
    except ValueError:
        return None


def _describe(error: ValidationError, *, where: str = "") -> list[str]:
    """Turn pydantic errors into `<field path>: <problem>; <fix>` lines."""
    lines = []
    for item in error.errors():
        path = ".".join(str(part) for part in (where, *item["loc"]) if part != "")
        lines.append(f"{path or '<top level>'}: {_message(item)}")
    return lines


def _message(item: Any) -> str:
    kind = item["type"]
    field = item["loc"][-1] if item["loc"] else "field"
    if kind == "missing":
        return f"is missing; add `{field}:` (see shared_config/environments.yaml for an example)"
    if kind == "extra_forbidden":
        return f"{item['input']!r} is not a known field; remove it or check its spelling"
    if kind == "value_error":
        return str(item["ctx"]["error"])
    if kind == "string_type":
        return f'{item["input"]!r} must be text; quote it, e.g. "{item["input"]}"'
    if kind == "string_pattern_mismatch":
        return f"{item['input']!r} does not match {item['ctx']['pattern']}; use letters, digits and hyphens"
    return f"{item['input']!r}: {item['msg']}; fix the value"
