"""The context the CDK CLI would give an app, for tests that build `cdk.App` in-process.

`cdk synth` merges an app's `cdk.json` context (feature flags) and `cdk.context.json` (cached
lookups) into the app; a bare `cdk.App()` in pytest sees neither and would synthesize with other
feature flags. Tests build `cdk.App(context=cli_context(app_dir, stage="dev"))` instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


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
