"""The input of one state machine execution: what the trigger Lambda sends, what the state machine reads.

The field names are the contract between `ingest/runtime/handler.py` (which builds the input) and
`orchestration/infrastructure.py` (which reads `$.<field>`); a test holds the two together.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True, kw_only=True)
class ExecutionInput:
    object_id: str  # the audit item's key
    bucket: str
    key: str  # URL-decoded
    version_id: str
    dataset: str  # one of the family's datasets
    file_format: str  # csv | csv.gz | parquet
    source_path: str  # s3://<bucket>/<key>, the Glue job's --source_path

    def to_json(self) -> str:
        """Deterministic JSON, so a repeated start of the same object is idempotent."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


FIELDS: tuple[str, ...] = tuple(field.name for field in fields(ExecutionInput))


def path(field: str) -> str:
    """The JSONPath of an input field inside the state machine, e.g. `$.source_path`."""
    if field not in FIELDS:
        raise KeyError(f"{field!r} is not a field of the execution input; use one of {', '.join(FIELDS)}")
    return f"$.{field}"
