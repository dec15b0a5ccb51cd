"""The SSM contract (`shared_config.contract`) as a Markdown table, with what each value is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from docgen.stack_model import StackModel
from shared_config.contract import ContractScope, contract_parameters

GENERIC = ContractScope("<prefix>", "<env>")


def _value_source(value: Any, model: StackModel) -> str:
    if isinstance(value, dict) and "Ref" in value:
        return f"Ref of `{_where(value['Ref'], model)}`"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"`{attribute}` of `{_where(logical_id, model)}`"
    if isinstance(value, str):
        return f"`{value}`"
    return "computed"


def _where(logical_id: str, model: StackModel) -> str:
    resource = model.resources.get(logical_id)
    if resource is None:
        return logical_id
    return f"{resource.unit}/{resource.name}" if resource.name != resource.unit else resource.unit


def _published(model: StackModel) -> dict[str, Any]:
    return {
        str(resource.properties.get("Name")): resource.properties.get("Value")
        for resource in model.resources.values()
        if resource.type == "AWS::SSM::Parameter"
    }


def _read(model: StackModel) -> set[str]:
    return {str(body.get("Default")) for body in model.parameters.values() if "Default" in body}


def markdown(
    scope: ContractScope,
    *,
    subnet_count: int,
    producer: StackModel,
    consumers: Mapping[str, StackModel] | None = None,
) -> str:
    """One row per parameter of `contract_parameters(scope, redshift=True)`, generic path shown, and a
    column per consumer marking what it reads (none by default: each family's page lists its own)."""
    consumers = consumers or {}
    published = _published(producer)
    read_by = {name: _read(model) for name, model in consumers.items()}
    header = "| parameter | value (infrastructure stack) |" + "".join(
        f" read by {name} |" for name in consumers
    )
    lines = [header, "|---|---|" + "---|" * len(consumers)]
    for name in contract_parameters(scope, subnet_count=subnet_count, redshift=True):
        generic = GENERIC.path + name.removeprefix(scope.path)
        source = (
            _value_source(published[name], producer)
            if name in published
            else "only with `redshift.enabled: true`"
        )
        marks = "".join(f" {'yes' if name in names else ''} |" for names in read_by.values())
        lines.append(f"| `{generic}` | {source} |{marks}")
    return "\n".join(lines)
