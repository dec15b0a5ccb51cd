"""The patches local_aws applies to moto, each small, isolated and applied explicitly.

1. `.sync` tasks (`apply_sfn_sync_patch`). moto's Step Functions interpreter (a vendored copy of LocalStack's) evaluates every
`.sync` task through `StateTaskServiceCallback._eval_integration_pattern`, whose `finally`
calls `callback_endpoint.interrupt_all()` even when the service has no `.waitForTaskToken`
support and the endpoint is therefore `None`. Every `glue:startJobRun.sync` task then fails
with `States.Runtime: 'NoneType' object has no attribute 'interrupt_all'`. The fix guards
that one call (the same fix was proposed upstream in localstack/localstack PR #13705).

`local_aws/tests/test_patches.py` fails loudly when a moto upgrade makes the patch
unnecessary or wrong: it checks the pinned version, that the buggy line is still there, that
the unpatched interpreter still fails and that the patched one succeeds.

2. Streamed bodies of `aws-sdk` tasks (`apply_sfn_sdk_body_patch`). moto's interpreter pushes the
boto3 response of an `arn:aws:states:::aws-sdk:<service>:<action>` task as it is: its
`_normalise_response` is a no-op, so `s3:getObject` returns `Body` as a botocore stream and
`States.StringToJson($.Body)` fails with `'StreamingChecksumBody' object has no attribute 'strip'`.
Real Step Functions returns a text body as a string; the patch reads every top-level streamed
value of an aws-sdk task's response into a string. `local_aws/tests/test_patches.py` checks that
the unpatched interpreter still fails that way and that the patched one parses the body.

3. Schedule rules receive no events (`apply_events_schedule_patch`). moto hands every event (S3's
EventBridge notifications and `PutEvents` alike) to every rule of the bus, and a rule with a
`ScheduleExpression` and no `EventPattern` has an empty pattern, which moto's `EventPattern` matches
with anything: a family's schedule rule (a `PerDelivery` family's sweep) then forwarded every object
created in the raw bucket, other families' included, to its queue. In AWS a schedule rule only fires on
its schedule. The patch makes such a rule ignore events; `local_aws/tests/test_patches.py` checks that
unpatched moto still forwards an S3 event to a schedule rule and that the patched one does not, while a
rule with a pattern still receives it.

4. Retry waits on a local clock (`retry_waits_scaled`). moto's interpreter sleeps a Retrier's whole
interval (`IntervalSeconds` x `BackoffRate`^n, capped by `MaxDelaySeconds`) in real time, so a test
that drives a state machine into Glue's concurrent-run limit waits 30 s, 60 s, 120 s... for nothing:
a backfill e2e test spent 9 of its 10 minutes asleep. Within `retry_waits_scaled(scale)` every retry
wait is `scale` times the interval the state machine asks for; the retries, their order, their count
and the execution history are unchanged. The default scale is 1 (real intervals, as `make demo` uses);
the e2e tiers pass a smaller one. `local_aws/tests/test_patches.py` checks that moto's retrier still
sleeps through the `time` module the patch replaces, and that a scaled execution asks for the
state machine's intervals and sleeps the scaled ones.

`apply_patches()` applies the first three (the server calls it before it starts); the fourth is a
context the local AWS enters for its lifetime (`start_local_aws(retry_wait_scale=...)`).
"""

from __future__ import annotations

import inspect
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from types import SimpleNamespace
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


# -- 2. aws-sdk task responses: streamed bodies read into strings -------------------------------

_original_sdk_eval: Callable[..., Any] | None = None


def _aws_sdk_class() -> type:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_aws_sdk,
    )

    return state_task_service_aws_sdk.StateTaskServiceAwsSdk


def _read_streams(response: Any) -> None:
    """Replace each top-level streamed value of `response` by its text, as Step Functions returns it."""
    from botocore.response import StreamingBody

    if not isinstance(response, dict):
        return
    for name, value in list(response.items()):
        if isinstance(value, StreamingBody):
            response[name] = value.read().decode("utf-8", errors="replace")


def is_sdk_body_patch_applied() -> bool:
    return _original_sdk_eval is not None


def apply_sfn_sdk_body_patch() -> None:
    """Return streamed bodies of aws-sdk tasks (s3:getObject's `Body`) as strings. Idempotent."""
    global _original_sdk_eval
    if _original_sdk_eval is not None:
        return
    check_moto_version()
    cls = _aws_sdk_class()
    original: Callable[..., Any] = cls._eval_service_task  # type: ignore[attr-defined]

    def _eval_service_task(self: Any, env: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, env, *args, **kwargs)
        if env.stack:
            _read_streams(env.stack[-1])
        return result

    cls._eval_service_task = _eval_service_task  # type: ignore[attr-defined]
    _original_sdk_eval = original


def revert_sfn_sdk_body_patch() -> None:
    """Restore moto's own method (used by the test that proves the patch is still needed)."""
    global _original_sdk_eval
    if _original_sdk_eval is None:
        return
    _aws_sdk_class()._eval_service_task = _original_sdk_eval  # type: ignore[attr-defined]
    _original_sdk_eval = None


# -- 3. schedule rules: no events -------------------------------------------------------------------

_original_send_to_targets: Callable[..., Any] | None = None


def _rule_class() -> type:
    from moto.events.models import Rule

    return Rule


def is_events_schedule_patch_applied() -> bool:
    return _original_send_to_targets is not None


def apply_events_schedule_patch() -> None:
    """A rule with a schedule and no event pattern receives no events, as in AWS. Idempotent."""
    global _original_send_to_targets
    if _original_send_to_targets is not None:
        return
    check_moto_version()
    cls = _rule_class()
    original: Callable[..., Any] = cls.send_to_targets  # type: ignore[attr-defined]

    def send_to_targets(self: Any, *args: Any, **kwargs: Any) -> None:
        if getattr(self, "scheduled_expression", None) and not getattr(self.event_pattern, "_pattern", None):
            return
        original(self, *args, **kwargs)

    cls.send_to_targets = send_to_targets  # type: ignore[attr-defined]
    _original_send_to_targets = original


def revert_events_schedule_patch() -> None:
    """Restore moto's own method (used by the test that proves the patch is still needed)."""
    global _original_send_to_targets
    if _original_send_to_targets is None:
        return
    _rule_class().send_to_targets = _original_send_to_targets  # type: ignore[attr-defined]
    _original_send_to_targets = None


def apply_patches() -> None:
    """Every local_aws patch of moto. Idempotent."""
    apply_sfn_sync_patch()
    apply_sfn_sdk_body_patch()
    apply_events_schedule_patch()


# -- 4. retry waits on a local clock -----------------------------------------------------------------

_retry_wait_scale = 1.0


def _scaled_sleep(seconds: float) -> None:
    time.sleep(seconds * _retry_wait_scale)


# `time` as moto's retrier sees it while waits are scaled: the module's functions, `sleep` scaled.
_SCALED_TIME = SimpleNamespace(
    **{name: getattr(time, name) for name in dir(time) if not name.startswith("_")} | {"sleep": _scaled_sleep}
)


def _retrier_module() -> Any:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    return retrier_decl


@contextmanager
def retry_waits_scaled(scale: float) -> Iterator[None]:
    """Within the block, every Retrier of a state machine waits `scale` times its interval (0 < scale <= 1).

    moto's retrier module calls `time.sleep(interval)`; its `time` is replaced for the block by a
    namespace whose `sleep` scales (the rest of `time` as it is), and restored after."""
    global _retry_wait_scale
    if not 0 < scale <= 1:
        raise ValueError(f"retry_wait_scale must be in (0, 1], got {scale}")
    if scale == 1:  # the intervals as deployed: moto untouched
        yield
        return
    check_moto_version()
    module = _retrier_module()
    previous = getattr(module, "time", None)
    if previous is not time and previous is not _SCALED_TIME:
        raise RuntimeError(
            f"moto's Step Functions retrier ({module.__name__}) no longer sleeps through the `time` "
            "module; re-check local_aws/patches.py (retry waits)"
        )
    saved = _retry_wait_scale
    _retry_wait_scale, module.time = scale, _SCALED_TIME
    try:
        yield
    finally:
        _retry_wait_scale, module.time = saved, previous
