"""Fixtures of the operator commands' tests: a configuration with four real-looking accounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared_config import DEFAULT_CONFIG_PATH

ACCOUNTS = {
    '"999999999999"': '"482910375610"',  # deployment
    '"111111111111"': '"305812749163"',  # dev
    '"222222222222"': '"617204958321"',  # test
    '"333333333333"': '"794031862547"',  # prod
}


@pytest.fixture(scope="session")
def four_accounts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample environments.yaml with its own deployment, dev, test and prod accounts."""
    text = Path(DEFAULT_CONFIG_PATH).read_text(encoding="utf-8")
    for placeholder, account in ACCOUNTS.items():
        assert placeholder in text, placeholder
        text = text.replace(placeholder, account)
    path = tmp_path_factory.mktemp("config") / "environments.yaml"
    path.write_text(text, encoding="utf-8")
    return path
