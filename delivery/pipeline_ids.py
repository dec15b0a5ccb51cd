"""The stack id of an app's pipeline for one environment: one rule for every app and for `make deploy-*`.

    pipeline_stack_id("infrastructure", "dev")    -> "InfrastructurePipeline-dev"
    pipeline_stack_id("etl-jobs/nyc_taxi", "dev") -> "NycTaxiPipeline-dev"

The app's folder name in PascalCase, then `Pipeline-<env>`. The apps name their pipeline stacks with
it and `bootstrap` deploys exactly those stacks, so a new job family needs no entry anywhere. Pure
(no CDK import): `python -m bootstrap` uses it without loading aws-cdk-lib.
"""

from __future__ import annotations

import re

APP_FOLDER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$")
_WORD = re.compile(r"[A-Za-z0-9]+")


def check_app_folder(app_folder: str) -> None:
    """ValueError unless `app_folder` is a relative folder of the repository (no `..`, no leading `/`)."""
    if not APP_FOLDER.fullmatch(app_folder) or ".." in app_folder.split("/"):
        raise ValueError(
            f"app_folder {app_folder!r} is not a relative folder of the repository; "
            "use the folder holding the app's cdk.json, e.g. infrastructure or etl-jobs/nyc_taxi"
        )


def pipeline_stack_id(app_folder: str, environment: str) -> str:
    """`<AppFolderNameInPascalCase>Pipeline-<environment>`; the only id built from an environment name
    (an app holds one pipeline stack per environment); no resource id depends on it."""
    check_app_folder(app_folder)
    name = app_folder.rsplit("/", 1)[-1]
    pascal = "".join(word[:1].upper() + word[1:] for word in _WORD.findall(name))
    if not pascal[:1].isalpha():
        raise ValueError(
            f"app folder {app_folder!r} gives the pipeline stack id {pascal}Pipeline-{environment}, "
            "which does not start with a letter; name the app's folder with a leading letter"
        )
    return f"{pascal}Pipeline-{environment}"
