"""A synthesized Step Functions definition as a Mermaid flowchart.

`DefinitionString` in a template is usually `Fn::Join` of text and tokens (Ref, GetAtt); the tokens
become `${LogicalId}` so the text parses as JSON. Edges: `Next` and `Default` (solid), `Choices`
(labelled with the variable), `Catch` (dotted, labelled with the errors), `Retry` (a self-loop labelled
with the errors and attempts), `End` to the end node. Parallel and Map branches are drawn as subgraphs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SHAPES = {
    "Task": ('["', '"]'),
    "Choice": ('{"', '"}'),
    "Succeed": ('(["', '"])'),
    "Fail": ('(["', '"])'),
    "Pass": ('["', '"]'),
    "Wait": ('[/"', '"/]'),
    "Parallel": ('[["', '"]]'),
    "Map": ('[["', '"]]'),
}


def definition_of(template: Mapping[str, Any], logical_id: str | None = None) -> dict[str, Any]:
    """The definition of the template's state machine (`logical_id`, or the only one)."""
    machines = {
        key: body
        for key, body in template["Resources"].items()
        if body["Type"] == "AWS::StepFunctions::StateMachine"
    }
    if logical_id is None:
        if len(machines) != 1:
            raise ValueError(f"expected one state machine, found {sorted(machines)}; pass logical_id=")
        (body,) = machines.values()
    else:
        body = machines[logical_id]
    properties = body["Properties"]
    if "Definition" in properties:
        return dict(properties["Definition"])
    return dict(json.loads(_text_of(properties["DefinitionString"])))


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_text_of(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "${" + ".".join(str(part) for part in value["Fn::GetAtt"]) + "}"
    raise ValueError(f"cannot read a state machine definition holding {json.dumps(value)[:80]}")


def _errors(errors: list[str]) -> str:
    shown = [error.split(".", 1)[-1] if error != "States.ALL" else "any error" for error in errors]
    return ", ".join(shown[:3]) + (f" +{len(shown) - 3}" if len(shown) > 3 else "")


def _node_id(prefix: str, name: str) -> str:
    return prefix + "".join(ch if ch.isalnum() else "_" for ch in name)


def _draw(definition: Mapping[str, Any], prefix: str, lines: list[str], indent: str) -> None:
    start, end = f"{prefix}Start_", f"{prefix}End_"
    lines.append(f"{indent}{start}(((start))) --> {_node_id(prefix, definition['StartAt'])}")
    ends = False
    for name, state in definition["States"].items():
        node = _node_id(prefix, name)
        kind = state["Type"]
        left, right = SHAPES.get(kind, ('["', '"]'))
        resource = str(state.get("Resource", "")).rsplit(":::", 1)[-1] if kind == "Task" else kind
        label = f"{name}<br/><small>{resource}</small>".replace('"', "#quot;")
        lines.append(f"{indent}{node}{left}{label}{right}")
        for branch_index, branch in enumerate(state.get("Branches", [])) or []:
            lines.append(f'{indent}subgraph {node}_b{branch_index}["{name} branch {branch_index + 1}"]')
            _draw(branch, f"{node}_b{branch_index}_", lines, indent + "  ")
            lines.append(f"{indent}end")
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            lines.append(f'{indent}subgraph {node}_items["{name} per item"]')
            _draw(processor, f"{node}_items_", lines, indent + "  ")
            lines.append(f"{indent}end")
        for retry in state.get("Retry", []):
            attempts = retry.get("MaxAttempts", 3)
            lines.append(f'{indent}{node} -- "retry x{attempts}: {_errors(retry["ErrorEquals"])}" --> {node}')
        if "Next" in state:
            lines.append(f"{indent}{node} --> {_node_id(prefix, state['Next'])}")
        for choice in state.get("Choices", []):
            condition = choice.get("Variable", "condition")
            lines.append(f'{indent}{node} -- "{condition}" --> {_node_id(prefix, choice["Next"])}')
        if "Default" in state:
            lines.append(f'{indent}{node} -- "default" --> {_node_id(prefix, state["Default"])}')
        for catch in state.get("Catch", []):
            target = _node_id(prefix, catch["Next"])
            lines.append(f'{indent}{node} -. "catch {_errors(catch["ErrorEquals"])}" .-> {target}')
        if state.get("End") or kind in ("Succeed", "Fail"):
            ends = True
            lines.append(f"{indent}{node} --> {end}")
    if ends:
        lines.append(f"{indent}{end}(((end)))")


def mermaid(definition: Mapping[str, Any]) -> str:
    lines = ["```mermaid", "flowchart TD"]
    _draw(definition, "", lines, "  ")
    lines.append("```")
    return "\n".join(lines)
