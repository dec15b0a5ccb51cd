"""A configuration `make check-config` calls OK synthesizes, for every app and every environment.

`VARIANTS` is a generated set of configurations: the accepted layouts (four accounts with another
region, three AZs, a NAT gateway and Redshift; dev in the deployment account) and files that say
something twice or leave something out, each with the message check-config must refuse it with.
Every accepted one is synthesized with each app's own `app.py` (the pipelines of every environment,
each with its stage), with the AZ lookups derived from it, and the templates are held against what
`make idle-cost` counts.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bootstrap.commands import app_folders
from bootstrap.idle_cost import estimate, interface_endpoint_services, job_families
from shared_config import DEFAULT_CONFIG_PATH, load_config
from shared_config.__main__ import main as check_config
from shared_config.az_context import availability_zone_context

ROOT = Path(__file__).resolve().parents[1]
DEPLOYMENT = "210987654321"
ACCOUNTS = {"dev": "410987654321", "test": "510987654321", "prod": "610987654321"}
CONNECTION = f"arn:aws:codeconnections:eu-west-1:{DEPLOYMENT}:connection/3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f"

Edit = Callable[[dict[str, Any]], None]


def real() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    raw["deployment"]["account"] = DEPLOYMENT
    raw["repository"]["owner"] = "acme-data"
    raw["repository"]["connection_arn"] = CONNECTION
    raw["notifications"]["emails"] = ["data-engineering@acme-data.io"]
    for name, account in ACCOUNTS.items():
        raw["environments"][name]["account"] = account
    return raw


def four_accounts(raw: dict[str, Any]) -> None:
    """Four accounts; prod over three AZs with Redshift; a NAT gateway in test."""
    raw["environments"]["prod"].update(
        availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"], redshift={"enabled": True}
    )
    raw["environments"]["test"]["nat_gateways"] = 1


def prod_in_another_region(raw: dict[str, Any]) -> None:
    raw["environments"]["prod"].update(region="us-east-1", availability_zones=["us-east-1a", "us-east-1b"])


def dev_in_deployment_account(raw: dict[str, Any]) -> None:
    raw["environments"]["dev"]["account"] = DEPLOYMENT


def _env(name: str, **fields: Any) -> Edit:
    return lambda raw: raw["environments"][name].update(fields)


def _set(*path: str, value: Any) -> Edit:
    def edit(raw: dict[str, Any]) -> None:
        holder = raw
        for part in path[:-1]:
            holder = holder[part]
        holder[path[-1]] = value

    return edit


def _drop(key: str) -> Edit:
    return lambda raw: raw.pop(key)


def _add_qa(raw: dict[str, Any]) -> None:
    raw["environments"]["qa"] = {
        **copy.deepcopy(raw["environments"]["test"]),
        "account": "710987654321",
        "vpc_cidr": "10.40.0.0/22",
        "branch": "qa",
    }


@dataclass(frozen=True)
class Variant:
    name: str
    edits: tuple[Edit, ...] = ()
    refused_with: str = ""  # a fragment of the one message check-config must print; "" = accepted
    per_family: bool = False  # the message comes once per job family
    text_edit: Callable[[str], str] | None = None

    def write(self, folder: Path) -> Path:
        raw = real()
        for edit in self.edits:
            edit(raw)
        text = yaml.safe_dump(raw, sort_keys=False)
        if self.text_edit:
            text = self.text_edit(text)
        path = folder / f"{self.name}.yaml"
        path.write_text(text)
        return path


VARIANTS = (
    Variant("four-accounts", (four_accounts,)),
    Variant("dev-in-deployment-account", (dev_in_deployment_account,)),
    Variant("prod-in-another-region", (prod_in_another_region,)),
    Variant(
        "key-written-twice",
        text_edit=lambda text: text.replace("  test:\n", "  test:\n    nat_gateways: 2\n", 1),
        refused_with="environments.test.nat_gateways: is written twice (lines",
    ),
    Variant(
        "one-account-and-region-twice",
        (_env("test", account=ACCOUNTS["dev"]),),
        refused_with="environments.test.account: '410987654321' in eu-west-1 is already dev's account and region",
    ),
    Variant(
        "e-mail-twice",
        (_set("notifications", "emails", value=["a@acme-data.io", "A@acme-data.io"]),),
        refused_with="notifications.emails[1]: 'A@acme-data.io' is already listed (emails[0])",
    ),
    Variant(
        "nobody-notified",
        (_drop("notifications"),),
        refused_with="notifications: lists no e-mail address",
    ),
    Variant(
        "another-partition",
        (_env("prod", region="cn-north-1", availability_zones=["cn-north-1a", "cn-north-1b"]),),
        refused_with="CodePipeline cannot deploy across partitions",
    ),
    Variant(
        "no-local", (_drop("local"),), refused_with="local: is missing; make demo and the end-to-end tests"
    ),
    Variant(
        "environment-without-family-settings",
        (_add_qa,),
        refused_with=": environments.qa: missing",
        per_family=True,
    ),
    Variant(
        "misspelt-field",
        (_env("dev", nat_gateway=1),),
        refused_with="environments.dev.nat_gateway: is not a known field (value 1); did you mean `nat_gateways`?",
    ),
    Variant(
        "zone-of-another-region",
        (_env("test", availability_zones=["eu-west-1a", "us-east-1b"]),),
        refused_with="environments.test.availability_zones: ['us-east-1b'] are not zones of eu-west-1",
    ),
)


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int, str, str]]:
    """Variant name -> (file, exit code, stdout, stderr) of check-config on it."""
    folder = tmp_path_factory.mktemp("configs")
    results = {}
    for variant in VARIANTS:
        path = variant.write(folder)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = check_config([str(path)])
        results[variant.name] = (path, code, out.getvalue(), err.getvalue())
    return results


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_check_config_accepts_or_refuses_each_generated_configuration(
    checked: dict[str, tuple[Path, int, str, str]], variant: Variant
) -> None:
    path, code, out, err = checked[variant.name]
    if not variant.refused_with:
        assert (code, err) == (0, ""), err
        assert out.startswith(f"{path}: OK\n")
        assert "no placeholders: ready for make bootstrap-* and make deploy-*" in out
        return
    assert code == 1
    # one problem, or one per job family for what each family's settings.yaml lacks
    expected = len(list(ROOT.glob("etl-jobs/*/settings.yaml"))) if variant.per_family else 1
    plural = "s" if expected != 1 else ""
    assert err.startswith(f"stopped: {path} has {expected} problem{plural}:\n  - "), err
    assert err.count(variant.refused_with) == expected


# --- synthesis --------------------------------------------------------------------------------------

# Runs each app.py in one process (aws-cdk-lib and its jsii kernel load once). The kernel is a Node
# process that read its environment at start, so CDK_CONTEXT_JSON / CDK_OUTDIR cannot change between
# apps: each `cdk.App()` gets the job's context and outdir as arguments instead, as the CLI would give them.
DRIVER = """
import json, os, runpy, sys, traceback
import aws_cdk as cdk

job = {}


class JobApp(cdk.App):
    def __init__(self, **kwargs):
        super().__init__(**{"context": job["context"], "outdir": job["out"], **kwargs})


cdk.App = JobApp
for job in json.loads(sys.argv[1]):
    os.chdir(job["app"])
    sys.path.insert(0, job["app"])
    try:
        runpy.run_path("app.py", run_name="__main__")
    except BaseException:
        print(f"synth of {job['app']} for {job['config']} failed:", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
    finally:
        sys.path.remove(job["app"])
"""


def _context(app: Path, config: Path) -> dict[str, Any]:
    """What `cdk synth -c config=<file>` gives the app: cdk.json's context, the AZ lookups of this
    configuration (instead of the committed cdk.context.json, which holds the sample file's)."""
    context: dict[str, Any] = json.loads((app / "cdk.json").read_text())["context"]
    committed = app / "cdk.context.json"
    context.update(json.loads(committed.read_text()) if committed.is_file() else {})
    context.update(availability_zone_context(load_config(config)))
    return {**context, "config": str(config)}


@dataclass
class Assembly:
    directory: Path

    def manifest(self, folder: Path | None = None) -> dict[str, Any]:
        manifest: dict[str, Any] = json.loads(((folder or self.directory) / "manifest.json").read_text())
        return manifest

    def _templates(self, folder: Path) -> dict[str, tuple[str, dict[str, Any]]]:
        found = {}
        for name, artifact in self.manifest(folder)["artifacts"].items():
            if artifact["type"] == "aws:cloudformation:stack":
                template = json.loads((folder / artifact["properties"]["templateFile"]).read_text())
                found[name] = (artifact["environment"], template.get("Resources", {}))
        return found

    def pipeline_stacks(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """The top-level stacks: the pipelines and their cross-region support stacks."""
        return self._templates(self.directory)

    def stage_stacks(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """The stacks of every stage (nested assemblies), with their `aws://account/region`."""
        found = {}
        for folder in sorted(p for p in self.directory.glob("assembly-*") if p.is_dir()):
            found.update(self._templates(folder))
        return found


def _count(resources: dict[str, Any], kind: str, **properties: Any) -> int:
    return sum(
        1
        for resource in resources.values()
        if resource["Type"] == kind
        and all(resource.get("Properties", {}).get(key) == value for key, value in properties.items())
    )


@pytest.mark.synth
def test_every_accepted_configuration_synthesizes_every_app_for_every_environment(
    checked: dict[str, tuple[Path, int, str, str]], tmp_path: Path
) -> None:
    accepted = [v for v in VARIANTS if not v.refused_with]
    assert [v.name for v in accepted][:2] == ["four-accounts", "dev-in-deployment-account"]
    folders = app_folders()
    jobs = []
    for variant in accepted:
        config = checked[variant.name][0]
        for folder in folders:
            app = ROOT / folder
            out = tmp_path / variant.name / folder.replace("/", "-")
            jobs.append(
                {"app": str(app), "out": str(out), "config": str(config), "context": _context(app, config)}
            )
    environment = {k: v for k, v in os.environ.items() if k not in ("CDK_CONTEXT_JSON", "CDK_OUTDIR")}
    result = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(jobs)],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert result.returncode == 0, result.stderr[-6000:]
    services = len(interface_endpoint_services())
    families = job_families()
    for variant in accepted:
        settings = load_config(checked[variant.name][0])
        deployment_keys = 0
        for folder in folders:
            assembly = Assembly(tmp_path / variant.name / folder.replace("/", "-"))
            assert "missing" not in assembly.manifest(), f"{folder} needs context lookups offline synth lacks"
            stages = assembly.stage_stacks()
            for env in settings.environments.values():
                [resources] = [
                    r for where, r in stages.values() if where == f"aws://{env.account}/{env.region}"
                ]
                # the infrastructure's data key, or the job family's key
                assert _count(resources, "AWS::KMS::Key") == 1, (variant.name, folder, env.name)
                if folder == "infrastructure":
                    interface = [
                        r
                        for r in resources.values()
                        if r["Type"] == "AWS::EC2::VPCEndpoint"
                        and r["Properties"].get("VpcEndpointType") == "Interface"
                    ]
                    assert len(interface) == services
                    assert {len(r["Properties"]["SubnetIds"]) for r in interface} == {
                        len(env.availability_zones)
                    }
                    assert _count(resources, "AWS::EC2::NatGateway") == env.nat_gateways
            pipelines = assembly.pipeline_stacks()
            assert all(
                where.startswith(f"aws://{settings.deployment.account}/") for where, _ in pipelines.values()
            )
            assert len([name for name in pipelines if "Pipeline-" in name]) == len(settings.environments)
            deployment_keys += sum(_count(resources, "AWS::KMS::Key") for _, resources in pipelines.values())
        # what make idle-cost counts: $1 per key in the deployment account
        [deployment] = [b for b in estimate(settings, families=families) if b.title.startswith("deployment")]
        assert deployment_keys == deployment.lines[0].monthly, (variant.name, deployment_keys)
