"""Resource handlers by CloudFormation type, and the types deliberately not created locally."""

from __future__ import annotations

from local_aws.resources import compute, data, messaging, network, storage
from local_aws.resources.base import Handler

HANDLERS: dict[str, Handler] = {
    **storage.HANDLERS,
    **network.HANDLERS,
    **messaging.HANDLERS,
    **data.HANDLERS,
    **compute.HANDLERS,
}

# Types with no local counterpart, and why. Their properties are never read; a Ref to one
# resolves to a placeholder id (`<logical id>.local-skipped`). Any type in neither list is an error.
SKIPPED: dict[str, str] = {
    "AWS::CDK::Metadata": "CDK usage metadata",
    "AWS::IAM::Policy": "permissions are not enforced locally",
    "AWS::IAM::ManagedPolicy": "permissions are not enforced locally",
    "AWS::S3::BucketPolicy": "bucket policies are not enforced locally",
    "AWS::SQS::QueuePolicy": "queue policies are not enforced locally",
    "AWS::SNS::TopicPolicy": "topic policies are not enforced locally",
    "AWS::Lambda::Permission": "invoke permissions are not enforced locally",
    "AWS::Lambda::LayerVersion": "layers serve CDK's own custom-resource handlers, which local_aws replaces",
    "AWS::EC2::SecurityGroupIngress": "nothing routes locally",
    "AWS::EC2::SecurityGroupEgress": "nothing routes locally",
    "AWS::EC2::VPCEndpoint": "nothing routes locally: clients reach the embedded endpoint directly",
    "AWS::EC2::FlowLog": "nothing routes locally",
    "AWS::CloudWatch::Alarm": "no metrics locally",
    "AWS::CloudWatch::CompositeAlarm": "no metrics locally",
    "AWS::CloudWatch::Dashboard": "no metrics locally",
    "Custom::LogRetention": "log retention has no local effect",
    "Custom::S3AutoDeleteObjects": "empties a bucket when its stack is deleted; the embedded AWS forgets everything on stop",
    "Custom::VpcRestrictDefaultSG": "security group rules have no local effect",
    "AWS::LakeFormation::DataLakeSettings": "Lake Formation permissions are not enforced locally",
    "AWS::LakeFormation::Permissions": "Lake Formation permissions are not enforced locally",
    "AWS::LakeFormation::PrincipalPermissions": "Lake Formation permissions are not enforced locally",
    "AWS::LakeFormation::Resource": "Lake Formation permissions are not enforced locally",
    "AWS::Glue::DataCatalogEncryptionSettings": "catalog encryption has no local effect",
}

overlap = set(HANDLERS) & set(SKIPPED)
if overlap:  # pragma: no cover - a programming error caught at import
    raise RuntimeError(f"types both handled and skipped: {sorted(overlap)}")
