"""Pure logic of a trigger that runs once per complete delivery (`PerDelivery`), no AWS calls.

A delivery is a folder `<family>/<deliveries folder>/<delivery id>/` holding one file per dataset
(`persons.json`, `memberships.json`, ... named after the dataset, in an accepted format). It is
complete when every dataset has its file; then, and only then, it is claimed (one audit item per
delivery, `item.delivery_object_id`) and run once, whichever comes first: the event of its last file,
or the schedule's sweep over every delivery folder. Files arriving again, or a whole delivery uploaded
twice, find the claim and start nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from job_family.audit.runtime.item import DELIVERY, ObjectRef
from job_family.ingest.runtime.arrivals import Rejected, execution_name, format_of
from job_family.ingest.runtime.layout import ArrivalLayout
from job_family.orchestration.runtime.execution_input import ExecutionInput


@dataclass(frozen=True)
class DeliveryFile:
    """An accepted file of a delivery."""

    prefix: str  # `<family>/<folder>/<delivery id>/`
    delivery_id: str
    dataset: str
    file_format: str


def deliveries_root(layout: ArrivalLayout) -> str:
    """`<family>/<deliveries folder>/`: the folder holding one folder per delivery."""
    return f"{layout.prefix}/{layout.deliveries_folder}/"


def dataset_of(file_name: str, layout: ArrivalLayout) -> tuple[str, str] | None:
    """(dataset, format) of a delivery file named `<dataset><accepted suffix>`, case-insensitively."""
    lowered = file_name.lower()
    for dataset, formats in layout.datasets:
        file_format = format_of(lowered, formats)
        if file_format is not None:
            suffix = next(s for s, name in sorted(formats, key=lambda p: -len(p[0])) if lowered.endswith(s))
            if lowered[: -len(suffix)] == dataset.lower():
                return dataset, file_format
    return None


def classify_file(obj: ObjectRef, layout: ArrivalLayout) -> DeliveryFile | Rejected:
    """Accept `<family>/<folder>/<delivery id>/<dataset file>`; say why anything else is not."""
    root = deliveries_root(layout)
    files = ", ".join(f"{dataset}{formats[0][0]}" for dataset, formats in layout.datasets)
    expected = f"expected {root}<delivery id>/<file> with one file per dataset ({files})"
    if obj.key.endswith("/"):
        return Rejected(f"folder marker {obj.key!r}, not a file")
    parts = obj.key.split("/")
    if len(parts) != 4 or not obj.key.startswith(root) or not parts[2]:
        return Rejected(f"unexpected key {obj.key!r}; {expected}")
    found = dataset_of(parts[3], layout)
    if found is None:
        return Rejected(f"{parts[3]!r} is no dataset file of a delivery; {expected}")
    if obj.size_bytes == 0:
        return Rejected(f"empty object {obj.key!r} (0 bytes)")
    return DeliveryFile(
        prefix=f"{root}{parts[2]}/", delivery_id=parts[2], dataset=found[0], file_format=found[1]
    )


def missing_datasets(file_names: Iterable[str], layout: ArrivalLayout) -> list[str]:
    """The datasets of the layout with no file among `file_names` (empty: the delivery is complete)."""
    present = {found[0] for name in file_names if (found := dataset_of(name, layout)) is not None}
    return [dataset for dataset in layout.dataset_names if dataset not in present]


def delivery_ref(bucket: str, prefix: str) -> ObjectRef:
    """The delivery as the audit item's subject: its folder, claimed once (`#delivery`)."""
    return ObjectRef(
        bucket=bucket,
        key=prefix if prefix.endswith("/") else f"{prefix}/",
        version_id=DELIVERY,
        size_bytes=None,
    )


def delivery_execution_name(ref: ObjectRef) -> str:
    """`delivery-<delivery id>-<digest>` (at most 80 characters, see `arrivals.execution_name`)."""
    return execution_name(ref, DELIVERY)


def delivery_input(ref: ObjectRef) -> ExecutionInput:
    return ExecutionInput(
        object_id=ref.object_id,
        bucket=ref.bucket,
        key=ref.key,
        version_id=DELIVERY,
        dataset=DELIVERY,
        file_format=DELIVERY,
        source_path=ref.uri,
    )
