"""`python -m scaffold <family>` (make new-job NAME=<family>): a new job family from nyc_taxi."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scaffold.generate import new_job_family
from scaffold.names import FamilyNameError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scaffold", description=__doc__)
    parser.add_argument("name", help="the family name, e.g. green_taxi (package, folder and S3 prefix)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the repository root")
    args = parser.parse_args(argv)
    try:
        generated = new_job_family(args.root, args.name)
    except (FamilyNameError, FileNotFoundError) as error:
        print(f"new-job: {error}", file=sys.stderr)
        return 2
    family = generated.family
    print(
        f"new-job: wrote {generated.files} files: {generated.folder.relative_to(args.root)}/ "
        f"(package {family.snake}, stacks {family.pascal}Pipeline-<env>, CloudFormation <prefix>-<env>-"
        f"{family.kebab}) and {generated.workflow.relative_to(args.root)}\n"
        f"next: make test-app APP=etl-jobs/{family.snake}; then docs/adding-a-job-family.md"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
