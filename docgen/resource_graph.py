"""A stack model as a Mermaid flowchart: one subgraph per unit, edges for what each resource uses.

Drawn: the resources that carry the architecture. Not drawn as nodes (but followed for edges): IAM
roles and policies, resource policies, log groups, Lambda permissions and layers, security-group rules,
route-table associations and CDK's own custom resources. Edges:
- `A --> B`: A's properties refer to B (Ref, Fn::GetAtt, Fn::Sub, DependsOn), or an event source
  mapping feeds B from A;
- `A -.-> B`: A's role has an IAM statement naming B (a grant);
- edges into KMS keys are left out (every encrypted resource would point at its key).
More than `COLLAPSE_ABOVE` resources of one type in one unit become one node (`6 x Glue::Table`), and the
SSM parameters a stack reads (CloudFormation parameters of type `AWS::SSM::Parameter::Value<...>`,
except CDK's BootstrapVersion) become one node.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from docgen.stack_model import HELPER_UNIT, Resource, StackModel, references

HIDDEN_TYPES = frozenset(
    {
        "AWS::IAM::Role",
        "AWS::IAM::Policy",
        "AWS::S3::BucketPolicy",
        "AWS::SQS::QueuePolicy",
        "AWS::SNS::TopicPolicy",
        "AWS::Lambda::Permission",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Logs::LogGroup",
        "AWS::EC2::SecurityGroupIngress",
        "AWS::EC2::SubnetRouteTableAssociation",
        "AWS::CDK::Metadata",
    }
)
NO_EDGES_INTO = frozenset({"AWS::KMS::Key"})
COLLAPSE_ABOVE = 4
CONTRACT_NODE = "SsmContractInputs"
SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value"


def short_type(resource_type: str) -> str:
    return resource_type.removeprefix("AWS::")


def is_bootstrap_version(parameter: Mapping[str, Any]) -> bool:
    """CDK's `BootstrapVersion` parameter (an SSM parameter of the bootstrap stack, not the contract)."""
    return str(parameter.get("Default", "")).startswith("/cdk-bootstrap/")


def is_drawn(resource: Resource) -> bool:
    return (
        resource.unit != HELPER_UNIT
        and resource.type not in HIDDEN_TYPES
        and not resource.type.startswith("Custom::")
    )


@dataclass(frozen=True)
class Node:
    node_id: str
    unit: str
    label: str


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    references: tuple[tuple[str, str], ...]
    grants: tuple[tuple[str, str], ...]


def build_graph(model: StackModel) -> Graph:
    drawn = [r for r in model.resources.values() if is_drawn(r)]
    counts = Counter((r.unit, r.type) for r in drawn)
    node_of: dict[str, str] = {}
    nodes: dict[str, Node] = {}
    for resource in drawn:
        if counts[(resource.unit, resource.type)] > COLLAPSE_ABOVE:
            node_id = f"{resource.unit}{short_type(resource.type).replace('::', '')}s"
            label = f"{counts[(resource.unit, resource.type)]} x {short_type(resource.type)}"
        else:
            node_id = resource.logical_id
            label = f"{resource.name}<br/>{short_type(resource.type)}"
        node_of[resource.logical_id] = node_id
        nodes.setdefault(node_id, Node(node_id, resource.unit, label))
    contract_inputs = [
        name
        for name, body in model.parameters.items()
        if str(body.get("Type", "")).startswith(SSM_PARAMETER_TYPE) and not is_bootstrap_version(body)
    ]
    for name in contract_inputs:
        node_of[name] = CONTRACT_NODE
    if contract_inputs:
        nodes[CONTRACT_NODE] = Node(
            CONTRACT_NODE, "SSM contract", f"{len(contract_inputs)} SSM parameters<br/>/prefix/env/infra/v1/*"
        )

    def target(logical_id: str) -> str | None:
        resource = model.resources.get(logical_id)
        if resource is not None and resource.type in NO_EDGES_INTO:
            return None
        return node_of.get(logical_id)

    ref_edges: set[tuple[str, str]] = set()
    for resource in drawn:
        source = node_of[resource.logical_id]
        for ref in [*references(resource.properties), *resource.depends_on]:
            dest = target(ref)
            if dest is not None and dest != source:
                ref_edges.add((source, dest))
    for resource in model.resources.values():
        if resource.type == "AWS::Lambda::EventSourceMapping":
            sources = [target(r) for r in references(resource.properties.get("EventSourceArn"))]
            functions = [target(r) for r in references(resource.properties.get("FunctionName"))]
            ref_edges.update((s, f) for s in sources for f in functions if s and f and s != f)

    grant_edges = _grant_edges(model, drawn, node_of, target)
    return Graph(
        nodes=tuple(nodes.values()),
        references=tuple(sorted(ref_edges)),
        grants=tuple(sorted(grant_edges - ref_edges)),
    )


def _grant_edges(
    model: StackModel,
    drawn: list[Resource],
    node_of: dict[str, str],
    target: Callable[[str], str | None],
) -> set[tuple[str, str]]:
    """Edges from the users of a role to what the role's statements name."""
    roles = {r.logical_id for r in model.resources.values() if r.type == "AWS::IAM::Role"}
    users: dict[str, set[str]] = {role: set() for role in roles}
    for resource in drawn:
        for ref in references(resource.properties):
            if ref in roles:
                users[ref].add(node_of[resource.logical_id])
    statements: list[tuple[set[str], object]] = []
    for resource in model.resources.values():
        if resource.type == "AWS::IAM::Policy":
            attached = set(references(resource.properties.get("Roles", []))) & roles
            statements.append((attached, resource.properties.get("PolicyDocument")))
        elif resource.type == "AWS::IAM::Role":
            statements.append(({resource.logical_id}, resource.properties.get("Policies", [])))
    edges: set[tuple[str, str]] = set()
    for attached, document in statements:
        dests = {target(ref) for ref in references(document)} - {None}
        for role in attached:
            for user in users.get(role, set()):
                edges.update((user, str(dest)) for dest in dests if dest != user)
    return edges


def mermaid(graph: Graph, *, direction: str = "LR") -> str:
    lines = ["```mermaid", f"flowchart {direction}"]
    units: dict[str, list[Node]] = {}
    for node in graph.nodes:
        units.setdefault(node.unit, []).append(node)
    for index, (unit, members) in enumerate(units.items()):
        lines.append(f'  subgraph unit{index}["{unit}"]')
        lines.extend(f'    {node.node_id}["{node.label}"]' for node in members)
        lines.append("  end")
    lines.extend(f"  {a} --> {b}" for a, b in graph.references)
    lines.extend(f"  {a} -.-> {b}" for a, b in graph.grants)
    lines.append("```")
    return "\n".join(lines)
