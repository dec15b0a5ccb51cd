"""The trigger Lambda's collaborators and its family's key layout, named by environment variables
set by `ingest/infrastructure.py`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from job_family.ingest.runtime.layout import ArrivalLayout

AUDIT_TABLE_NAME = "AUDIT_TABLE_NAME"
STATE_MACHINE_ARN = "STATE_MACHINE_ARN"
TOPIC_ARN = "TOPIC_ARN"
FAMILY_LAYOUT = "FAMILY_LAYOUT"
VARIABLES: tuple[str, ...] = (AUDIT_TABLE_NAME, STATE_MACHINE_ARN, TOPIC_ARN, FAMILY_LAYOUT)


@dataclass(frozen=True, kw_only=True)
class HandlerEnvironment:
    audit_table_name: str
    state_machine_arn: str
    topic_arn: str
    layout: ArrivalLayout

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> HandlerEnvironment:
        missing = [name for name in VARIABLES if not environ.get(name)]
        if missing:
            raise RuntimeError(
                f"environment variable(s) {', '.join(missing)} not set; the function's configuration "
                "must set them (see job_family/ingest/infrastructure.py)"
            )
        return cls(
            audit_table_name=environ[AUDIT_TABLE_NAME],
            state_machine_arn=environ[STATE_MACHINE_ARN],
            topic_arn=environ[TOPIC_ARN],
            layout=ArrivalLayout.from_json(environ[FAMILY_LAYOUT]),
        )
