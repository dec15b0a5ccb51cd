"""boto3 for one target: clients in its region (and at its endpoint), and the credentials check.

The only module that builds clients. `endpoint_url` (from `--endpoint-url` or `AWS_ENDPOINT_URL`)
points every client at the embedded local AWS, so the same commands run there.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ops.errors import RefusedError
from ops.target import Target


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class Aws:
    """Cached boto3 clients for one target (standard retry mode, so throttling is retried)."""

    def __init__(self, target: Target, *, session: Any = None) -> None:
        self.target = target
        self._session = session or boto3.Session(region_name=target.region)
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(
                service,  # type: ignore[call-overload]
                region_name=self.target.region,
                endpoint_url=self.target.endpoint_url,
                config=Config(retries={"max_attempts": 5, "mode": "standard"}),
            )
        return self._clients[service]

    def caller(self) -> tuple[str, str]:
        """(account, ARN) of the current credentials; RefusedError without usable ones."""
        try:
            identity = self.client("sts").get_caller_identity()
        except (BotoCoreError, ClientError) as error:
            raise RefusedError(
                f"no usable AWS credentials ({error}); sign in to account {self.target.account} first, "
                "e.g. `aws sso login --profile <p>` and `export AWS_PROFILE=<p>`"
            ) from None
        return str(identity["Account"]), str(identity["Arn"])

    def check_account(self) -> str:
        """The caller's ARN, once STS says the credentials belong to the target's account."""
        account, arn = self.caller()
        if account != self.target.account:
            raise RefusedError(
                f"the current AWS credentials are for account {account}, but {self.target.environment} is "
                f"account {self.target.account}; switch to a profile of that account (export AWS_PROFILE=...)"
            )
        return arn
