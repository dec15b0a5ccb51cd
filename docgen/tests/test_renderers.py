"""The renderers on small hand-written inputs: what is drawn, what is left out, and the markers."""

from __future__ import annotations

from typing import Any

import pytest

from docgen import blocks, resource_graph, state_machine
from docgen.stack_model import Resource, StackModel, references


def _resource(logical_id: str, kind: str, unit: str, **properties: Any) -> Resource:
    return Resource(logical_id=logical_id, type=kind, unit=unit, name=logical_id, properties=properties)


def test_references_follow_ref_getatt_and_sub() -> None:
    value = {
        "A": {"Ref": "One"},
        "B": [{"Fn::GetAtt": ["Two", "Arn"]}],
        "C": {"Fn::Sub": "x-${Three.Arn}-${!Skip}"},
    }
    assert sorted(references(value)) == ["One", "Three", "Two"]


def test_resource_graph_draws_grants_through_policies_and_hides_supporting_resources() -> None:
    model = StackModel(
        resources={
            r.logical_id: r
            for r in [
                _resource("Key", "AWS::KMS::Key", "Encryption"),
                _resource("Table", "AWS::DynamoDB::Table", "Audit", Key={"Ref": "Key"}),
                _resource("Role", "AWS::IAM::Role", "Ingestion"),
                _resource("Fn", "AWS::Lambda::Function", "Ingestion", Role={"Fn::GetAtt": ["Role", "Arn"]}),
                _resource(
                    "Policy",
                    "AWS::IAM::Policy",
                    "Ingestion",
                    Roles=[{"Ref": "Role"}],
                    PolicyDocument={"Statement": [{"Resource": {"Fn::GetAtt": ["Table", "Arn"]}}]},
                ),
            ]
            + [_resource(f"Query{i}", "AWS::Athena::NamedQuery", "Catalog") for i in range(5)]
        },
        parameters={
            "Raw": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/dlk/dev/infra/v1/raw"},
            "BootstrapVersion": {
                "Type": "AWS::SSM::Parameter::Value<String>",
                "Default": "/cdk-bootstrap/hnb659fds/version",
            },
        },
    )
    graph = resource_graph.build_graph(model)
    node_ids = {node.node_id for node in graph.nodes}
    assert node_ids == {"Key", "Table", "Fn", "CatalogAthenaNamedQuerys", resource_graph.CONTRACT_NODE}
    assert graph.grants == (("Fn", "Table"),)
    assert graph.references == ()  # Table -> Key is an edge into a KMS key: left out
    contract = next(n for n in graph.nodes if n.node_id == resource_graph.CONTRACT_NODE)
    assert contract.label.startswith("1 SSM parameters")
    assert "Fn -.-> Table" in resource_graph.mermaid(graph)


def test_state_machine_draws_next_catch_retry_choice_and_end_from_a_joined_definition() -> None:
    text = (
        '{"StartAt":"Run","States":{'
        '"Run":{"Type":"Task","Resource":"arn:aws:states:::glue:startJobRun.sync","Parameters":{"JobName":"'
    )
    template = {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "DefinitionString": {
                        "Fn::Join": [
                            "",
                            [
                                text,
                                {"Ref": "Job"},
                                '"},"Retry":[{"ErrorEquals":["Glue.ThrottlingException"],"MaxAttempts":6}],'
                                '"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Oops"}],"Next":"Check"},'
                                '"Check":{"Type":"Choice","Choices":[{"Variable":"$.ok","BooleanEquals":true,'
                                '"Next":"Done"}],"Default":"Oops"},'
                                '"Done":{"Type":"Succeed"},"Oops":{"Type":"Fail"}}}',
                            ],
                        ]
                    }
                },
            }
        }
    }
    definition = state_machine.definition_of(template)
    assert definition["States"]["Run"]["Parameters"]["JobName"] == "${Job}"
    drawn = state_machine.mermaid(definition)
    assert 'Run -- "retry x6: ThrottlingException" --> Run' in drawn
    assert 'Run -. "catch any error" .-> Oops' in drawn
    assert 'Check -- "$.ok" --> Done' in drawn
    assert 'Check -- "default" --> Oops' in drawn
    assert "Done --> End_" in drawn and "Oops --> End_" in drawn
    assert "\n  end" not in drawn  # `end` is a Mermaid keyword, never a node id


def test_blocks_are_rewritten_between_markers_and_reported_when_stale() -> None:
    text = f"intro\n{blocks.begin_marker('a')}\nold\n{blocks.end_marker('a')}\noutro\n"
    assert blocks.stale(text, {"a": "new"}) == ["a"]
    rewritten = blocks.rewrite(text, {"a": "new"})
    assert rewritten == f"intro\n{blocks.begin_marker('a')}\nnew\n{blocks.end_marker('a')}\noutro\n"
    assert blocks.stale(rewritten, {"a": "new"}) == []


def test_rewrite_names_a_missing_block_and_the_markers_to_add() -> None:
    with pytest.raises(ValueError, match=r"no block 'b'.*generated:b"):
        blocks.rewrite("nothing here", {"b": "x"})
