"""What the job family ships, built in-process at synth time (CDK local bundling; no Docker).

- the trigger Lambda's code: the `nyc_taxi` package reduced to the runtime folders it imports;
- the code bucket's content: `scripts/` (the two Glue scripts and the runtime package as a zip for
  `--extra-py-files`), `rules/` (transformation SQL) and `reference/` (lookup data).

Package `__init__.py` files are empty, so a subset of the package imports without the CDK code.
Bundles are deterministic (sorted entries, fixed zip timestamps), so an unchanged source gives the
same asset hash and nothing is redeployed.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

APP_ROOT = Path(__file__).resolve().parents[2]  # etl-jobs/nyc_taxi
PACKAGE = "nyc_taxi"

SCRIPTS_PREFIX = "scripts/"
RULES_PREFIX = "rules/"
REFERENCE_PREFIX = "reference/"
RUNTIME_ZIP = "nyc_taxi_runtime.zip"
RAW_TO_CONFORMED_SCRIPT = "raw_to_conformed.py"
CONFORMED_TO_PURPOSE_BUILT_SCRIPT = "conformed_to_purpose_built.py"
GLUE_SCRIPTS: tuple[str, ...] = (RAW_TO_CONFORMED_SCRIPT, CONFORMED_TO_PURPOSE_BUILT_SCRIPT)

# Runtime folders (below nyc_taxi/) each artefact needs, with the package __init__ files above them.
LAMBDA_RUNTIME_UNITS: tuple[str, ...] = ("ingest/runtime", "audit/runtime", "orchestration/runtime")
GLUE_RUNTIME_UNITS: tuple[str, ...] = ("jobs/runtime",)
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


class BundleError(RuntimeError):
    """A file the bundle needs is missing."""


def package_files(units: Iterable[str], *, root: Path = APP_ROOT) -> dict[str, Path]:
    """Archive name -> source file for the runtime folders `units` and the `__init__.py` above them."""
    files: dict[str, Path] = {}
    for unit in units:
        folder = root / PACKAGE / unit
        sources = sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)
        if not sources:
            raise BundleError(f"{folder} holds no Python files; the bundle needs the runtime code of {unit}")
        for source in sources:
            files[source.relative_to(root).as_posix()] = source
        parent = Path(PACKAGE, unit)
        while parent != Path():
            init = root / parent / "__init__.py"
            if not init.is_file():
                raise BundleError(f"{init} is missing; every package folder needs an (empty) __init__.py")
            files[(parent / "__init__.py").as_posix()] = init
            parent = parent.parent
    return dict(sorted(files.items()))


def code_bucket_files(*, root: Path = APP_ROOT) -> dict[str, Path]:
    """Key in the code bucket -> source file, except the runtime zip (built by `build_code_bundle`)."""
    files: dict[str, Path] = {}
    for script in GLUE_SCRIPTS:
        source = root / PACKAGE / "jobs" / "runtime" / script
        if not source.is_file():
            raise BundleError(f"Glue script {source} is missing; the job definitions point at it")
        files[SCRIPTS_PREFIX + script] = source
    for prefix, folder, pattern in (
        (RULES_PREFIX, "rules", "*.sql"),
        (REFERENCE_PREFIX, "reference", "*.csv"),
    ):
        sources = sorted((root / folder).glob(pattern))
        if not sources:
            raise BundleError(
                f"{root / folder} holds no {pattern} files; the Glue jobs read them at run time"
            )
        files.update({prefix + source.name: source for source in sources})
    return files


def write_zip(files: dict[str, Path], target: Path) -> None:
    """A zip with sorted entries and fixed timestamps (identical input -> identical bytes)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name].read_bytes())


def copy_files(files: dict[str, Path], output_dir: Path) -> None:
    for name, source in files.items():
        target = output_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def build_lambda_bundle(output_dir: Path, *, root: Path = APP_ROOT) -> None:
    copy_files(package_files(LAMBDA_RUNTIME_UNITS, root=root), output_dir)


def build_code_bundle(output_dir: Path, *, root: Path = APP_ROOT) -> None:
    copy_files(code_bucket_files(root=root), output_dir)
    write_zip(package_files(GLUE_RUNTIME_UNITS, root=root), output_dir / SCRIPTS_PREFIX / RUNTIME_ZIP)


@jsii.implements(cdk.ILocalBundling)
class _LocalBundling:
    def __init__(self, build: Callable[[Path], None]) -> None:
        self._build = build

    def try_bundle(self, output_dir: str, options: Any = None, **_kwargs: Any) -> bool:
        del options  # jsii passes the BundlingOptions struct; the build needs none of it
        self._build(Path(output_dir))
        return True


@dataclass(frozen=True)
class LocalBundle:
    """Asset options that build with `build(output_dir)` in-process; the image is never used.

    `name` must differ between bundles: CDK caches staged assets by source path and bundling options,
    and the in-process build function is not part of that key.
    """

    name: str
    build: Callable[[Path], None]

    def options(self) -> dict[str, Any]:
        return {
            "asset_hash_type": cdk.AssetHashType.OUTPUT,
            "bundling": cdk.BundlingOptions(
                image=cdk.DockerImage.from_registry(f"local-bundling-only/{self.name}"),
                environment={"NYC_TAXI_BUNDLE": self.name},
                local=_LocalBundling(self.build),
                output_type=cdk.BundlingOutput.NOT_ARCHIVED,
            ),
        }


LAMBDA_BUNDLE = LocalBundle("trigger-lambda", build_lambda_bundle)
CODE_BUNDLE = LocalBundle("code-bucket", build_code_bundle)
