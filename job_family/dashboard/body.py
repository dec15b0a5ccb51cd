"""A synthesized dashboard's body as data: the JSON CloudWatch receives, with each CloudFormation token
written as `${LogicalId}` (Ref), `${LogicalId.Attribute}` (GetAtt) or `${AWS::Region}` (pseudo
parameter). Pure (no aws_cdk): the contract tests and the docs' dashboard picture read it.
"""

from __future__ import annotations

import json
from typing import Any

DASHBOARD_TYPE = "AWS::CloudWatch::Dashboard"


def _token(value: Any) -> str:
    if isinstance(value, dict) and "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return "${" + f"{logical_id}.{attribute}" + "}"
    raise ValueError(f"a dashboard body token that is neither Ref nor GetAtt: {value!r}")


def body_text(body: Any) -> str:
    """The body's JSON text with its tokens written out (see the module docstring)."""
    if isinstance(body, str):
        return body
    if isinstance(body, dict) and "Fn::Join" in body:
        separator, parts = body["Fn::Join"]
        return str(separator).join(part if isinstance(part, str) else _token(part) for part in parts)
    raise ValueError(f"a dashboard body that is neither text nor Fn::Join: {str(body)[:200]}")


def dashboards(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every dashboard of a synthesized template by logical id: its name and parsed body."""
    found: dict[str, dict[str, Any]] = {}
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") == DASHBOARD_TYPE:
            props = resource["Properties"]
            found[logical_id] = {
                "name": props.get("DashboardName"),
                "body": json.loads(body_text(props["DashboardBody"])),
            }
    return found


def widget_titles(body: dict[str, Any]) -> list[str]:
    """Titles of the body's widgets in reading order (text widgets: their first line)."""
    titles = []
    for widget in sorted(body.get("widgets", []), key=lambda w: (w.get("y", 0), w.get("x", 0))):
        properties = widget.get("properties", {})
        title = properties.get("title") or str(properties.get("markdown", "")).split("\n", 1)[0]
        titles.append(str(title))
    return titles
