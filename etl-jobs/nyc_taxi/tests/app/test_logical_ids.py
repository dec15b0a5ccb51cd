"""nyc_taxi's stateful resources keep their logical ids (the framework's own are pinned by its contract)."""

from __future__ import annotations

import pytest

from job_family.testing.synth import Synthesized


@pytest.mark.parametrize(
    ("logical_id", "kind"),
    [
        ("EncryptionKey3A692D6E", "AWS::KMS::Key"),
        ("CodeBucket34C7356F", "AWS::S3::Bucket"),
        ("AuditTable18A3095C", "AWS::DynamoDB::Table"),
        ("CatalogQueryResults04C7F853", "AWS::S3::Bucket"),
        ("CatalogDatabase44483CA3", "AWS::Glue::Database"),
        ("CatalogYellowTripdataTable5A2C0AE7", "AWS::Glue::Table"),
        ("CatalogGreenTripdataDailyZoneMetricsTableD2258DAB", "AWS::Glue::Table"),
    ],
)
def test_stateful_resources_keep_their_logical_ids(
    synthesized: Synthesized, logical_id: str, kind: str
) -> None:
    for env in ("dev", "prod"):
        assert synthesized.template_json(env)["Resources"][logical_id]["Type"] == kind
