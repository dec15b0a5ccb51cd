"""Resource handlers the sample app does not use, and generated names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local_aws.resources import HANDLERS
from local_aws.resources.base import HandlerContext, Records
from local_aws.server import LocalAws, start_local_aws


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAws]:
    with start_local_aws() as embedded:
        yield embedded


def _context(
    aws: LocalAws, logical_id: str, resource_type: str, stack: str = "Local-Stack"
) -> HandlerContext:
    return HandlerContext(
        aws=aws, stack_name=stack, logical_id=logical_id, resource_type=resource_type, records=Records()
    )


def test_generated_names_are_deterministic_bounded_and_lower_case_where_required(aws: LocalAws) -> None:
    long_id = "A" * 200
    first = _context(aws, long_id, "AWS::S3::Bucket").generated_name(max_length=63, lower=True)
    again = _context(aws, long_id, "AWS::S3::Bucket").generated_name(max_length=63, lower=True)
    other = _context(aws, long_id, "AWS::S3::Bucket", stack="Other").generated_name(max_length=63, lower=True)
    assert first == again != other
    assert len(first) <= 63 and first == first.lower() and first.startswith("local-stack-aaa")


def test_glue_security_configuration_maps_cloudformations_plural_s3_encryptions(aws: LocalAws) -> None:
    kind = "AWS::Glue::SecurityConfiguration"
    created = HANDLERS[kind](
        _context(aws, "Security", kind),
        {
            "Name": "local-security",
            "EncryptionConfiguration": {
                "S3Encryptions": [
                    {"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": "arn:aws:kms:eu-west-1:1:key/k"}
                ]
            },
        },
    )
    found = aws.client("glue").get_security_configuration(Name=created.physical_id)["SecurityConfiguration"]
    assert found["EncryptionConfiguration"]["S3Encryption"][0]["S3EncryptionMode"] == "SSE-KMS"


def test_glue_connection_and_internet_gateway_route_are_created(aws: LocalAws) -> None:
    glue_kind = "AWS::Glue::Connection"
    connection = HANDLERS[glue_kind](
        _context(aws, "Network", glue_kind),
        {"ConnectionInput": {"ConnectionType": "NETWORK", "ConnectionProperties": {}}},
    )
    assert (
        aws.client("glue").get_connection(Name=connection.physical_id)["Connection"]["Name"]
        == connection.physical_id
    )

    vpc = HANDLERS["AWS::EC2::VPC"](_context(aws, "Vpc", "AWS::EC2::VPC"), {"CidrBlock": "10.9.0.0/16"})
    gateway = HANDLERS["AWS::EC2::InternetGateway"](_context(aws, "Igw", "AWS::EC2::InternetGateway"), {})
    HANDLERS["AWS::EC2::VPCGatewayAttachment"](
        _context(aws, "Attach", "AWS::EC2::VPCGatewayAttachment"),
        {"InternetGatewayId": gateway.physical_id, "VpcId": vpc.physical_id},
    )
    table = HANDLERS["AWS::EC2::RouteTable"](
        _context(aws, "Routes", "AWS::EC2::RouteTable"), {"VpcId": vpc.physical_id}
    )
    HANDLERS["AWS::EC2::Route"](
        _context(aws, "Default", "AWS::EC2::Route"),
        {
            "RouteTableId": table.physical_id,
            "DestinationCidrBlock": "0.0.0.0/0",
            "GatewayId": gateway.physical_id,
        },
    )
    routes = aws.client("ec2").describe_route_tables(RouteTableIds=[table.physical_id])["RouteTables"][0][
        "Routes"
    ]
    assert {"0.0.0.0/0": gateway.physical_id} == {
        r["DestinationCidrBlock"]: r["GatewayId"] for r in routes if r.get("GatewayId", "").startswith("igw-")
    }


def test_glue_maps_take_any_json_scalar_as_cloudformation_does(aws: LocalAws) -> None:
    HANDLERS["AWS::Glue::Database"](
        _context(aws, "Db", "AWS::Glue::Database"),
        {"DatabaseInput": {"Name": "typed", "Parameters": {"n": 1}}},
    )
    HANDLERS["AWS::Glue::Table"](
        _context(aws, "Trips", "AWS::Glue::Table"),
        {
            "DatabaseName": "typed",
            "TableInput": {
                "Name": "trips",
                "Parameters": {"has_encrypted_data": True, "classification": "parquet"},
                "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}], "Parameters": {"x": 2}},
            },
        },
    )
    table = aws.client("glue").get_table(DatabaseName="typed", Name="trips")["Table"]
    assert table["Parameters"] == {"has_encrypted_data": "true", "classification": "parquet"}
    assert table["StorageDescriptor"]["Parameters"] == {"x": "2"}
