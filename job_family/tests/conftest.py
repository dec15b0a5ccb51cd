"""The `world` fixture of the trigger tests (see world.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from job_family.tests.world import World, make_world


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from make_world(monkeypatch)
