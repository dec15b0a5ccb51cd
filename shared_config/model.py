"""The typed configuration model: one frozen, validated object per environment.

Field validators say what is wrong *and* how to fix it; checks that span environments
(overlapping CIDRs, shared branches, bucket-name length) live in `shared_config.loader`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared_config.regions import is_known_region

ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
ENVIRONMENT_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]{1,9}$")
CONNECTION_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection/[A-Za-z0-9-]+$"
)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# The smallest VPC that leaves room per AZ for Glue workers, Lambda ENIs and six interface
# endpoints; the largest AWS allows.
MIN_VPC_PREFIX = 16
MAX_VPC_PREFIX = 24


def is_placeholder_account(account: str) -> bool:
    """True for the documentation accounts (one digit repeated, or 123456789012).

    They are fine for synth and local runs; every bootstrap/deploy command refuses them.
    """
    return len(set(account)) == 1 or account == "123456789012"


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


class Account(_Frozen):
    account: str
    region: str

    _account = field_validator("account")(_check_account)
    _region = field_validator("region")(_check_region)

    @property
    def is_placeholder(self) -> bool:
        return is_placeholder_account(self.account)


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
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError as error:
            raise ValueError(f"{value!r} is not a network ({error}); use e.g. 10.20.0.0/22") from None
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
        if not value or value.startswith(("-", "/")) or " " in value or ".." in value:
            raise ValueError(f"{value!r} is not a git branch name; use e.g. main")
        return value

    @model_validator(mode="after")
    def _zones_belong_to_region(self) -> EnvironmentConfig:
        zone = re.compile(rf"^{re.escape(self.region)}[a-z]$")
        bad = [az for az in self.availability_zones if not zone.fullmatch(az)]
        if bad:
            raise ValueError(
                f"availability_zones {bad} are not zones of {self.region}; "
                f"use names such as {self.region}a, {self.region}b"
            )
        if not 2 <= len(self.availability_zones) <= 3:
            raise ValueError(
                f"availability_zones lists {len(self.availability_zones)} zones; list 2 or 3, "
                f"e.g. [{self.region}a, {self.region}b]"
            )
        if len(set(self.availability_zones)) != len(self.availability_zones):
            raise ValueError(
                f"availability_zones {list(self.availability_zones)} repeats a zone; list each once"
            )
        if self.retain_data and self.allow_data_deletion:
            raise ValueError(
                "allow_data_deletion: true contradicts retain_data: true; "
                "set retain_data: false as well to let a stack deletion remove data"
            )
        return self

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
