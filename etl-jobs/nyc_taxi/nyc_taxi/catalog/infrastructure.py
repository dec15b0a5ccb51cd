"""Catalog: the Glue database and tables of the job family, and an Athena workgroup to query them.

Tables are declared from `jobs/runtime/schemas.py` (the definitions the jobs write with), so the
catalog and the data cannot drift: conformed and quarantine tables in the conformed zone,
purpose-built tables in the purpose-built zone, each with explicit columns and partition keys.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from delivery.buckets import kms_bucket
from nyc_taxi.catalog.queries import NamedQuery, named_queries
from nyc_taxi.jobs.locations import CONFORMED_PREFIX, PURPOSE_BUILT_PREFIX, QUARANTINE_PREFIX
from nyc_taxi.jobs.runtime import schemas

RESULTS_PREFIX = "athena/"
ATHENA_ENGINE = "Athena engine version 3"


def construct_id(table_name: str) -> str:
    """`yellow_tripdata_quarantine` -> `YellowTripdataQuarantine` (names come from code, not config)."""
    return "".join(part.capitalize() for part in table_name.split("_"))


def hive_type(type_string: str) -> glue.Type:
    return glue.Schema.custom(type_string, is_primitive="<" not in type_string)


class Catalog(Construct):
    """Glue database `database_name` with every table of `schemas.TABLES`, and the Athena workgroup
    `workgroup_name` whose results are enforced into an encrypted, expiring bucket.

    `removal_policy` (default RETAIN) applies to the database, tables and results bucket.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id_: str,
        *,
        database_name: str,
        workgroup_name: str,
        conformed_bucket: s3.IBucket,
        purpose_built_bucket: s3.IBucket,
        key: kms.IKey,
        access_log_bucket: s3.IBucket,
        query_results_expiry_days: int = 30,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        auto_delete_objects: bool = False,
    ) -> None:
        super().__init__(scope, construct_id_)
        self.database = glue.Database(
            self,
            "Database",
            database_name=database_name,
            description="nyc_taxi job family: conformed, quarantine and purpose-built TLC trip tables",
            removal_policy=removal_policy,
        )
        zones = {
            schemas.Zone.CONFORMED: (conformed_bucket, CONFORMED_PREFIX),
            schemas.Zone.QUARANTINE: (conformed_bucket, QUARANTINE_PREFIX),
            schemas.Zone.PURPOSE_BUILT: (purpose_built_bucket, PURPOSE_BUILT_PREFIX),
        }
        self.tables: dict[str, glue.S3Table] = {}
        for spec in schemas.TABLES:
            bucket, prefix = zones[spec.zone]
            table = glue.S3Table(
                self,
                construct_id(spec.name),
                database=self.database,
                table_name=spec.name,
                description=spec.description,
                storage=glue.S3TableStorage.from_bucket(bucket),
                s3_prefix=spec.location(prefix.rstrip("/")),
                data_format=glue.DataFormat.PARQUET,
                columns=[glue.Column(name=name, type=hive_type(kind)) for name, kind in spec.glue_columns()],
                partition_keys=[
                    glue.Column(name=name, type=hive_type(kind)) for name, kind in spec.glue_partition_keys()
                ],
                compressed=True,
            )
            cdk.RemovalPolicies.of(table).apply(removal_policy)
            self.tables[spec.name] = table

        self.results_bucket = s3.Bucket(
            self,
            "QueryResults",
            **kms_bucket(key, access_logs=access_log_bucket, access_log_prefix="nyc_taxi/athena-results/"),
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=cdk.Duration.days(query_results_expiry_days),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                )
            ],
            removal_policy=removal_policy,
            auto_delete_objects=auto_delete_objects,
        )
        self.workgroup = athena.CfnWorkGroup(
            self,
            "Workgroup",
            name=workgroup_name,
            description="nyc_taxi tables; results encrypted with the job family key",
            state="ENABLED",
            recursive_delete_option=removal_policy != cdk.RemovalPolicy.RETAIN,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version=ATHENA_ENGINE
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{self.results_bucket.bucket_name}/{RESULTS_PREFIX}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=key.key_arn
                    ),
                ),
            ),
        )
        self.workgroup.apply_removal_policy(removal_policy)
        self.named_queries: list[athena.CfnNamedQuery] = [
            self._named_query(query) for query in named_queries(database_name)
        ]

    def _named_query(self, query: NamedQuery) -> athena.CfnNamedQuery:
        named = athena.CfnNamedQuery(
            self,
            query.construct_id,
            name=query.name,
            description=query.description,
            database=self.database.database_name,
            query_string=query.sql,
            work_group=self.workgroup.ref,
        )
        named.node.add_dependency(self.workgroup)
        return named
