"""Catalog upkeep: add or update (and remove) partitions of the declared Glue tables, idempotently.

The tables themselves are declared by the catalog unit (CDK) from the family spec's `tables`; a partition takes
the table's storage descriptor (columns, Parquet formats, SerDe) with its own folder as location, so
partitions never drift from the table. Adding a partition that exists updates it instead, so a job run
can be repeated. Without a database (`make run-job` on files) there is no catalog to keep: the jobs log
that and skip this step.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from job_family.glue.runtime import storage
from job_family.spec import TableSpec

log = logging.getLogger(__name__)

_CREATE_BATCH = 100  # BatchCreatePartition / BatchUpdatePartition limit
_DELETE_BATCH = 25  # BatchDeletePartition limit


class CatalogError(RuntimeError):
    """The catalog refused a change, or a declared table is missing."""


@dataclass(frozen=True)
class PartitionChange:
    table: str
    created: int
    updated: int
    deleted: int

    def as_dict(self) -> dict[str, int | str]:
        return {
            "table": self.table,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
        }


def _values(spec: TableSpec, partition: Mapping[str, object]) -> list[str]:
    return [str(partition[name]) for name in spec.partition_names]


def _storage_descriptor(glue: Any, *, database: str, spec: TableSpec) -> dict[str, Any]:
    try:
        table = glue.get_table(DatabaseName=database, Name=spec.name)["Table"]
    except glue.exceptions.EntityNotFoundException:
        raise CatalogError(
            f"table {database}.{spec.name} is not in the Glue catalog: deploy the job family's catalog "
            "unit (it declares every table of the family spec), or run without a database"
        ) from None
    return dict(table["StorageDescriptor"])


def upsert_partitions(
    glue: Any,
    *,
    database: str,
    spec: TableSpec,
    location: str,
    partitions: Sequence[Mapping[str, object]],
) -> PartitionChange:
    """Create each partition, or update it when it exists (the location may have moved)."""
    if not partitions:
        return PartitionChange(spec.name, 0, 0, 0)
    descriptor = _storage_descriptor(glue, database=database, spec=spec)
    inputs: dict[tuple[str, ...], dict[str, Any]] = {}
    for partition in partitions:
        sd = copy.deepcopy(descriptor)
        sd["Location"] = storage.partition_folder(location, partition, spec.partition_names)
        values = _values(spec, partition)
        inputs[tuple(values)] = {"Values": values, "StorageDescriptor": sd}
    created, existing = 0, []
    batch = list(inputs.values())
    for start in range(0, len(batch), _CREATE_BATCH):
        chunk = batch[start : start + _CREATE_BATCH]
        errors = glue.batch_create_partition(
            DatabaseName=database, TableName=spec.name, PartitionInputList=chunk
        ).get("Errors", [])
        for error in errors:
            code = error.get("ErrorDetail", {}).get("ErrorCode")
            if code != "AlreadyExistsException":
                raise CatalogError(
                    f"cannot add partition {error.get('PartitionValues')} to {spec.name}: {error}"
                )
            existing.append(inputs[tuple(error["PartitionValues"])])
        created += len(chunk) - len(errors)
    for start in range(0, len(existing), _CREATE_BATCH):
        chunk = existing[start : start + _CREATE_BATCH]
        response = glue.batch_update_partition(
            DatabaseName=database,
            TableName=spec.name,
            Entries=[{"PartitionValueList": item["Values"], "PartitionInput": item} for item in chunk],
        )
        if response.get("Errors"):
            raise CatalogError(f"cannot update partitions of {spec.name}: {response['Errors']}")
    return PartitionChange(spec.name, created, len(existing), 0)


def delete_partitions(
    glue: Any, *, database: str, spec: TableSpec, partitions: Sequence[Mapping[str, object]]
) -> PartitionChange:
    """Remove partitions whose folders the job removed; ones already gone are fine."""
    for start in range(0, len(partitions), _DELETE_BATCH):
        chunk = partitions[start : start + _DELETE_BATCH]
        response = glue.batch_delete_partition(
            DatabaseName=database,
            TableName=spec.name,
            PartitionsToDelete=[{"Values": _values(spec, p)} for p in chunk],
        )
        failed = [
            e
            for e in response.get("Errors", [])
            if e["ErrorDetail"]["ErrorCode"] != "EntityNotFoundException"
        ]
        if failed:
            raise CatalogError(f"cannot delete partitions of {spec.name}: {failed}")
    return PartitionChange(spec.name, 0, 0, len(partitions))


@dataclass(frozen=True)
class CatalogUpdate:
    """The partitions one job run touched in one table."""

    spec: TableSpec
    location: str
    upserts: Sequence[Mapping[str, object]]
    deletes: Sequence[Mapping[str, object]] = ()


def withdraw(glue_factory: Any, *, database: str, updates: Sequence[CatalogUpdate]) -> None:
    """Remove the partitions a run is about to replace (`CatalogUpdate.deletes`) before it moves their
    folders, so readers of the catalog see none of them while the folders change, never a half; the
    run registers the new ones with `apply`. Skipped without a database."""
    if not database or not any(update.deletes for update in updates):
        return
    glue = glue_factory()
    for update in updates:
        delete_partitions(glue, database=database, spec=update.spec, partitions=update.deletes)


def apply(glue_factory: Any, *, database: str, updates: Sequence[CatalogUpdate]) -> dict[str, Any]:
    """Apply the updates, or skip them all when no database is given (runs on plain files).

    `glue_factory` builds the boto3 Glue client only when needed, so runs without a catalog never
    touch AWS.
    """
    if not database:
        log.info("catalog upkeep skipped: no database given (a local run on files has no Glue catalog)")
        return {"skipped": True, "reason": "no database given", "tables": []}
    glue = glue_factory()
    changes = []
    for update in updates:
        added = upsert_partitions(
            glue, database=database, spec=update.spec, location=update.location, partitions=update.upserts
        )
        removed = delete_partitions(glue, database=database, spec=update.spec, partitions=update.deletes)
        changes.append(
            PartitionChange(update.spec.name, added.created, added.updated, removed.deleted).as_dict()
        )
        log.info("catalog %s.%s: %s", database, update.spec.name, changes[-1])
    return {"skipped": False, "database": database, "tables": changes}
