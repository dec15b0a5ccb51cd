"""AWS CLI lines for dry runs: one copy-pasteable shell block per command, pure.

Every line carries `--region` (and `--endpoint-url` for the embedded AWS), so the block works in any
shell whatever its AWS_REGION. Values found only at run time are shell variables, set at the top of the
block from the stack's outputs (`output <OutputKey>`), as an operator would look them up.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Sequence
from typing import Any

from job_family.outputs import Output
from ops.target import Target


def aws(target: Target, service: str, operation: str, *arguments: str, raw: Sequence[str] = ()) -> str:
    """`aws <service> <operation> --region <r> [--endpoint-url <u>] <arguments>`; each argument is
    quoted for the shell unless it is in `raw` (a `"$VARIABLE"` or a `$(...)` substitution)."""
    words = ["aws", service, operation, "--region", target.region]
    if target.endpoint_url:
        words += ["--endpoint-url", target.endpoint_url]
    line = shlex.join(words)
    for argument in arguments:
        line += " " + (argument if argument in raw else shlex.quote(argument))
    return line


def as_json(value: Any) -> str:
    """Compact JSON for a CLI argument."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def output_function(target: Target) -> list[str]:
    """A shell function `output <OutputKey>` reading one output of the family's stack."""
    describe = aws(target, "cloudformation", "describe-stacks", "--stack-name", target.stack_name)
    query = "\"Stacks[0].Outputs[?OutputKey=='$1'].OutputValue\""
    return [f"output() {{ {describe} --query {query} --output text; }}"]


def variables(target: Target, outputs: Iterable[tuple[str, Output]]) -> list[str]:
    """`NAME=$(output <OutputKey>)` lines."""
    return [*output_function(target), *(f"{name}=$(output {output.value})" for name, output in outputs)]


def block(comments: Iterable[str], lines: Iterable[str]) -> str:
    """The dry run's one block: `# ` comment lines, then the command lines."""
    return "\n".join([*(f"# {comment}" if comment else "#" for comment in comments), *lines])
