"""The S3 bucket baseline every app applies, so a new bucket cannot forget part of it.

s3.Bucket(self, "QueryResults", **kms_bucket(key, access_logs=log_bucket, access_log_prefix="x/"), ...)
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3


def hardened_bucket() -> dict[str, Any]:
    """TLS 1.2+ only, every public-access block on, objects owned by the bucket owner (no ACLs)."""
    return {
        "enforce_ssl": True,
        "minimum_tls_version": 1.2,
        "block_public_access": s3.BlockPublicAccess.BLOCK_ALL,
        "object_ownership": s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    }


def kms_bucket(key: kms.IKey, *, access_logs: s3.IBucket, access_log_prefix: str) -> dict[str, Any]:
    """The hardened baseline plus SSE-KMS with `key` (S3 bucket keys on) and server access logs."""
    return {
        **hardened_bucket(),
        "encryption": s3.BucketEncryption.KMS,
        "encryption_key": key,
        "bucket_key_enabled": True,
        "server_access_logs_bucket": access_logs,
        "server_access_logs_prefix": access_log_prefix,
    }
