"""bootstrap's fixtures: `real_config` and `release_repo` (bootstrap/tests/fixtures.py)."""

from bootstrap.tests.fixtures import real_config, release_repo

__all__ = ["real_config", "release_repo"]
