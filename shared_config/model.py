"""The typed configuration model: one frozen, validated object per environment.

Field validators say what is wrong *and* how to fix it; checks that span fields or environments
(overlapping CIDRs, shared branches or accounts, partitions, bucket-name length) live in
`shared_config.loader`, which words every message with the file, line, field and value.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from shared_config.regions import is_known_region, partition_of

ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
ENVIRONMENT_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,9}$")
CONNECTION_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[A-Za-z0-9-]+$"
)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# What `git check-ref-format --branch` refuses, plus the glob characters a pipeline trigger's branch
# filter would read as a pattern.
BRANCH_FORBIDDEN = re.compile(r"(^[-/.])|([/.]$)|\.\.|//|@\{|\.lock$|/\.|[\x00-\x20~^:?*\[\\{}!]")

# The smallest VPC that leaves room per AZ for Glue workers, Lambda ENIs and the nine interface
# endpoints; the largest AWS allows.
MIN_VPC_PREFIX = 16
MAX_VPC_PREFIX = 24

PLACEHOLDER_ACCOUNT = "123456789012"
PLACEHOLDER_CONNECTION = re.compile(r"connection/0{8}-0{4}-0{4}-0{4}-0{12}$")
PLACEHOLDER_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
PLACEHOLDER_OWNERS = ("example-org", "example")


def is_placeholder_account(account: str) -> bool:
    """True for the documentation accounts (one digit repeated, or 123456789012).

    They are fine for synth and local runs; every bootstrap/deploy command refuses them.
    """
    return len(set(account)) == 1 or account == PLACEHOLDER_ACCOUNT


def is_placeholder_connection(arn: str) -> bool:
    """True for the all-zero connection ARN of the sample file."""
    return PLACEHOLDER_CONNECTION.search(arn) is not None


def is_placeholder_email(email: str) -> bool:
    """True for addresses at the documentation domains (RFC 2606), e.g. data-engineering@example.com."""
    domain = email.rsplit("@", 1)[-1].lower()
    return any(domain == name or domain.endswith(f".{name}") for name in PLACEHOLDER_EMAIL_DOMAINS)


def _network_or_reason(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | str:
    """The network `value` writes, or why it is none (in our words, not the ipaddress module's)."""
    address, _, mask = value.partition("/")
    if not mask:
        return "no /mask"
    if not mask.isdigit() or int(mask) > 32:
        return f"/{mask} is not a mask from /0 to /32"
    try:
        loose = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"{address!r} is not an IPv4 address"
    if str(loose) != value:
        return f"host bits set: the network of that range is {loose}"
    return loose


def _check_account(value: str) -> str:
    if not ACCOUNT_PATTERN.fullmatch(value):
        raise ValueError(
            f"{value!r} is not an AWS account id; use the 12 digits of the account, quoted, "
            'e.g. "123456789012"'
        )
    return value


def _check_region(value: str) -> str:
    if not is_known_region(value):
        raise ValueError(f"{value!r} is not an AWS region; use a region name such as eu-west-1 or us-east-2")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Lifecycle(_Frozen):
    """Per-environment lifecycle of the data zones; null means never."""

    raw_expiry_days: Annotated[int, Field(ge=1)] | None = None
    noncurrent_version_expiry_days: Annotated[int, Field(ge=1)] = 30
    infrequent_access_after_days: Annotated[int, Field(ge=30)] | None = None


class RedshiftSettings(_Frozen):
    """Optional Redshift Serverless over the purpose-built zone (off by default)."""

    enabled: bool = False
    base_capacity_rpu: Annotated[int, Field(ge=8, le=512)] = 8

    @field_validator("base_capacity_rpu")
    @classmethod
    def _in_steps_of_8(cls, value: int) -> int:
        if value % 8:
            raise ValueError(
                f"{value} is not a Redshift Serverless base capacity, which comes in steps of 8 RPUs; "
                f"use {value - value % 8 or 8} or {value - value % 8 + 8}"
            )
        return value


class Account(_Frozen):
    account: str
    region: str

    _account = field_validator("account")(_check_account)
    _region = field_validator("region")(_check_region)

    @property
    def is_placeholder(self) -> bool:
        return is_placeholder_account(self.account)

    @property
    def partition(self) -> str:
        """`aws`, `aws-cn`, `aws-us-gov`, ...: the first field of every ARN in this account and region."""
        return partition_of(self.region)


class EnvironmentConfig(Account):
    """One deployment target: its account, network and data-retention policy."""

    name: str
    availability_zones: tuple[str, ...]
    vpc_cidr: str
    branch: str
    retain_data: bool = True
    allow_data_deletion: bool = False
    require_approval: bool = False
    nat_gateways: Annotated[int, Field(ge=0, le=3)] = 0
    lifecycle: Lifecycle = Lifecycle()
    redshift: RedshiftSettings = RedshiftSettings()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not ENVIRONMENT_NAME_PATTERN.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a usable environment name; use 2-10 lower-case letters or digits "
                "starting with a letter, e.g. dev"
            )
        return value

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        network = _network_or_reason(value)
        if isinstance(network, str):
            raise ValueError(f"{value!r} is not a network ({network}); use e.g. 10.20.0.0/22")
        if network.version != 4:
            raise ValueError(f"{value!r} is not IPv4; a VPC's primary CIDR is IPv4, e.g. 10.20.0.0/22")
        if not MIN_VPC_PREFIX <= network.prefixlen <= MAX_VPC_PREFIX:
            raise ValueError(
                f"{value!r} has a /{network.prefixlen} mask; a VPC needs /{MIN_VPC_PREFIX} to "
                f"/{MAX_VPC_PREFIX} (a /22 or larger leaves room for Glue workers), e.g. 10.20.0.0/22"
            )
        if not network.is_private:
            raise ValueError(f"{value!r} is not a private range; use RFC 1918 space, e.g. 10.20.0.0/22")
        return value

    @field_validator("branch")
    @classmethod
    def _branch(cls, value: str) -> str:
        if not value or BRANCH_FORBIDDEN.search(value):
            raise ValueError(
                f"{value!r} is not a usable git branch name (no spaces, `..`, `~^:?*[{{}}!\\`, leading `-`, "
                "`/` or `.`); use e.g. main"
            )
        return value

    @field_validator("availability_zones")
    @classmethod
    def _zones(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        region = info.data.get("region")
        if region is not None:
            zone = re.compile(rf"^{re.escape(region)}[a-z]$")
            bad = [az for az in value if not zone.fullmatch(az)]
            if bad:
                raise ValueError(f"{bad} are not zones of {region}; use names such as {region}a, {region}b")
        if not 2 <= len(value) <= 3:
            example = region or "eu-west-1"
            raise ValueError(f"lists {len(value)} zones; list 2 or 3, e.g. [{example}a, {example}b]")
        if len(set(value)) != len(value):
            raise ValueError(f"{list(value)} repeats a zone; list each zone once")
        return value

    @field_validator("nat_gateways")
    @classmethod
    def _one_nat_per_zone_at_most(cls, value: int, info: ValidationInfo) -> int:
        zones = info.data.get("availability_zones")
        if zones is not None and value > len(zones):
            raise ValueError(
                f"{value} NAT gateways for {len(zones)} availability zones: a VPC places at most one per "
                f"zone; use 1 (shared) to {len(zones)} (one per zone), or list more zones"
            )
        return value

    @field_validator("allow_data_deletion")
    @classmethod
    def _deletion_needs_both_switches(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("retain_data", True):
            raise ValueError(
                "true contradicts retain_data: true; set retain_data: false as well to let a stack "
                "deletion remove data, or set allow_data_deletion: false"
            )
        return value

    @property
    def destroy_data_on_delete(self) -> bool:
        """Both switches agree: the environment does not retain data and deletion is opted in."""
        return not self.retain_data and self.allow_data_deletion

    @property
    def subnet_count(self) -> int:
        return len(self.availability_zones)


class Repository(_Frozen):
    owner: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$")
    name: str = Field(pattern=r"^[A-Za-z0-9._-]+$")
    connection_arn: str

    @field_validator("connection_arn")
    @classmethod
    def _arn(cls, value: str) -> str:
        if not CONNECTION_ARN_PATTERN.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a CodeConnections ARN; create a connection in the deployment account "
                "and paste its ARN, e.g. arn:aws:codeconnections:eu-west-1:123456789012:connection/<uuid>"
            )
        return value

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


class Notifications(_Frozen):
    emails: tuple[str, ...] = ()

    @field_validator("emails")
    @classmethod
    def _emails(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [email for email in value if not EMAIL_PATTERN.fullmatch(email)]
        if bad:
            raise ValueError(f"{bad} are not e-mail addresses; use e.g. data-team@example.com")
        return value


class Settings(_Frozen):
    """The whole configuration: project names, the deployment account and every environment."""

    prefix: str
    project: str = "datalake-kit"
    cost_centre: str = "data-platform"
    deployment: Account
    repository: Repository
    notifications: Notifications = Notifications()
    environments: dict[str, EnvironmentConfig]
    local: EnvironmentConfig | None = None

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not PREFIX_PATTERN.fullmatch(value) or "--" in value:
            raise ValueError(
                f"{value!r} cannot start an S3 bucket name; use lower-case letters, digits and single "
                "hyphens, starting with a letter, e.g. dlk"
            )
        return value

    def placeholders(self) -> list[tuple[tuple[str | int, ...], str]]:
        """The sample file's stand-ins that synth and local runs accept and every bootstrap/deploy
        command refuses, as (field path, value): accounts of one repeated digit or 123456789012, the
        all-zero connection ARN, the example-org repository owner, example.com e-mails. `local` is
        never deployed, so its moto account is not listed."""
        found: list[tuple[tuple[str | int, ...], str]] = []
        if self.deployment.is_placeholder:
            found.append((("deployment", "account"), self.deployment.account))
        if self.repository.owner in PLACEHOLDER_OWNERS:
            found.append((("repository", "owner"), self.repository.owner))
        if is_placeholder_connection(self.repository.connection_arn):
            found.append((("repository", "connection_arn"), self.repository.connection_arn))
        for index, email in enumerate(self.notifications.emails):
            if is_placeholder_email(email):
                found.append((("notifications", "emails", index), email))
        for env in self.environments.values():
            if env.is_placeholder:
                found.append((("environments", env.name, "account"), env.account))
        return found

    @property
    def partition(self) -> str:
        """The deployment account's partition; check-config refuses environments in any other."""
        return self.deployment.partition

    def environment(self, name: str) -> EnvironmentConfig:
        """The named environment (a pipeline target, or `local`), or a KeyError listing the choices."""
        targets = self.stage_targets()
        try:
            return targets[name]
        except KeyError:
            raise KeyError(
                f"no environment {name!r} in environments.yaml; configured: {', '.join(targets)}"
            ) from None

    def stage_targets(self) -> dict[str, EnvironmentConfig]:
        """Every environment a stage can be synthesized for: the pipeline targets plus `local`."""
        return {**self.environments, **({"local": self.local} if self.local else {})}
