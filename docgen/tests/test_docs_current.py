"""The committed docs/architecture.md matches what the apps synthesize today (one in-process synth)."""

from __future__ import annotations

import pytest

from docgen.blocks import ARCHITECTURE, render, stale
from docgen.synthesis import synthesize


@pytest.fixture(scope="module")
def blocks() -> dict[str, str]:
    return render(synthesize())


@pytest.mark.synth
def test_committed_architecture_diagrams_match_the_synthesized_apps(blocks: dict[str, str]) -> None:
    names = stale(ARCHITECTURE.read_text(encoding="utf-8"), blocks)
    assert names == [], f"docs/architecture.md is stale in {names}; run `make docs` and commit it"


@pytest.mark.synth
def test_generated_diagrams_show_the_units_and_the_contract(blocks: dict[str, str]) -> None:
    assert {"Storage", "Network", "Contract"} <= _subgraphs(blocks["infrastructure-resources"])
    assert {"Ingestion", "Orchestration", "Jobs", "Audit", "SSM contract"} <= _subgraphs(
        blocks["nyc_taxi-resources"]
    )
    assert "RawToConformed -. " in blocks["nyc_taxi-state-machine"]
    assert (
        "`/<prefix>/<env>/infra/v1/raw-bucket-name` | Ref of `Storage/Raw` | yes |" in blocks["ssm-contract"]
    )


def _subgraphs(mermaid: str) -> set[str]:
    return {line.split('["', 1)[1].rstrip('"]') for line in mermaid.splitlines() if "subgraph" in line}
