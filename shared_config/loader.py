"""Load and validate environments.yaml, collecting every error before raising.

`load_config()` returns a frozen `Settings`; a bad file raises `ConfigError` whose message lists
each problem in our own words, as `<file>:<line>: <field>: <value> <what is wrong>; <how to fix it>`,
so a bad config fails before synth. Besides each field, it refuses what a file says twice (a key
written twice, which YAML would silently reduce to the last one; two environments in one account
and region, on one branch or in overlapping networks; an e-mail listed twice) and what cannot work
across fields (an environment outside the deployment account's partition, bucket names over 63
characters, no one to notify).
"""

from __future__ import annotations

import difflib
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from shared_config.model import EnvironmentConfig, Settings
from shared_config.naming import longest_bucket_name
from shared_config.yaml_source import YamlDocument, read_yaml

DEFAULT_CONFIG_PATH = Path(__file__).with_name("environments.yaml")
MAX_BUCKET_NAME_LENGTH = 63
LOCAL = "local"
EXAMPLE = "see shared_config/environments.yaml for an example"

FieldPath = tuple[str | int, ...]


def field_name(path: Sequence[str | int]) -> str:
    """`("environments", "dev", "availability_zones", 0)` -> `environments.dev.availability_zones[0]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top level>"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a configuration: the field, what is wrong and the fix, and its line."""

    path: FieldPath
    text: str
    line: int | None = None
    file: str | None = None  # another file than the configuration (e.g. a job family's settings.yaml)

    @property
    def field(self) -> str:
        return field_name(self.path)

    def __str__(self) -> str:
        return f"{self.field}: {self.text}" if self.path else self.text

    def located(self, source: str) -> str:
        where = self.file or source
        return f"{where}:{self.line}: {self}" if self.line else f"{where}: {self}"


class ConfigError(ValueError):
    """A configuration file that cannot be used.

    `problems` holds one `<field>: <what is wrong>; <fix>` line per error; `details` the same as
    `Problem`s with their lines; the message lists them as `<file>:<line>: <field>: ...`.
    """

    def __init__(self, source: str, problems: Sequence[Problem | str]) -> None:
        self.source = source
        self.details = [p if isinstance(p, Problem) else Problem((), p) for p in problems]
        self.problems = [str(problem) for problem in self.details]
        count = len(self.details)
        listing = "\n".join(f"  - {problem.located(source)}" for problem in self.details)
        super().__init__(f"{source} has {count} problem{'s' if count != 1 else ''}:\n{listing}")


def read_config(path: str | Path = DEFAULT_CONFIG_PATH) -> tuple[Settings, YamlDocument]:
    """Read and validate the configuration at `path`; the settings and the parsed document (lines)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            str(source), ["file not found; pass the path of an environments.yaml, e.g. CONFIG=my-envs.yaml"]
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            str(source), [f"cannot be read ({type(error).__name__}); pass a UTF-8 text file"]
        ) from None
    try:
        document = read_yaml(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        detail = " ".join(part for part in (error.context, error.problem) if part)
        raise ConfigError(
            str(source),
            [
                Problem(
                    (),
                    f"is not valid YAML here ({detail}); fix the syntax: indent nested keys by two spaces, "
                    "quote values that hold ': ' or ' #'",
                    line=mark.line + 1 if mark else None,
                )
            ],
        ) from None
    except yaml.YAMLError:
        raise ConfigError(str(source), ["is not valid YAML; fix the syntax"]) from None
    return parse_config(document.data, source=str(source), document=document), document


def load_config(path: str | Path = DEFAULT_CONFIG_PATH) -> Settings:
    """Read, validate and return the configuration at `path`."""
    return read_config(path)[0]


def parse_config(raw: object, *, source: str = "<config>", document: YamlDocument | None = None) -> Settings:
    """Validate already-parsed YAML data; raise ConfigError listing every problem found.

    With the `document` it was parsed from, problems carry their line and keys written twice are refused.
    """
    problems: list[Problem] = []
    if document is not None:
        for duplicate in sorted(document.duplicates, key=lambda d: d.line):
            problems.append(
                Problem(
                    duplicate.path,
                    f"is written twice (lines {duplicate.first_line} and {duplicate.line}); YAML keeps "
                    "only the last one without a word, so delete the one you did not mean",
                    line=duplicate.line,
                )
            )
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(
                (),
                "the file must be a mapping with prefix, deployment, repository, notifications, "
                f"environments and local; {EXAMPLE}",
            )
        )
        raise ConfigError(source, _with_lines(problems, document))
    environments = _parse_environments(raw.get("environments"), problems)
    local = _parse_local(raw.get(LOCAL), problems)
    top_level = {key: value for key, value in raw.items() if key not in ("environments", LOCAL)}
    settings: Settings | None = None
    try:
        settings = Settings.model_validate({**top_level, "environments": {}})
    except ValidationError as error:
        problems.extend(_describe(error, Settings))
    every_raw = {**_mapping(raw.get("environments")), **({LOCAL: raw[LOCAL]} if LOCAL in raw else {})}
    every_parsed = {**environments, **({LOCAL: local} if local else {})}
    problems.extend(_cross_environment_problems(settings, every_raw, every_parsed))
    problems.extend(_notification_problems(raw.get("notifications")))
    if settings is not None:
        problems.extend(_partition_problems(settings, environments))
    if problems:
        raise ConfigError(source, _with_lines(problems, document))
    assert settings is not None
    return settings.model_copy(update={"environments": environments, "local": local})


def _with_lines(problems: list[Problem], document: YamlDocument | None) -> list[Problem]:
    if document is None:
        return problems
    return [
        problem
        if problem.line
        else Problem(problem.path, problem.text, document.line_of(problem.path), problem.file)
        for problem in problems
    ]


def _path(name: str) -> FieldPath:
    return (LOCAL,) if name == LOCAL else ("environments", name)


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _parse_local(raw: object, problems: list[Problem]) -> EnvironmentConfig | None:
    """The embedded local environment (make demo, end-to-end tests); no pipeline ever deploys it."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        problems.append(
            Problem(
                (LOCAL,),
                f"must be a mapping of account, region, availability_zones, vpc_cidr, ...; {EXAMPLE}",
            )
        )
        return None
    try:
        return EnvironmentConfig.model_validate({**raw, "name": LOCAL})
    except ValidationError as error:
        problems.extend(_describe(error, EnvironmentConfig, where=(LOCAL,)))
        return None


def _parse_environments(raw: object, problems: list[Problem]) -> dict[str, EnvironmentConfig]:
    if not isinstance(raw, Mapping) or not raw:
        problems.append(
            Problem(("environments",), f"is missing or empty; define at least dev, test and prod ({EXAMPLE})")
        )
        return {}
    parsed: dict[str, EnvironmentConfig] = {}
    for key, body in raw.items():
        name = str(key)
        if name == LOCAL:
            problems.append(
                Problem(
                    ("environments", LOCAL),
                    "'local' is reserved for the embedded local AWS; move it to a top-level `local:` "
                    "section or rename it",
                )
            )
            continue
        if not isinstance(body, Mapping):
            problems.append(
                Problem(
                    ("environments", name),
                    f"must be a mapping of account, region, availability_zones, vpc_cidr, branch, ...; {EXAMPLE}",
                )
            )
            continue
        try:
            parsed[name] = EnvironmentConfig.model_validate({**body, "name": name})
        except ValidationError as error:
            problems.extend(_describe(error, EnvironmentConfig, where=("environments", name)))
    return parsed


def _cross_environment_problems(
    settings: Settings | None, raw: Mapping[str, object], parsed: dict[str, EnvironmentConfig]
) -> list[Problem]:
    """Checks that span environments. Branches and CIDRs are compared on the raw values, so an
    environment with an unrelated field error is still checked."""
    bodies = {str(name): body for name, body in raw.items() if isinstance(body, Mapping)}
    problems: list[Problem] = []
    for (first, first_body), (second, second_body) in combinations(bodies.items(), 2):
        first_net, second_net = _network(first_body.get("vpc_cidr")), _network(second_body.get("vpc_cidr"))
        if first_net and second_net and first_net.overlaps(second_net):
            problems.append(
                Problem(
                    (*_path(second), "vpc_cidr"),
                    f"{second_net} overlaps {first}'s {first_net}; give each environment its own range "
                    "so VPCs can be peered, e.g. 10.10.0.0/22, 10.20.0.0/22, 10.30.0.0/22",
                )
            )
        branch = second_body.get("branch")
        if branch is not None and branch == first_body.get("branch"):
            problems.append(
                Problem(
                    (*_path(second), "branch"),
                    f"{branch!r} is already {first}'s branch; each environment needs its own branch "
                    "(e.g. main -> dev, test -> test, prod -> prod)",
                )
            )
    placed: dict[tuple[str, str], str] = {}
    for name, body in bodies.items():
        if name == LOCAL:
            continue  # never deployed: its moto account may be anything
        place = (str(body.get("account")), str(body.get("region")))
        if place in placed:
            problems.append(
                Problem(
                    (*_path(name), "account"),
                    f"{place[0]!r} in {place[1]} is already {placed[place]}'s account and region; each "
                    "environment needs its own account or region: two would share one CDK bootstrap "
                    "(trust and execution policy) and the regional quotas (VPCs, ENIs, Glue workers), so "
                    "one environment's release could starve the other; use another account or region",
                )
            )
        else:
            placed[place] = name
    if settings is None:
        return problems
    for env in parsed.values():
        name = longest_bucket_name(settings.prefix, env)
        if len(name) > MAX_BUCKET_NAME_LENGTH:
            excess = len(name) - MAX_BUCKET_NAME_LENGTH
            problems.append(
                Problem(
                    ("prefix",),
                    f"{settings.prefix!r} makes the {env.name} bucket name {name!r} {len(name)} characters "
                    f"long (S3 allows {MAX_BUCKET_NAME_LENGTH}); shorten the prefix by {excess} or more",
                )
            )
    return problems


def _notification_problems(raw: object) -> list[Problem]:
    """Someone must hear about failed pipelines and files; nobody twice."""
    emails = raw.get("emails") if isinstance(raw, Mapping) else None
    if not emails:
        where: FieldPath = ("notifications", "emails") if isinstance(raw, Mapping) else ("notifications",)
        return [
            Problem(
                where,
                "lists no e-mail address, so failed pipelines, failed files and alarms would reach "
                "nobody; add `notifications: {emails: [data-team@your-domain]}`",
            )
        ]
    if not isinstance(emails, list):
        return []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for index, email in enumerate(emails):
        key = str(email).strip().lower()
        if key in seen:
            problems.append(
                Problem(
                    ("notifications", "emails", index),
                    f"{email!r} is already listed (emails[{seen[key]}]); each address gets one "
                    "subscription, so list it once",
                )
            )
        else:
            seen[key] = index
    return problems


def _partition_problems(settings: Settings, environments: dict[str, EnvironmentConfig]) -> list[Problem]:
    """Every pipeline target and the repository connection in the deployment account's partition."""
    home = settings.partition
    problems = [
        Problem(
            ("environments", env.name, "region"),
            f"{env.region!r} is in the {env.partition} partition, but the deployment account "
            f"({settings.deployment.region}) is in {home}: an account lives in one partition and "
            "CodePipeline cannot deploy across partitions; use a region of "
            f"{home}, or run a separate deployment account and configuration in {env.partition}",
        )
        for env in environments.values()
        if env.partition != home
    ]
    arn_partition = settings.repository.connection_arn.split(":")[1]
    if arn_partition != home:
        problems.append(
            Problem(
                ("repository", "connection_arn"),
                f"is an {arn_partition} ARN, but the deployment account ({settings.deployment.region}) "
                f"is in {home}; create the connection in the deployment account and paste its ARN",
            )
        )
    return problems


def _network(value: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(value), strict=True)
    except ValueError:
        return None


def _describe(error: ValidationError, model: type[BaseModel], *, where: FieldPath = ()) -> list[Problem]:
    """Turn pydantic errors into our own `<field path>: <value> <problem>; <fix>` problems."""
    problems = []
    for item in error.errors():
        loc = tuple(item["loc"])
        if loc == ("name",):  # an environment's name is its key
            problems.append(Problem(where, str(item["ctx"]["error"])))
            continue
        problems.append(Problem((*where, *loc), _message(item, model)))
    return problems


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that holds the last part of `loc` (for spelling suggestions)."""
    current: type[BaseModel] = model
    for part in loc:
        field = current.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        current = annotation
    return current


def _message(item: Any, model: type[BaseModel]) -> str:
    kind = item["type"]
    loc = tuple(item["loc"])
    field = next((part for part in reversed(loc) if isinstance(part, str)), "field")
    value = item.get("input")
    ctx = item.get("ctx") or {}
    if kind == "missing":
        return f"is missing; add `{field}:` ({EXAMPLE})"
    if kind == "extra_forbidden":
        holder = _model_at(model, loc[:-1])
        known = list(holder.model_fields) if holder else []
        close = difflib.get_close_matches(str(field), [k for k in known if k != "name"], n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        return f"is not a known field (value {value!r}); {hint}remove it or check its spelling"
    if kind == "value_error":
        return str(ctx["error"])
    if kind == "string_type":
        return f'{value!r} must be text; quote it, e.g. "{value}"'
    if kind == "string_pattern_mismatch":
        what = {
            "owner": "a GitHub user or organisation name (letters, digits, hyphens)",
            "name": "a GitHub repository name (letters, digits, '.', '_', '-')",
        }.get(str(field), "letters, digits and hyphens")
        return f"{value!r} is not {what}; fix the value"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"{value!r} is not a whole number; write e.g. `{field}: 30`"
    if kind in ("bool_type", "bool_parsing"):
        return f"{value!r} is not true or false; write `{field}: true` or `{field}: false`"
    if kind in ("greater_than_equal", "greater_than"):
        bound = ctx.get("ge", ctx.get("gt"))
        return f"{value!r} is too small; use {'at least' if kind == 'greater_than_equal' else 'more than'} {bound}"
    if kind in ("less_than_equal", "less_than"):
        bound = ctx.get("le", ctx.get("lt"))
        return (
            f"{value!r} is too large; use {'at most' if kind == 'less_than_equal' else 'less than'} {bound}"
        )
    if kind in ("tuple_type", "list_type"):
        return f"{value!r} is not a list; write it as [a, b] or as indented lines starting with '- '"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{value!r} is not a mapping; write the fields of `{field}:` indented below it ({EXAMPLE})"
    return f"{value!r} is not a usable value for `{field}`; {EXAMPLE}"
