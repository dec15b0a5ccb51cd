"""The committed `cdk.context.json`: the AZ lookups the VPCs trigger, so synth needs no AWS call.

Every `ec2.Vpc` asks for its account/region's availability zones even when the zones are given
explicitly; the CLI fails offline unless the answer is cached. The answer is derived from
environments.yaml (the zones listed there, `shared_config.az_context`), so it needs no credentials.
After changing accounts, regions or zones run (from the repository root):

    make refresh-azs [CONFIG=<file>] [DRY_RUN=1]
    # = PYTHONPATH=infrastructure .venv/bin/python -m infrastructure.lookups [--dry-run] [<file>]

A test fails until the committed file matches the configuration, and `make deploy-*` refuses a
context file that differs from the committed one.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from shared_config import DEFAULT_CONFIG_PATH, ConfigError, load_config
from shared_config.az_context import availability_zone_context, availability_zone_key, render

__all__ = ["CONTEXT_FILE", "availability_zone_context", "availability_zone_key", "main", "render"]

CONTEXT_FILE = Path(__file__).resolve().parent.parent / "cdk.context.json"
REPOSITORY_ROOT = CONTEXT_FILE.parent.parent


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(REPOSITORY_ROOT).as_posix()
    except ValueError:
        return str(path)


def main(argv: list[str], *, context_file: Path = CONTEXT_FILE) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infrastructure.lookups", description=__doc__.splitlines()[0]
    )
    parser.add_argument("config", nargs="?", type=Path, default=DEFAULT_CONFIG_PATH)
    parser.add_argument("--dry-run", action="store_true", help="print the change, write nothing")
    args = parser.parse_args(argv)
    try:
        wanted = render(load_config(args.config))
    except ConfigError as error:
        print(f"stopped: {error}", file=sys.stderr)
        return 2
    current = context_file.read_text(encoding="utf-8") if context_file.is_file() else ""
    target = _shown(context_file)
    if current == wanted:
        print(f"{target} already holds the AZ lookups of {_shown(args.config)}; nothing to do")
        return 0
    if args.dry_run:
        print(f"# would write {target} for {_shown(args.config)}:")
        sys.stdout.writelines(
            difflib.unified_diff(
                current.splitlines(keepends=True), wanted.splitlines(keepends=True), target, f"{target} (new)"
            )
        )
        return 0
    context_file.write_text(wanted, encoding="utf-8")
    entries = len(availability_zone_context(load_config(args.config)))
    print(f"wrote {target} ({entries} AZ lookups) for {_shown(args.config)}")
    if Path(args.config).resolve() != DEFAULT_CONFIG_PATH.resolve():
        print(
            f"the pipelines read shared_config/environments.yaml: copy {_shown(args.config)} there "
            "before you commit both files"
        )
    else:
        print(
            "commit it with the configuration: git add shared_config/environments.yaml "
            f"{target} && git commit -m 'Configure environments' && git push"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
