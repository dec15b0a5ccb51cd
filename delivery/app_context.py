"""The context the CDK CLI would give an app, for tests that build `cdk.App` in-process.

`cdk synth` merges an app's `cdk.json` context (feature flags) and `cdk.context.json` (cached
lookups) into the app; a bare `cdk.App()` in pytest sees neither and would synthesize with other
feature flags. Tests build `checked_app(app_dir, outdir=..., stage="dev")` instead: the app's context
as the CLI gives it, and cdk-nag applied as every app.py applies it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from delivery.compliance import apply_compliance


def cli_context(app_dir: Path | str, **extra: Any) -> dict[str, Any]:
    """cdk.json's `context`, then cdk.context.json, then `extra` (like `-c key=value`)."""
    folder = Path(app_dir)
    cdk_json = folder / "cdk.json"
    if not cdk_json.is_file():
        raise FileNotFoundError(
            f"{cdk_json} not found; pass the folder of a CDK app (the one holding cdk.json)"
        )
    context: dict[str, Any] = dict(json.loads(cdk_json.read_text(encoding="utf-8")).get("context", {}))
    cached = folder / "cdk.context.json"
    if cached.is_file():
        context.update(json.loads(cached.read_text(encoding="utf-8")))
    context.update(extra)
    return context


def checked_app(app_dir: Path | str, *, outdir: Path | str, **extra: Any) -> cdk.App:
    """A `cdk.App` as `cdk synth` builds it for the app in `app_dir` (`cli_context(app_dir, **extra)`),
    writing its assembly to `outdir`, with the AwsSolutions checks applied: `app.synth()` raises on
    any unacknowledged finding, as it does for the pipelines."""
    app = cdk.App(context=cli_context(app_dir, **extra), outdir=str(outdir))
    apply_compliance(app)
    return app
