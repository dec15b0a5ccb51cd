"""The README stays true: every `make` command it shows is a target `make help` lists."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_help_targets() -> set[str]:
    output = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return set(re.findall(r"^\s+make (\S+)", output, flags=re.MULTILINE))


def readme_targets() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return set(re.findall(r"\bmake ([a-z][a-z0-9-]*)", readme))


def test_make_help_lists_every_target_the_readme_mentions() -> None:
    mentioned = readme_targets()
    assert {"test", "synth"} <= mentioned
    assert mentioned <= make_help_targets()


def test_quick_start_has_exactly_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", quick_start, flags=re.DOTALL)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[1] == "make test"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, flags=re.MULTILINE)
