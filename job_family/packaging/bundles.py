"""What a job family ships, built in-process at synth time (CDK local bundling; no Docker).

- the trigger Lambda's code: the framework's runtime folders it imports (the same for every family:
  the family's layout reaches the handler through its environment);
- the code bucket's content: `scripts/` (one Glue script per step, and the runtime package as a zip
  for `--extra-py-files`: the framework's Glue runtime, its spec module and the family's package),
  `rules/` (transformation SQL) and `reference/` (lookup data) from the family's folder.

Package `__init__.py` files are empty, so a subset of a package imports without the CDK code.
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

from job_family.glue.locations import REFERENCE_PREFIX, RULES_PREFIX, SCRIPTS_PREFIX
from job_family.spec import FamilySpec, Zone

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK = "job_family"
# Framework folders (below job_family/) each artefact needs, with the package __init__ files above them.
LAMBDA_RUNTIME_UNITS: tuple[str, ...] = ("ingest/runtime", "audit/runtime", "orchestration/runtime")
GLUE_RUNTIME_UNITS: tuple[str, ...] = ("glue/runtime",)
GLUE_RUNTIME_MODULES: tuple[str, ...] = ("spec.py",)
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


class BundleError(RuntimeError):
    """A file the bundle needs is missing."""


def runtime_zip_name(family: str) -> str:
    return f"{family}_runtime.zip"


def _python_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def _with_inits(files: dict[str, Path], root: Path, package_path: Path) -> None:
    parent = package_path
    while parent != Path():
        init = root / parent / "__init__.py"
        if not init.is_file():
            raise BundleError(f"{init} is missing; every package folder needs an (empty) __init__.py")
        files[(parent / "__init__.py").as_posix()] = init
        parent = parent.parent


def package_files(
    units: Iterable[str], *, root: Path = REPOSITORY_ROOT, package: str = FRAMEWORK
) -> dict[str, Path]:
    """Archive name -> source file for the folders `units` of `package` (below `root`) and the
    `__init__.py` above them."""
    files: dict[str, Path] = {}
    for unit in units:
        folder = root / package / unit
        sources = _python_files(folder)
        if not sources:
            raise BundleError(f"{folder} holds no Python files; the bundle needs the runtime code of {unit}")
        files.update({source.relative_to(root).as_posix(): source for source in sources})
        _with_inits(files, root, Path(package, unit))
    return dict(sorted(files.items()))


@dataclass(frozen=True)
class FamilyBundles:
    """The Lambda and code-bucket bundles of one family (`app_root` is its folder, etl-jobs/<family>)."""

    spec: FamilySpec
    app_root: Path
    framework_root: Path = REPOSITORY_ROOT

    def glue_runtime_files(self) -> dict[str, Path]:
        """The runtime zip's entries: the framework's Glue runtime and spec, and the family's package."""
        files = package_files(GLUE_RUNTIME_UNITS, root=self.framework_root)
        for module in GLUE_RUNTIME_MODULES:
            files[f"{FRAMEWORK}/{module}"] = self.framework_root / FRAMEWORK / module
        family_package = self.app_root / self.spec.package
        sources = _python_files(family_package)
        if not sources:
            raise BundleError(f"{family_package} holds no Python files; it is the family's package")
        files.update({source.relative_to(self.app_root).as_posix(): source for source in sources})
        return dict(sorted(files.items()))

    def code_bucket_files(self) -> dict[str, Path]:
        """Key in the code bucket -> source file, except the runtime zip (built by `build_code_bundle`)."""
        files: dict[str, Path] = {}
        for step in self.spec.steps:
            source = self.app_root.joinpath(*step.module.split(".")).with_suffix(".py")
            if not source.is_file():
                raise BundleError(
                    f"Glue script {source} of step {step.name} is missing; its StepSpec names module {step.module}"
                )
            files[SCRIPTS_PREFIX + step.script] = source
        read = {zone for step in self.spec.steps for zone in step.reads}
        for zone, prefix, folder, pattern in (
            (Zone.RULES, RULES_PREFIX, self.spec.rules_folder, self.spec.rules_pattern),
            (Zone.REFERENCE, REFERENCE_PREFIX, self.spec.reference_folder, self.spec.reference_pattern),
        ):
            sources = sorted((self.app_root / folder).glob(pattern))
            if not sources and zone in read:
                raise BundleError(
                    f"{self.app_root / folder} holds no {pattern} files; the Glue jobs read them at run time"
                )
            files.update({prefix + source.name: source for source in sources})
        return files

    def build_lambda_bundle(self, output_dir: Path) -> None:
        copy_files(package_files(LAMBDA_RUNTIME_UNITS, root=self.framework_root), output_dir)

    def build_code_bundle(self, output_dir: Path) -> None:
        copy_files(self.code_bucket_files(), output_dir)
        write_zip(self.glue_runtime_files(), output_dir / SCRIPTS_PREFIX / runtime_zip_name(self.spec.name))

    @property
    def lambda_bundle(self) -> LocalBundle:
        return LocalBundle(f"{self.spec.name}-trigger-lambda", self.build_lambda_bundle)

    @property
    def code_bundle(self) -> LocalBundle:
        return LocalBundle(f"{self.spec.name}-code-bucket", self.build_code_bundle)


def write_zip(files: dict[str, Path], target: Path) -> None:
    """A zip with sorted entries and fixed timestamps (identical input -> identical bytes)."""
    target.parent.mkdir(parents=True, exist_ok=True)
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
                environment={"JOB_FAMILY_BUNDLE": self.name},
                local=_LocalBundling(self.build),
                output_type=cdk.BundlingOutput.NOT_ARCHIVED,
            ),
        }
