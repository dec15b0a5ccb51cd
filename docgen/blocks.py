"""Generated blocks inside hand-written Markdown, between markers:

    <!-- generated:<name> (make docs) -->
    ...
    <!-- end generated:<name> -->

`render()` produces every block's text from a synthesis; `rewrite()` replaces them in a file;
`stale()` names the blocks whose committed text differs (what the staleness test asserts is empty).
"""

from __future__ import annotations

import re
from pathlib import Path

from docgen import contract_table, resource_graph, state_machine
from docgen.synthesis import Synthesized
from shared_config.contract import ContractScope

DOCS = Path(__file__).resolve().parents[1] / "docs"
ARCHITECTURE = DOCS / "architecture.md"


def begin_marker(name: str) -> str:
    return f"<!-- generated:{name} (make docs) -->"


def end_marker(name: str) -> str:
    return f"<!-- end generated:{name} -->"


def render(synthesized: Synthesized) -> dict[str, str]:
    env = synthesized.settings.environment("dev")
    return {
        "infrastructure-resources": resource_graph.mermaid(
            resource_graph.build_graph(synthesized.infrastructure.model)
        ),
        "nyc_taxi-resources": resource_graph.mermaid(resource_graph.build_graph(synthesized.nyc_taxi.model)),
        "nyc_taxi-state-machine": state_machine.mermaid(
            state_machine.definition_of(synthesized.nyc_taxi.template)
        ),
        "ssm-contract": contract_table.markdown(
            ContractScope(synthesized.settings.prefix, env.name),
            subnet_count=env.subnet_count,
            producer=synthesized.infrastructure.model,
            consumers={"nyc_taxi": synthesized.nyc_taxi.model},
        ),
    }


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        re.escape(begin_marker(name)) + r"\n(.*?)\n?" + re.escape(end_marker(name)), flags=re.DOTALL
    )


def committed(text: str, name: str) -> str | None:
    match = _pattern(name).search(text)
    return None if match is None else match.group(1)


def stale(text: str, blocks: dict[str, str]) -> list[str]:
    """Names of the blocks missing from `text` or differing from `blocks`."""
    return [name for name, body in blocks.items() if committed(text, name) != body]


def rewrite(text: str, blocks: dict[str, str]) -> str:
    for name, body in blocks.items():
        if committed(text, name) is None:
            raise ValueError(
                f"no block {name!r} in the document; add the lines {begin_marker(name)!r} and "
                f"{end_marker(name)!r} where it belongs"
            )
        start = _pattern(name).search(text)
        assert start is not None
        replacement = f"{begin_marker(name)}\n{body}\n{end_marker(name)}"
        text = text[: start.start()] + replacement + text[start.end() :]
    return text
