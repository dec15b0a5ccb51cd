"""`python -m scaffold <family>` (make new-job NAME=<family>): a new, minimal job family from the
framework's template."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scaffold.generate import new_job_family, write_docs_page
from scaffold.names import FamilyNameError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scaffold", description=__doc__)
    parser.add_argument("name", help="the family name, e.g. green_taxi (package, folder and S3 prefix)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository root")
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/families/<family>.md")
    args = parser.parse_args(argv)
    try:
        generated = new_job_family(args.root, args.name)
    except (FamilyNameError, FileNotFoundError) as error:
        print(f"new-job: {error}", file=sys.stderr)
        return 2
    files = list(generated.files)
    if not args.no_docs:
        files.append(write_docs_page(args.root, generated.family))
    family = generated.family
    print(
        f"new-job: wrote {len(files)} files: {generated.folder.relative_to(args.root)}/ (package "
        f"{family.snake}, stacks {family.pascal}Pipeline-<env>, CloudFormation <prefix>-<env>-{family.kebab}), "
        f"{generated.workflow.relative_to(args.root)} and docs/families/{family.snake}.md\n"
        f"next: make test-app APP=etl-jobs/{family.snake}; make demo FAMILY={family.snake}; "
        "then docs/adding-a-job-family.md"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
