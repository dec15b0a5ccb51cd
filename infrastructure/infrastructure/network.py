"""The network every job family runs in: a private VPC with the endpoints Glue and Lambda need.

No NAT gateway by default: the private subnets are isolated and reach AWS services through the
S3 and DynamoDB gateway endpoints and the interface endpoints below. With `nat_gateways > 0`
the VPC gets small public subnets (for the NAT gateways only) and the private subnets route to
the internet through them.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_s3 as s3
from constructs import Construct

PRIVATE = "Private"
PUBLIC = "Public"
PUBLIC_SUBNET_MASK = 27
HTTPS = 443

# Construct id -> service. Glue jobs and Lambda functions reach these without leaving the VPC
# (there is no NAT by default): SNS for job families' notifications (e.g. a trigger Lambda
# publishing REJECTED files), X-Ray for the traces of the Lambda functions placed in the VPC.
INTERFACE_ENDPOINTS: dict[str, ec2.InterfaceVpcEndpointAwsService] = {
    "Glue": ec2.InterfaceVpcEndpointAwsService.GLUE,
    "Kms": ec2.InterfaceVpcEndpointAwsService.KMS,
    "Ssm": ec2.InterfaceVpcEndpointAwsService.SSM,
    "SecretsManager": ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    "StepFunctions": ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "Sns": ec2.InterfaceVpcEndpointAwsService.SNS,
    "XRay": ec2.InterfaceVpcEndpointAwsService.XRAY,
    # the Glue jobs' metrics (job metrics, observability metrics, the run's row counts) from the VPC
    "Monitoring": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
}


class Network(Construct):
    """VPC over the given AZs, the workload security group, endpoints and flow logs.

    `nat_gateways=0` (default) gives PRIVATE_ISOLATED subnets and no internet gateway. Flow logs
    (all traffic) go to `flow_log_bucket` under `vpc-flow-logs/`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cidr: str,
        availability_zones: Sequence[str],
        flow_log_bucket: s3.IBucket,
        nat_gateways: int = 0,
    ) -> None:
        super().__init__(scope, construct_id)
        private_type = ec2.SubnetType.PRIVATE_WITH_EGRESS if nat_gateways else ec2.SubnetType.PRIVATE_ISOLATED
        subnets = [ec2.SubnetConfiguration(name=PRIVATE, subnet_type=private_type)]
        if nat_gateways:
            subnets.insert(
                0,
                ec2.SubnetConfiguration(
                    name=PUBLIC, subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=PUBLIC_SUBNET_MASK
                ),
            )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=list(availability_zones),
            nat_gateways=nat_gateways,
            subnet_configuration=subnets,
            restrict_default_security_group=True,
            enable_dns_hostnames=True,
            enable_dns_support=True,
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_s3(flow_log_bucket, "vpc-flow-logs/"),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        self.private_subnets: list[ec2.ISubnet] = self.vpc.select_subnets(subnet_group_name=PRIVATE).subnets
        private = ec2.SubnetSelection(subnet_group_name=PRIVATE)

        self.workload_security_group = ec2.SecurityGroup(
            self,
            "WorkloadSecurityGroup",
            vpc=self.vpc,
            description="Glue jobs and Lambda functions of every job family",
            allow_all_outbound=True,
        )
        # Glue needs a self-referencing rule: the driver and executors talk to each other.
        self.workload_security_group.add_ingress_rule(
            self.workload_security_group, ec2.Port.all_tcp(), "Glue workers reach each other"
        )

        self.endpoint_security_group = ec2.SecurityGroup(
            self,
            "EndpointSecurityGroup",
            vpc=self.vpc,
            description="Interface endpoints: HTTPS from inside the VPC",
            allow_all_outbound=False,
        )
        self.endpoint_security_group.add_ingress_rule(
            ec2.Peer.ipv4(cidr), ec2.Port.tcp(HTTPS), "HTTPS from the VPC to AWS service endpoints"
        )

        self.vpc.add_gateway_endpoint(
            "S3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[private]
        )
        self.vpc.add_gateway_endpoint(
            "DynamoDbEndpoint", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets=[private]
        )
        self.interface_endpoints = {
            name: self.vpc.add_interface_endpoint(
                f"{name}Endpoint",
                service=service,
                subnets=private,
                security_groups=[self.endpoint_security_group],
                open=False,
                private_dns_enabled=True,
            )
            for name, service in INTERFACE_ENDPOINTS.items()
        }
