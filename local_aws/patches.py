"""The one patch local_aws applies to moto, kept small, isolated and applied explicitly.

moto's Step Functions interpreter (a vendored copy of LocalStack's) evaluates every
`.sync` task through `StateTaskServiceCallback._eval_integration_pattern`, whose `finally`
calls `callback_endpoint.interrupt_all()` even when the service has no `.waitForTaskToken`
support and the endpoint is therefore `None`. Every `glue:startJobRun.sync` task then fails
with `States.Runtime: 'NoneType' object has no attribute 'interrupt_all'`. The fix guards
that one call (the same fix was proposed upstream in localstack/localstack PR #13705).

`local_aws/tests/test_patches.py` fails loudly when a moto upgrade makes the patch
unnecessary or wrong: it checks the pinned version, that the buggy line is still there, that
the unpatched interpreter still fails and that the patched one succeeds.
"""

from __future__ import annotations

import inspect
import textwrap
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

PINNED_MOTO_VERSION = "5.2.5"
BUGGY_LINE = "callback_endpoint.interrupt_all()"
GUARDED_LINE = "if callback_endpoint is not None:\n    callback_endpoint.interrupt_all()"

_original: Callable[..., Any] | None = None


def _callback_class() -> type:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_callback,
    )

    return state_task_service_callback.StateTaskServiceCallback


def check_moto_version() -> None:
    """Refuse to patch any moto but the pinned one: the patch rewrites its source text."""
    installed = version("moto")
    if installed != PINNED_MOTO_VERSION:
        raise RuntimeError(
            f"local_aws patches moto {PINNED_MOTO_VERSION} but moto {installed} is installed; "
            f"re-check local_aws/patches.py against the new version (run local_aws/tests/test_patches.py), "
            f"then update PINNED_MOTO_VERSION and the pin in pyproject.toml together"
        )


def unpatched_source() -> str:
    """The source of the method the patch rewrites, as moto ships it."""
    cls = _callback_class()
    method = _original if _original is not None else cls._eval_integration_pattern  # type: ignore[attr-defined]
    return textwrap.dedent(inspect.getsource(method))


def _guard_interrupt_all(source: str) -> str:
    lines = source.splitlines()
    hits = [index for index, line in enumerate(lines) if line.strip() == BUGGY_LINE]
    if len(hits) != 1:
        raise RuntimeError(
            f"expected exactly one `{BUGGY_LINE}` in moto's _eval_integration_pattern, found {len(hits)}; "
            "moto changed: re-check local_aws/patches.py"
        )
    index = hits[0]
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines[index : index + 1] = [indent + line for line in GUARDED_LINE.splitlines()]
    return "\n".join(lines) + "\n"


def is_applied() -> bool:
    return _original is not None


def apply_sfn_sync_patch() -> None:
    """Guard `callback_endpoint.interrupt_all()` so `.sync` service tasks can complete. Idempotent."""
    global _original
    if _original is not None:
        return
    check_moto_version()
    cls = _callback_class()
    original = cls._eval_integration_pattern  # type: ignore[attr-defined]
    source = _guard_interrupt_all(textwrap.dedent(inspect.getsource(original)))
    namespace: dict[str, Any] = {}
    exec(
        compile(source, f"<local_aws patch of {inspect.getsourcefile(original)}>", "exec"),
        original.__globals__,
        namespace,
    )
    cls._eval_integration_pattern = namespace["_eval_integration_pattern"]  # type: ignore[attr-defined]
    _original = original


def revert_sfn_sync_patch() -> None:
    """Restore moto's own method (used by the test that proves the patch is still needed)."""
    global _original
    if _original is None:
        return
    _callback_class()._eval_integration_pattern = _original  # type: ignore[attr-defined]
    _original = None
