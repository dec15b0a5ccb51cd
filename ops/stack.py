"""A deployed family stack's outputs (`job_family.outputs.Output`): how every command finds its resources.

`parse_outputs` is pure (a `describe-stacks` response in, a `FamilyStack` out, refusing a stack that
lacks the family outputs); `read_stack` makes the call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from job_family.ingest.runtime.layout import PER_DELIVERY
from job_family.outputs import Output
from ops.aws import Aws
from ops.errors import RefusedError


@dataclass(frozen=True)
class FamilyStack:
    name: str
    outputs: Mapping[str, str]

    def __getitem__(self, output: Output) -> str:
        return self.outputs[output.value]

    @property
    def family(self) -> str:
        return self[Output.FAMILY]

    @property
    def per_delivery(self) -> bool:
        return self[Output.TRIGGER] == PER_DELIVERY

    @property
    def raw_bucket(self) -> str:
        return self[Output.RAW_BUCKET]

    @property
    def raw_prefix(self) -> str:
        """The family's folder in the raw bucket, with its trailing slash."""
        prefix = self[Output.RAW_KEY_PREFIX]
        return prefix if prefix.endswith("/") else f"{prefix}/"

    @property
    def conformed_bucket(self) -> str:
        return self[Output.CONFORMED_BUCKET]

    @property
    def purpose_built_bucket(self) -> str:
        return self[Output.PURPOSE_BUILT_BUCKET]

    @property
    def audit_table(self) -> str:
        return self[Output.AUDIT_TABLE]

    @property
    def state_machine_arn(self) -> str:
        return self[Output.STATE_MACHINE]

    @property
    def trigger_function(self) -> str:
        return self[Output.TRIGGER_FUNCTION]

    @property
    def queue_url(self) -> str:
        return self[Output.INGESTION_QUEUE]

    @property
    def dead_letter_queue_url(self) -> str:
        return self[Output.DEAD_LETTER_QUEUE]

    @property
    def database(self) -> str:
        return self[Output.DATABASE]

    @property
    def workgroup(self) -> str:
        return self[Output.WORKGROUP]


def parse_outputs(stack_name: str, response: Mapping[str, Any]) -> FamilyStack:
    """The family stack from a `describe-stacks` response; RefusedError when it is not one."""
    stacks = response.get("Stacks") or []
    if not stacks:
        raise RefusedError(f"stack {stack_name} not found")
    outputs = {str(o["OutputKey"]): str(o["OutputValue"]) for o in stacks[0].get("Outputs") or []}
    missing = [output.value for output in Output if output.value not in outputs]
    if missing:
        raise RefusedError(
            f"stack {stack_name} lacks the job family outputs {', '.join(missing)}; is it a family stack "
            "deployed by this version of the framework? (its pipeline redeploys it from the branch)"
        )
    return FamilyStack(stack_name, outputs)


def read_stack(aws: Aws, stack_name: str) -> FamilyStack:
    try:
        response = aws.client("cloudformation").describe_stacks(StackName=stack_name)
    except ClientError as error:
        if "does not exist" in str(error):
            raise RefusedError(
                f"stack {stack_name} does not exist in account {aws.target.account}, {aws.target.region}; "
                "check FAMILY, ENV and the prefix of CONFIG (the family's pipeline deploys it)"
            ) from None
        raise
    return parse_outputs(stack_name, response)
