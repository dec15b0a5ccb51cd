"""Names the operator commands give to executions and runs: always valid Step Functions names.

A valid name has 1-80 characters, only letters, digits, `-` and `_` (what Standard workflows with
CloudWatch logging accept). The trigger names an object version's first run
`<dataset>-<stem>-<digest>` (`job_family.ingest.runtime.arrivals.execution_name`); a reprocess is the
same name with `-r<attempt>`, the stem cut to keep the digest and the suffix within 80 characters, so
every attempt of every object version has its own name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime

MAX_NAME = 80
VALID_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_DIGEST = re.compile(r"^[0-9a-f]{16}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_ATTEMPT = re.compile(r"-r([0-9]+)$")


def is_valid_name(name: str) -> bool:
    return VALID_NAME.fullmatch(name) is not None


def attempt_name(base: str, attempt: int) -> str:
    """The execution name of reprocess `attempt` (1, 2, ...) of the run first named `base`; `base`
    itself for attempt 0 (the trigger's own name)."""
    if attempt < 0:
        raise ValueError(f"attempt {attempt} must be 0 or more")
    safe = _UNSAFE.sub("-", base).strip("-") or "run"
    if attempt == 0:
        return safe[:MAX_NAME]
    suffix = f"-r{attempt}"
    head, _, digest = safe.rpartition("-")
    if not head or not _DIGEST.fullmatch(digest):  # not a trigger name: keep it whole, cut its end
        return f"{safe[: MAX_NAME - len(suffix)].rstrip('-')}{suffix}"
    room = MAX_NAME - len(digest) - len(suffix) - 1
    return f"{head[:room].rstrip('-')}-{digest}{suffix}"


def attempts_in(names: Iterable[str]) -> list[int]:
    """The attempt numbers (`-r<n>` suffixes) among execution names, e.g. of manual restarts."""
    return [int(match.group(1)) for name in names if (match := _ATTEMPT.search(name))]


def execution_arn(state_machine_arn: str, name: str) -> str:
    """`arn:<p>:states:<r>:<a>:stateMachine:<sm>` + name -> `arn:<p>:states:<r>:<a>:execution:<sm>:<name>`."""
    parts = state_machine_arn.split(":")
    if len(parts) < 7 or parts[5] != "stateMachine":
        raise ValueError(f"{state_machine_arn!r} is not a state machine ARN")
    return ":".join([*parts[:5], "execution", parts[6], name])


def digest(text: str, length: int = 16) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def erase_run_id(subject: str, at: datetime) -> str:
    """The run id of an erasure's recompute: `erase-<digest of the subject>-<UTC time>` (39 characters)."""
    return f"erase-{digest(subject)}-{at.astimezone(UTC).strftime('%Y%m%dT%H%M%S')}"
