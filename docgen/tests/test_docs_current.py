"""The committed docs match what the apps synthesize today: docs/architecture.md's generated blocks and
each job family's generated page (one in-process synth each)."""

from __future__ import annotations

import pytest

from docgen.blocks import ARCHITECTURE, family_page, family_page_path, render, stale
from docgen.synthesis import synthesize, synthesize_family
from job_family import registry


@pytest.fixture(scope="module")
def blocks() -> dict[str, str]:
    return render(synthesize())


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return {family: family_page(family, synthesize_family(family)) for family in registry.family_names()}


@pytest.mark.synth
def test_committed_architecture_diagrams_match_the_synthesized_apps(blocks: dict[str, str]) -> None:
    names = stale(ARCHITECTURE.read_text(encoding="utf-8"), blocks)
    assert names == [], f"docs/architecture.md is stale in {names}; run `make docs` and commit it"


@pytest.mark.synth
def test_every_family_has_its_current_generated_page(pages: dict[str, str]) -> None:
    stale_pages = [
        family
        for family, page in pages.items()
        if not family_page_path(family).is_file() or family_page_path(family).read_text("utf-8") != page
    ]
    assert stale_pages == [], f"docs/families/ is stale for {stale_pages}; run `make docs` and commit it"


@pytest.mark.synth
def test_generated_diagrams_show_the_units_and_the_contract(
    blocks: dict[str, str], pages: dict[str, str]
) -> None:
    assert {"Storage", "Network", "Contract"} <= _subgraphs(blocks["infrastructure-resources"])
    for page in pages.values():
        assert {"Ingestion", "Orchestration", "Jobs", "Audit", "SSM contract"} <= _subgraphs(page)
        assert "MarkRunning -. " in page
        assert "/dlk/dev/infra/v1/raw-bucket-name" in page
    assert "`/<prefix>/<env>/infra/v1/raw-bucket-name` | Ref of `Storage/Raw` |" in blocks["ssm-contract"]


def _subgraphs(mermaid: str) -> set[str]:
    return {line.split('["', 1)[1].rstrip('"]') for line in mermaid.splitlines() if "subgraph" in line}
