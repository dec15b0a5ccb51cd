"""`python -m docgen [--check]`: regenerate the generated blocks of docs/architecture.md, or only check them.

Rewrites the generated blocks of docs/architecture.md and every job family's page
docs/families/<family>.md, and draws each family's dashboard, docs/families/<family>-dashboard.png.
Run with `infrastructure/` on PYTHONPATH (`make docs` does).
"""

from __future__ import annotations

import argparse
import sys

from docgen.blocks import ARCHITECTURE, family_page, family_page_path, render, rewrite, stale
from docgen.dashboard_picture import write_dashboard_pictures
from docgen.synthesis import synthesize, synthesize_family
from job_family import registry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m docgen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report stale blocks (exit 1 if any)")
    parser.add_argument("--family", action="append", help="only this family's page (repeatable)")
    args = parser.parse_args(argv)
    stacks = {name: synthesize_family(name) for name in (args.family or registry.family_names())}
    pages = {family_page_path(name): family_page(name, stack) for name, stack in stacks.items()}
    if args.family:
        blocks: dict[str, str] = {}
        text = ""
    else:
        blocks = render(synthesize())
        text = ARCHITECTURE.read_text(encoding="utf-8")
    if args.check:
        names = stale(text, blocks) + [
            path.name for path, page in pages.items() if not path.is_file() or path.read_text("utf-8") != page
        ]
        if names:
            print(f"docs: stale: {', '.join(names)}; run `make docs`")
            return 1
        print("docs: current")
        return 0
    if blocks:
        ARCHITECTURE.write_text(rewrite(text, blocks), encoding="utf-8")
    for path, page in pages.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page, encoding="utf-8")
    pictures = write_dashboard_pictures(stacks)
    print(
        f"docs: wrote {len(blocks)} generated blocks into {ARCHITECTURE.name}, {len(pages)} family page(s) "
        f"and {len(pictures)} dashboard picture(s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
