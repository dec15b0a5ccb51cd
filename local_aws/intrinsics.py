"""Resolve CloudFormation intrinsic functions in a template fragment.

Supported: Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::If, Fn::Equals,
Fn::And, Fn::Or, Fn::Not, Condition, Fn::GetAZs, Fn::FindInMap, Fn::Base64, Fn::ImportValue and
the pseudo parameters (AWS::AccountId, Region, Partition, URLSuffix, StackName, StackId,
NoValue, NotificationARNs). Anything else raises `TemplateError` naming the function.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class TemplateError(ValueError):
    """A template fragment local_aws cannot resolve, with where it is."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def url_suffix_of(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


@dataclass
class Scope:
    """What names resolve to while one stack is being deployed."""

    stack_name: str
    account: str
    region: str
    parameters: dict[str, Any] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    exports: Mapping[str, Any] = field(default_factory=dict)
    ref: Callable[[str], Any] | None = None  # logical id -> Ref value
    get_att: Callable[[str, str], Any] | None = None  # (logical id, attribute) -> value
    availability_zones: Callable[[str], list[str]] | None = None

    @property
    def pseudo(self) -> dict[str, Any]:
        return {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": partition_of(self.region),
            "AWS::URLSuffix": url_suffix_of(self.region),
            "AWS::StackName": self.stack_name,
            "AWS::StackId": f"arn:{partition_of(self.region)}:cloudformation:{self.region}:{self.account}:"
            f"stack/{self.stack_name}/local",
            "AWS::NotificationARNs": [],
            "AWS::NoValue": NO_VALUE,
        }


def _ref(name: str, scope: Scope) -> Any:
    pseudo = scope.pseudo
    if name in pseudo:
        return pseudo[name]
    if name in scope.parameters:
        return scope.parameters[name]
    if scope.ref is None:
        raise TemplateError(f"Ref {name}: no such parameter")
    return scope.ref(name)


def _sub(args: Any, scope: Scope) -> str:
    if isinstance(args, str):
        text, variables = args, {}
    else:
        text, raw_variables = args
        variables = {key: resolve(value, scope) for key, value in raw_variables.items()}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            value = variables[name]
        elif "." in name and name not in scope.pseudo:
            logical_id, attribute = name.split(".", 1)
            value = _get_att([logical_id, attribute], scope)
        else:
            value = _ref(name, scope)
        return str(value)

    return _SUB_VARIABLE.sub(replace, text)


def _get_att(args: Any, scope: Scope) -> Any:
    if isinstance(args, str):
        logical_id, attribute = args.split(".", 1)
    else:
        logical_id, attribute = args[0], resolve(args[1], scope)
    if scope.get_att is None:
        raise TemplateError(f"Fn::GetAtt {logical_id}.{attribute}: no resources in scope")
    return scope.get_att(logical_id, attribute)


def condition_value(name: str, scope: Scope) -> bool:
    if name not in scope.conditions:
        raise TemplateError(f"condition {name} is not defined")
    return scope.conditions[name]


def evaluate_conditions(conditions: Mapping[str, Any], scope: Scope) -> dict[str, bool]:
    """Evaluate a template's Conditions section (conditions may use each other)."""
    results: dict[str, bool] = {}
    pending = dict(conditions)
    for _ in range(len(pending) + 1):
        for name in list(pending):
            scope.conditions = results
            try:
                results[name] = bool(resolve(pending[name], scope))
            except TemplateError as error:
                if "condition" in str(error) and "is not defined" in str(error):
                    continue
                raise
            del pending[name]
        if not pending:
            return results
    raise TemplateError(f"conditions cannot be evaluated (cycle or unknown condition): {sorted(pending)}")


def _function(name: str, args: Any, scope: Scope) -> Any:
    if name == "Ref":
        return _ref(args, scope)
    if name == "Fn::GetAtt":
        return _get_att(args, scope)
    if name == "Fn::Join":
        delimiter, values = args
        items = resolve(values, scope)
        return delimiter.join(str(item) for item in items if item is not NO_VALUE)
    if name == "Fn::Sub":
        return _sub(args, scope)
    if name == "Fn::Select":
        index, values = resolve(args[0], scope), resolve(args[1], scope)
        return values[int(index)]
    if name == "Fn::Split":
        delimiter, text = args
        return str(resolve(text, scope)).split(delimiter)
    if name == "Fn::If":
        condition, if_true, if_false = args
        return resolve(if_true if condition_value(condition, scope) else if_false, scope)
    if name == "Fn::Equals":
        left, right = resolve(args[0], scope), resolve(args[1], scope)
        return str(left) == str(right)
    if name == "Fn::And":
        return all(resolve(arg, scope) for arg in args)
    if name == "Fn::Or":
        return any(resolve(arg, scope) for arg in args)
    if name == "Fn::Not":
        return not resolve(args[0], scope)
    if name == "Condition":
        return condition_value(args, scope)
    if name == "Fn::GetAZs":
        region = resolve(args, scope) or scope.region
        if scope.availability_zones is None:
            raise TemplateError("Fn::GetAZs: no availability zone lookup in scope")
        return scope.availability_zones(region)
    if name == "Fn::FindInMap":
        map_name, top, second = (resolve(arg, scope) for arg in args[:3])
        try:
            return scope.mappings[map_name][top][second]
        except KeyError as error:
            raise TemplateError(f"Fn::FindInMap {map_name}/{top}/{second}: no such entry") from error
    if name == "Fn::Base64":
        return base64.b64encode(str(resolve(args, scope)).encode()).decode()
    if name == "Fn::ImportValue":
        export = resolve(args, scope)
        if export not in scope.exports:
            raise TemplateError(
                f"Fn::ImportValue {export}: no deployed stack exports it; deploy its producer first"
            )
        return scope.exports[export]
    if name == "Fn::ToJsonString":
        return json.dumps(resolve(args, scope), separators=(",", ":"))
    raise TemplateError(f"intrinsic function {name} is not supported by local_aws")


def resolve(value: Any, scope: Scope) -> Any:
    """`value` with every intrinsic function resolved; `AWS::NoValue` entries are dropped."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, args),) = value.items()
            if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                return _function(key, args, scope)
        resolved = {key: resolve(item, scope) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not NO_VALUE}
    if isinstance(value, list):
        items = [resolve(item, scope) for item in value]
        return [item for item in items if item is not NO_VALUE]
    return value


def references(value: Any) -> set[str]:
    """Logical ids (and parameter names) that `value` refers to through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, args),) = value.items()
            if key == "Ref" and isinstance(args, str):
                return {args}
            if key == "Fn::GetAtt":
                return {args.split(".", 1)[0] if isinstance(args, str) else args[0]}
            if key == "Fn::Sub":
                text = args if isinstance(args, str) else args[0]
                local = set() if isinstance(args, str) else set(args[1])
                for name in _SUB_VARIABLE.findall(text):
                    if not name.startswith("!") and name.split(".", 1)[0] not in local:
                        found.add(name.split(".", 1)[0])
                if not isinstance(args, str):
                    found |= references(args[1])
                return found
        for item in value.values():
            found |= references(item)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found
