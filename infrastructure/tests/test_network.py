"""The VPC, its endpoints, security groups and flow logs."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import assertions
from infrastructure.network import INTERFACE_ENDPOINTS

from shared_config import Settings

from .conftest import logical_id

pytestmark = pytest.mark.synth


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_vpc_uses_the_configured_cidr_and_one_private_subnet_per_zone(
    synthesized: Any, settings: Settings, env: str
) -> None:
    template = synthesized.template(env)
    config = settings.environments[env]
    template.has_resource_properties(
        "AWS::EC2::VPC", {"CidrBlock": config.vpc_cidr, "EnableDnsHostnames": True, "EnableDnsSupport": True}
    )
    subnets = template.find_resources("AWS::EC2::Subnet")
    assert sorted(s["Properties"]["AvailabilityZone"] for s in subnets.values()) == sorted(
        config.availability_zones
    )
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in subnets.values())
    template.resource_count_is("AWS::EC2::RouteTable", config.subnet_count)


def test_without_nat_the_subnets_are_isolated(synthesized: Any) -> None:
    template = synthesized.template("prod")
    for resource_type in (
        "AWS::EC2::NatGateway",
        "AWS::EC2::InternetGateway",
        "AWS::EC2::EIP",
        "AWS::EC2::Route",
    ):
        template.resource_count_is(resource_type, 0)


def test_configured_nat_gateways_add_public_subnets_and_egress_routes(variant: Any) -> None:
    template = variant.template
    template.resource_count_is("AWS::EC2::NatGateway", 1)
    template.resource_count_is("AWS::EC2::InternetGateway", 1)
    template.has_resource_properties(
        "AWS::EC2::Route",
        {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": assertions.Match.any_value()},
    )
    public = [
        s
        for s in template.find_resources("AWS::EC2::Subnet").values()
        if s["Properties"]["MapPublicIpOnLaunch"]
    ]
    assert len(public) == 2


def test_workload_security_group_references_itself(synthesized: Any) -> None:
    template = synthesized.template("dev")
    group_id = logical_id(template, "AWS::EC2::SecurityGroup", "NetworkWorkload")
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "GroupId": {"Fn::GetAtt": [group_id, "GroupId"]},
            "SourceSecurityGroupId": {"Fn::GetAtt": [group_id, "GroupId"]},
            "IpProtocol": "tcp",
            "FromPort": 0,
            "ToPort": 65535,
        },
    )


def test_s3_and_dynamodb_gateway_endpoints_serve_every_private_route_table(synthesized: Any) -> None:
    template = synthesized.template("prod")
    route_tables = sorted({"Ref": i}["Ref"] for i in template.find_resources("AWS::EC2::RouteTable"))
    gateways = {
        logical_id: endpoint
        for logical_id, endpoint in template.find_resources("AWS::EC2::VPCEndpoint").items()
        if "RouteTableIds" in endpoint["Properties"]
    }
    services = {str(e["Properties"]["ServiceName"]["Fn::Join"][1][-1]) for e in gateways.values()}
    assert services == {".s3", ".dynamodb"}
    for endpoint in gateways.values():
        assert sorted(ref["Ref"] for ref in endpoint["Properties"]["RouteTableIds"]) == route_tables


def _interface_endpoints(template: assertions.Template) -> dict[str, dict[str, Any]]:
    """Service (last part of the service name, e.g. `sns`) -> the interface endpoint's properties."""
    return {
        str(e["Properties"]["ServiceName"]).rsplit(".", 1)[-1]: e["Properties"]
        for e in template.find_resources(
            "AWS::EC2::VPCEndpoint", {"Properties": {"VpcEndpointType": "Interface"}}
        ).values()
    }


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_interface_endpoints_cover_every_service_the_workloads_call_without_nat(
    synthesized: Any, env: str
) -> None:
    template = synthesized.template(env)
    interfaces = _interface_endpoints(template)
    assert sorted(interfaces) == sorted(
        ["glue", "kms", "ssm", "secretsmanager", "states", "logs", "sts", "sns", "xray", "monitoring"]
    )
    assert len(INTERFACE_ENDPOINTS) == len(interfaces)
    template.resource_count_is(
        "AWS::EC2::VPCEndpoint", len(INTERFACE_ENDPOINTS) + 2
    )  # + S3, DynamoDB gateways
    assert all(p["PrivateDnsEnabled"] is True for p in interfaces.values())


@pytest.mark.parametrize("service", ["sns", "xray"])
def test_sns_and_xray_endpoints_sit_in_the_private_subnets_behind_the_endpoint_group(
    synthesized: Any, settings: Settings, service: str
) -> None:
    # The nyc_taxi trigger Lambda runs in these subnets: it publishes REJECTED notifications to SNS
    # and sends X-Ray traces, with no NAT to reach the public endpoints.
    template = synthesized.template("dev")
    endpoint = _interface_endpoints(template)[service]
    subnets = template.find_resources("AWS::EC2::Subnet")
    assert sorted(ref["Ref"] for ref in endpoint["SubnetIds"]) == sorted(subnets)
    assert len(subnets) == settings.environments["dev"].subnet_count
    group_id = logical_id(template, "AWS::EC2::SecurityGroup", "NetworkEndpoint")
    assert endpoint["SecurityGroupIds"] == [{"Fn::GetAtt": [group_id, "GroupId"]}]


def test_endpoint_security_group_admits_only_https_from_the_vpc(synthesized: Any, settings: Settings) -> None:
    template = synthesized.template("dev")
    group = template.find_resources("AWS::EC2::SecurityGroup")[
        logical_id(template, "AWS::EC2::SecurityGroup", "NetworkEndpoint")
    ]
    assert group["Properties"]["SecurityGroupIngress"] == [
        {
            "CidrIp": settings.environments["dev"].vpc_cidr,
            "Description": "HTTPS from the VPC to AWS service endpoints",
            "FromPort": 443,
            "IpProtocol": "tcp",
            "ToPort": 443,
        }
    ]


def test_flow_logs_capture_all_traffic_into_the_access_log_bucket(synthesized: Any) -> None:
    template = synthesized.template("dev")
    access_logs = logical_id(template, "AWS::S3::Bucket", "StorageAccessLogs")
    template.has_resource_properties(
        "AWS::EC2::FlowLog",
        {
            "ResourceType": "VPC",
            "TrafficType": "ALL",
            "LogDestinationType": "s3",
            "LogDestination": {"Fn::Join": ["", [{"Fn::GetAtt": [access_logs, "Arn"]}, "/vpc-flow-logs/"]]},
        },
    )
