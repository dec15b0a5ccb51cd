"""A synthesized stack as the documentation sees it: resources, the unit each belongs to, and references."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk

# Construct ids of helpers CDK adds at stack level (custom-resource providers), not units of ours.
HELPER_UNIT = "(CDK helpers)"


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    unit: str  # the construct directly under the stack, e.g. `Ingestion`
    name: str  # the construct path inside the unit, e.g. `Queue`
    properties: Mapping[str, Any]
    depends_on: tuple[str, ...] = ()


@dataclass(frozen=True)
class StackModel:
    resources: dict[str, Resource]
    parameters: dict[str, Mapping[str, Any]] = field(default_factory=dict)


def references(value: Any) -> Iterator[str]:
    """Logical ids `value` points at through Ref, Fn::GetAtt and Fn::Sub (`${Id}` / `${Id.Attr}`)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt" and isinstance(inner, list) and inner:
                yield str(inner[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) else inner
                if isinstance(text, str):
                    yield from _sub_references(text)
                if isinstance(inner, list) and len(inner) > 1:
                    yield from references(inner[1])
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


def _sub_references(text: str) -> Iterator[str]:
    start = text.find("${")
    while start != -1:
        end = text.find("}", start)
        if end == -1:
            return
        name = text[start + 2 : end]
        if not name.startswith("!"):
            yield name.split(".", 1)[0]
        start = text.find("${", end)


def _construct_paths(stack: cdk.Stack) -> dict[str, tuple[str, ...]]:
    """logical id -> construct path below the stack, from the construct tree."""
    paths: dict[str, tuple[str, ...]] = {}
    stack_depth = len(stack.node.scopes)
    for construct in stack.node.find_all():
        if isinstance(construct, cdk.CfnElement) and cdk.Stack.of(construct) is stack:
            logical_id = str(stack.resolve(construct.logical_id))
            paths[logical_id] = tuple(scope.node.id for scope in construct.node.scopes[stack_depth:])
    return paths


def model_of(stack: cdk.Stack, template: Mapping[str, Any]) -> StackModel:
    """The stack's template with each resource placed in its unit (from `stack`'s construct tree)."""
    paths = _construct_paths(stack)
    resources: dict[str, Resource] = {}
    for logical_id, body in template.get("Resources", {}).items():
        path = paths.get(logical_id, (HELPER_UNIT,))
        is_helper = path[0].startswith("Custom") or path[0] == "CDKMetadata"
        inner = [part for part in path[1:] if part not in ("Resource", "Default")]
        depends = body.get("DependsOn", [])
        resources[logical_id] = Resource(
            logical_id=logical_id,
            type=body["Type"],
            unit=HELPER_UNIT if is_helper else path[0],
            name="/".join(inner) or path[0],
            properties=body.get("Properties", {}),
            depends_on=tuple([depends] if isinstance(depends, str) else depends),
        )
    return StackModel(resources=resources, parameters=dict(template.get("Parameters", {})))
