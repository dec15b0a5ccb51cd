"""What every app applies: cdk-nag (AwsSolutions) as a policy-validation plugin, and standard tags.

cdk-nag 3 runs when the app synthesizes and fails synth on any finding that is not acknowledged.
Acknowledge a finding on the narrowest construct it concerns, always with a reason:

    acknowledge(job.role, {"AwsSolutions-IAM4": "AWSGlueServiceRole is the documented Glue baseline"})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import aws_cdk as cdk
import cdk_nag
from constructs import IConstruct

from shared_config.model import Settings

MIN_REASON_LENGTH = 20


def apply_compliance(app: cdk.App) -> None:
    """Check every stack of `app` against the AwsSolutions rules at synth time."""
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app))


def acknowledge(construct: IConstruct, findings: Mapping[str, str]) -> None:
    """Acknowledge cdk-nag findings (rule id, e.g. `AwsSolutions-IAM5[Action::s3:List*]`, -> reason)
    on `construct` and everything below it."""
    for rule, reason in findings.items():
        if len(reason.strip()) < MIN_REASON_LENGTH:
            raise ValueError(
                f"acknowledgment of {rule} on {construct.node.path} needs a reason of at least "
                f"{MIN_REASON_LENGTH} characters saying why the finding is acceptable"
            )
        cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


@dataclass(frozen=True, kw_only=True)
class StandardTags:
    """The tags every resource carries, for cost allocation and ownership."""

    project: str
    app: str
    environment: str
    cost_centre: str

    @classmethod
    def of(cls, settings: Settings, *, app: str, environment: str) -> StandardTags:
        """The tags of `app` in `environment`; project and cost centre come from the settings."""
        return cls(
            project=settings.project, app=app, environment=environment, cost_centre=settings.cost_centre
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "project": self.project,
            "app": self.app,
            "environment": self.environment,
            "cost-centre": self.cost_centre,
        }


def apply_standard_tags(scope: IConstruct, tags: StandardTags) -> None:
    for key, value in tags.as_dict().items():
        cdk.Tags.of(scope).add(key, value)
