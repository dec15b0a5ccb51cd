"""`python -m docgen [--check]`: regenerate the generated blocks of docs/architecture.md, or only check them.

Run with `infrastructure/` and `etl-jobs/nyc_taxi/` on PYTHONPATH (`make docs` does).
"""

from __future__ import annotations

import argparse
import sys

from docgen.blocks import ARCHITECTURE, render, rewrite, stale
from docgen.synthesis import synthesize


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docgen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale blocks (exit 1 if any)")
    args = parser.parse_args(argv)
    blocks = render(synthesize())
    text = ARCHITECTURE.read_text(encoding="utf-8")
    if args.check:
        names = stale(text, blocks)
        if names:
            print(f"docs: stale blocks in {ARCHITECTURE.name}: {', '.join(names)}; run `make docs`")
            return 1
        print(f"docs: {ARCHITECTURE.name} is current")
        return 0
    ARCHITECTURE.write_text(rewrite(text, blocks), encoding="utf-8")
    print(f"docs: wrote {len(blocks)} generated blocks into {ARCHITECTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
