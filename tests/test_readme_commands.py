"""The README stays true: every `make` command it shows is a target `make help` lists, and `make help`
lists every variable a user sets."""

from __future__ import annotations

import re
import subprocess
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Set by make itself or inside the Makefile, never by a user.
MAKE_OWN = {"CURDIR", "MAKE", "MAKEFILE_LIST", "MAKECMDGOALS", "PATH", "SHELL"}


def make_help() -> str:
    return subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def make_help_targets() -> set[str]:
    return set(re.findall(r"^\s+make (\S+)", make_help(), flags=re.MULTILINE))


def make_help_variables() -> set[str]:
    variables = make_help().split("\nVariables", 1)[1]
    return set(re.findall(r"^  ([A-Z][A-Z0-9_]*)=", variables, flags=re.MULTILINE))


def readme_targets() -> set[str]:
    """Every `make <target>` of the README; `make bootstrap-*` stays a pattern."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return {name + star for name, star in re.findall(r"\bmake ([a-z][a-z0-9-]*)(\*?)", readme)}


def variables_users_set() -> set[str]:
    """Variables the Makefile reads but never sets (or sets only as a default, `?=`), and the
    `VAR=` of its usage lines (`## ... make x VAR=...`, `# make x [VAR=...]`), e.g. the bench's."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    read = set(re.findall(r"\$\(([A-Z][A-Z0-9_]*)\)", makefile))
    defaults = set(re.findall(r"^([A-Z][A-Z0-9_]*)\s*\?=", makefile, flags=re.MULTILINE))
    assigned = set(re.findall(r"^(?:export\s+)?([A-Z][A-Z0-9_]*)\s*:?=", makefile, flags=re.MULTILINE))
    usage = {
        name
        for line in makefile.splitlines()
        if re.search(r"(## |^# )make ", line)
        for name in re.findall(r"\b([A-Z][A-Z0-9_]*)=", line)
    }
    return ((read - assigned) | defaults | usage) - MAKE_OWN


def test_make_help_lists_every_target_the_readme_mentions() -> None:
    mentioned = readme_targets()
    targets = make_help_targets()
    assert {"test", "synth", "bootstrap-*", "deploy-*"} <= mentioned
    assert {name for name in mentioned if not name.endswith("*")} <= targets
    for pattern in (name for name in mentioned if name.endswith("*")):
        assert any(fnmatch(target, pattern) for target in targets), pattern


def test_make_help_lists_every_variable_users_set() -> None:
    wanted = variables_users_set()
    assert {"ENV", "CONFIG", "DRY_RUN", "POLICY", "JOB", "APP", "ROWS", "BENCH_SIZES"} <= wanted
    assert wanted <= make_help_variables()


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
