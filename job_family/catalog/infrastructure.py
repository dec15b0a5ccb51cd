"""Catalog: the Glue database and tables of the job family, and an Athena workgroup to query them.

Tables are declared from the family spec's `tables` (the definitions the jobs write with), so the
catalog and the data cannot drift: conformed and quarantine tables in the conformed zone,
purpose-built tables in the purpose-built zone, each with explicit columns and partition keys.
"""

from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from delivery.buckets import kms_bucket
from job_family.glue.locations import zone_prefix
from job_family.spec import FamilySpec, NamedQuery, Zone

RESULTS_PREFIX = "athena/"
ATHENA_ENGINE = "Athena engine version 3"


def construct_id(table_name: str) -> str:
    """`yellow_tripdata_quarantine` -> `YellowTripdataQuarantine` (names come from code, not config)."""
    return "".join(part.capitalize() for part in table_name.split("_"))


def hive_type(type_string: str) -> glue.Type:
    return glue.Schema.custom(type_string, is_primitive="<" not in type_string)


def checked_queries(spec: FamilySpec, database: str) -> list[NamedQuery]:
    """The family's named queries, each checked against the schema of the table it reads, so a schema
    change that breaks a saved query fails synth instead of failing in front of an analyst."""
    queries = list(spec.named_queries(database))
    for query in queries:
        table = spec.table(query.table)
        known = set(table.column_names) | set(table.partition_names)
        missing = [column for column in query.columns if column not in known]
        if missing:
            raise ValueError(
                f"named query {query.name!r} of {spec.name} reads {', '.join(missing)}, which table "
                f"{query.table} does not have; update the query to the table's schema"
            )
    return queries


class Catalog(Construct):
    """Glue database `database_name` with every table of the family spec, and the Athena workgroup
    `workgroup_name` whose results are enforced into an encrypted, expiring bucket.

    `removal_policy` (default RETAIN) applies to the database, tables and results bucket.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id_: str,
        *,
        spec: FamilySpec,
        database_name: str,
        workgroup_name: str,
        buckets: Mapping[Zone, s3.IBucket],
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
            description=f"{spec.name} job family: {spec.description}",
            removal_policy=removal_policy,
        )
        self.tables: dict[str, glue.S3Table] = {}
        for table_spec in spec.tables:
            bucket, prefix = buckets[table_spec.zone], zone_prefix(spec.name, table_spec.zone)
            table = glue.S3Table(
                self,
                construct_id(table_spec.name),
                database=self.database,
                table_name=table_spec.name,
                description=table_spec.description,
                storage=glue.S3TableStorage.from_bucket(bucket),
                s3_prefix=table_spec.location(prefix.rstrip("/")),
                data_format=glue.DataFormat.PARQUET,
                columns=[
                    glue.Column(name=name, type=hive_type(kind)) for name, kind in table_spec.glue_columns()
                ],
                partition_keys=[
                    glue.Column(name=name, type=hive_type(kind))
                    for name, kind in table_spec.glue_partition_keys()
                ],
                compressed=True,
            )
            cdk.RemovalPolicies.of(table).apply(removal_policy)
            self.tables[table_spec.name] = table

        self.results_bucket = s3.Bucket(
            self,
            "QueryResults",
            **kms_bucket(
                key, access_logs=access_log_bucket, access_log_prefix=f"{spec.name}/athena-results/"
            ),
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
            description=f"{spec.name} tables; results encrypted with the job family key",
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
            self._named_query(query) for query in checked_queries(spec, database_name)
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
