"""Provision the two jars Spark needs to reach the embedded S3 through s3a (hadoop-aws is not on PyPI).

They come from the PyPI sdist of `sagemaker-pyspark==1.4.5` (Apache-2.0), which bundles them:
the sdist is downloaded with pip (never installed: it pins an old pyspark) and only the two jars
are extracted. Idempotent: nothing is downloaded when both jars are present.

    python -m local_aws.jars --pip .tools/bin/pip --dest .tools/jars
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SOURCE_PACKAGE = "sagemaker-pyspark==1.4.5"
JARS = ("hadoop-aws-3.3.1.jar", "aws-java-sdk-bundle-1.11.901.jar")
DEFAULT_DEST = Path(".tools/jars")


def jar_paths(dest: Path = DEFAULT_DEST) -> list[Path]:
    return [dest / name for name in JARS]


def missing_jars(dest: Path = DEFAULT_DEST) -> list[Path]:
    return [path for path in jar_paths(dest) if not path.is_file() or path.stat().st_size == 0]


def provision(dest: Path, pip: str) -> list[Path]:
    """Make sure both jars are in `dest`; download and extract them if not."""
    if not missing_jars(dest):
        return jar_paths(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as download_dir:
        subprocess.run(
            [
                *shlex.split(pip),
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                SOURCE_PACKAGE,
                "-d",
                download_dir,
            ],
            check=True,
        )
        archives = list(Path(download_dir).glob("*.tar.gz"))
        if len(archives) != 1:
            raise RuntimeError(f"expected one sdist of {SOURCE_PACKAGE}, got {[a.name for a in archives]}")
        with tarfile.open(archives[0]) as sdist:
            members = {Path(member.name).name: member for member in sdist.getmembers() if member.isfile()}
            for name in JARS:
                if name not in members:
                    raise RuntimeError(f"{archives[0].name} no longer contains {name}")
                source = sdist.extractfile(members[name])
                assert source is not None
                partial = dest / f"{name}.partial"
                with source, partial.open("wb") as target:
                    shutil.copyfileobj(source, target)
                partial.replace(dest / name)
    return jar_paths(dest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    parser.add_argument("--pip", default=f"{sys.executable} -m pip")
    args = parser.parse_args(argv)
    for path in provision(args.dest, args.pip):
        print(f"s3a jar: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
