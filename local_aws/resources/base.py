"""What a resource handler receives and returns."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from local_aws.intrinsics import partition_of
from local_aws.server import LocalAws


class ResourceError(ValueError):
    """A resource local_aws cannot create, naming the resource and the fix."""


@dataclass(frozen=True)
class Created:
    """A created resource: what `Ref` returns and what `Fn::GetAtt` may ask for."""

    physical_id: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LocalFunction:
    """A Lambda function as deployed: enough for an in-process executor to call its real handler."""

    logical_id: str
    stack_name: str
    name: str
    arn: str
    handler: str
    runtime: str
    environment: Mapping[str, str]
    timeout_s: int
    code_bucket: str | None
    code_key: str | None
    inline_code: str | None


@dataclass(frozen=True)
class EventSourceMapping:
    """A Lambda event source mapping (recorded, not created in moto: moto would consume the queue)."""

    logical_id: str
    function_name: str
    event_source_arn: str
    batch_size: int
    report_batch_item_failures: bool
    enabled: bool


@dataclass
class Records:
    """What an executor needs later, collected while deploying."""

    functions: dict[str, LocalFunction] = field(default_factory=dict)  # by function name
    event_source_mappings: list[EventSourceMapping] = field(default_factory=list)


@dataclass
class HandlerContext:
    aws: LocalAws
    stack_name: str
    logical_id: str
    resource_type: str
    records: Records

    @property
    def account(self) -> str:
        return self.aws.account_id

    @property
    def region(self) -> str:
        return self.aws.region

    @property
    def partition(self) -> str:
        return partition_of(self.region)

    def client(self, service: str) -> Any:
        return self.aws.client(service)

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account if account else ''}:{resource}"
        )

    def generated_name(self, *, max_length: int, lower: bool = False, separator: str = "-") -> str:
        """A CloudFormation-like name, `<stack>-<logical id>-<hash>`, the same on every deploy."""
        digest = hashlib.sha256(f"{self.stack_name}/{self.logical_id}".encode()).hexdigest()[:12]
        digest = digest if lower else digest.upper()
        stem = f"{self.stack_name}{separator}{self.logical_id}"
        if lower:
            stem = re.sub(r"[^a-z0-9-]", "-", stem.lower())
        stem = stem[: max_length - len(digest) - 1].rstrip("-")
        return f"{stem}{separator}{digest}"

    def fail(self, message: str) -> ResourceError:
        return ResourceError(f"{self.stack_name}/{self.logical_id} ({self.resource_type}): {message}")


Handler = Callable[[HandlerContext, dict[str, Any]], Created]


def to_attribute_strings(values: Mapping[str, Any]) -> dict[str, str]:
    """CloudFormation allows booleans and numbers where the API wants strings."""
    converted: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, bool):
            converted[key] = "true" if value else "false"
        elif isinstance(value, dict | list):
            import json

            converted[key] = json.dumps(value)
        else:
            converted[key] = str(value)
    return converted


def lower_first(value: Any) -> Any:
    """CloudFormation's PascalCase keys to the camelCase some APIs (Step Functions) use."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: lower_first(item) for key, item in value.items()}
    if isinstance(value, list):
        return [lower_first(item) for item in value]
    return value
