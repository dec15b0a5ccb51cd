"""VPC, subnets, route tables, internet gateways and security groups, as moto EC2 resources.

They exist so that ids recorded in the SSM contract are real (moto) ids; nothing routes locally.
Security group rules (inline or separate) have no local effect and are not created.
"""

from __future__ import annotations

from typing import Any

from local_aws.resources.base import Created, HandlerContext


def vpc(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    ec2 = ctx.client("ec2")
    create: dict[str, Any] = {"CidrBlock": props["CidrBlock"]}
    if "InstanceTenancy" in props:
        create["InstanceTenancy"] = props["InstanceTenancy"]
    vpc_id = ec2.create_vpc(**create)["Vpc"]["VpcId"]
    for attribute in ("EnableDnsHostnames", "EnableDnsSupport"):
        if attribute in props:
            ec2.modify_vpc_attribute(VpcId=vpc_id, **{attribute: {"Value": bool(props[attribute])}})
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}]
    default_group = ec2.describe_security_groups(
        Filters=[*filters, {"Name": "group-name", "Values": ["default"]}]
    )
    default_acl = ec2.describe_network_acls(Filters=[*filters, {"Name": "default", "Values": ["true"]}])
    return Created(
        vpc_id,
        {
            "VpcId": vpc_id,
            "CidrBlock": props["CidrBlock"],
            "CidrBlockAssociations": [],
            "Ipv6CidrBlocks": [],
            "DefaultSecurityGroup": default_group["SecurityGroups"][0]["GroupId"],
            "DefaultNetworkAcl": default_acl["NetworkAcls"][0]["NetworkAclId"],
        },
    )


def subnet(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    create: dict[str, Any] = {"VpcId": props["VpcId"], "CidrBlock": props["CidrBlock"]}
    for key in ("AvailabilityZone", "AvailabilityZoneId"):
        if key in props:
            create[key] = props[key]
    created = ctx.client("ec2").create_subnet(**create)["Subnet"]
    return Created(
        created["SubnetId"],
        {
            "SubnetId": created["SubnetId"],
            "AvailabilityZone": created["AvailabilityZone"],
            "AvailabilityZoneId": created.get("AvailabilityZoneId", ""),
            "VpcId": props["VpcId"],
            "CidrBlock": props["CidrBlock"],
            "Ipv6CidrBlocks": [],
            "NetworkAclAssociationId": "",
        },
    )


def route_table(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    table_id = ctx.client("ec2").create_route_table(VpcId=props["VpcId"])["RouteTable"]["RouteTableId"]
    return Created(table_id, {"RouteTableId": table_id})


def route_table_association(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    association = ctx.client("ec2").associate_route_table(
        RouteTableId=props["RouteTableId"], SubnetId=props["SubnetId"]
    )
    return Created(association["AssociationId"], {"Id": association["AssociationId"]})


def internet_gateway(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    gateway_id = ctx.client("ec2").create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    return Created(gateway_id, {"InternetGatewayId": gateway_id})


def gateway_attachment(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    if "InternetGatewayId" not in props:
        raise ctx.fail("only internet gateway attachments are supported locally (no VPN gateways)")
    ctx.client("ec2").attach_internet_gateway(
        InternetGatewayId=props["InternetGatewayId"], VpcId=props["VpcId"]
    )
    return Created(f"{props['InternetGatewayId']}|{props['VpcId']}")


def route(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    create = {
        key: value
        for key, value in props.items()
        if key in {"RouteTableId", "DestinationCidrBlock", "GatewayId"}
    }
    if "GatewayId" not in create:
        raise ctx.fail("only routes to an internet gateway are supported locally (no NAT gateways)")
    ctx.client("ec2").create_route(**create)
    return Created(f"{props['RouteTableId']}|{props.get('DestinationCidrBlock', '')}")


def security_group(ctx: HandlerContext, props: dict[str, Any]) -> Created:
    create: dict[str, Any] = {
        "GroupName": props.get("GroupName") or ctx.generated_name(max_length=255),
        "Description": props["GroupDescription"],
    }
    if "VpcId" in props:
        create["VpcId"] = props["VpcId"]
    group_id = ctx.client("ec2").create_security_group(**create)["GroupId"]
    return Created(group_id, {"GroupId": group_id, "VpcId": props.get("VpcId", "")})


HANDLERS = {
    "AWS::EC2::VPC": vpc,
    "AWS::EC2::Subnet": subnet,
    "AWS::EC2::RouteTable": route_table,
    "AWS::EC2::SubnetRouteTableAssociation": route_table_association,
    "AWS::EC2::InternetGateway": internet_gateway,
    "AWS::EC2::VPCGatewayAttachment": gateway_attachment,
    "AWS::EC2::Route": route,
    "AWS::EC2::SecurityGroup": security_group,
}
