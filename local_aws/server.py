"""An embedded AWS: moto's server on 127.0.0.1, on a free port, in this process (`local_aws.listeners`).

    with start_local_aws(account_id="111111111111", region="eu-west-1") as aws:
        aws.client("s3").list_buckets()

- Step Functions executes state machines (`execute_state_machine`), Lambda never uses Docker.
- moto's Step Functions interpreter calls the other services at `http://localhost:$MOTO_PORT`, so
  `MOTO_PORT` is set to the server's port while it runs; `MOTO_ACCOUNT_ID` pins the account
  every caller sees (the interpreter signs with its own fake key).
- The moto patches (`local_aws.patches`: `.sync` tasks, aws-sdk stream bodies) are applied before the server starts.
- Nothing reads the user's AWS configuration: clients get fake credentials and an explicit
  endpoint, and while the server runs `AWS_CONFIG_FILE` / `AWS_SHARED_CREDENTIALS_FILE` point to
  an empty file and `AWS_PROFILE` is unset (restored on stop).
"""

from __future__ import annotations

import json
import logging
import os
import ssl
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

from local_aws.listeners import Listener
from local_aws.patches import apply_patches, retry_waits_scaled
from local_aws.tls import TlsMaterial, process_tls_material

DEFAULT_ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "eu-west-1"
FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"
HOST = "127.0.0.1"

MOTO_CONFIG: dict[str, Any] = {
    "lambda": {"use_docker": False},
    "batch": {"use_docker": False},
    "stepfunctions": {"execute_state_machine": True},
}

# Variables that would let boto3 reach the user's real AWS configuration or credentials.
_UNSET_WHILE_RUNNING = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


class _EnvOverlay:
    """Set and unset environment variables, and put every one back as it was."""

    def __init__(self, values: Mapping[str, str | None]) -> None:
        self._values = dict(values)
        self._saved: dict[str, str | None] = {}

    def __enter__(self) -> _EnvOverlay:
        for key, value in self._values.items():
            self._saved[key] = os.environ.get(key)
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        return self

    def __exit__(self, *exc: object) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()


def _isolated_session(region: str) -> boto3.Session:
    """A boto3 session that never reads ~/.aws: fake keys, empty config and credentials files."""
    core = botocore.session.Session()
    core.set_config_variable("config_file", os.devnull)
    core.set_config_variable("credentials_file", os.devnull)
    core.set_credentials(FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY)
    return boto3.Session(botocore_session=core, region_name=region)


@dataclass
class LocalAws:
    """A running embedded AWS and configured clients for it."""

    account_id: str
    region: str
    port: int
    started_in_s: float
    session: boto3.Session = field(repr=False)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _https: tuple[Listener, TlsMaterial] | None = field(default=None, repr=False)
    _https_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def client(self, service: str) -> Any:
        """A cached boto3 client for `service` on the embedded endpoint (no retries: fail fast)."""
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service,  # type: ignore[call-overload]
                endpoint_url=self.endpoint_url,
                config=Config(retries={"max_attempts": 1, "mode": "standard"}),
            )
        return self._clients[service]

    def environment(self) -> dict[str, str]:
        """Environment variables that point boto3 (or s3a) in another process or a handler at this AWS."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def moto_api(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """Call moto's own API (`/moto-api/...`): GET without a body, POST with one."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/{path.lstrip('/')}", data=data)
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def https_listener(self) -> tuple[str, TlsMaterial]:
        """A second listener, over HTTPS, on the same embedded AWS (started on first use).

        For clients that refuse some requests over HTTP (Spark's s3a with SSE-KMS objects).
        Returns its endpoint and the TLS material (certificate, Java truststore) to trust it.
        """
        with self._https_lock:
            if self._https is None:
                material = process_tls_material()
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(material.certificate, material.private_key)
                self._https = (Listener(HOST, ssl_context=context, persistent=True), material)
            listener, material = self._https
        return f"https://{HOST}:{listener.port}", material

    def _stop_https_listener(self) -> None:
        if self._https is not None:
            listener, _ = self._https
            listener.stop()
            self._https = None

    def reset(self) -> None:
        """Forget every resource (all services, all accounts)."""
        self.moto_api("reset", {})


def _quiet(verbose: bool) -> None:
    if not verbose:  # werkzeug logs every request otherwise
        logging.getLogger("werkzeug").setLevel(logging.ERROR)


@contextmanager
def start_local_aws(
    *,
    account_id: str = DEFAULT_ACCOUNT_ID,
    region: str = DEFAULT_REGION,
    verbose: bool = False,
    retry_wait_scale: float = 1.0,
) -> Iterator[LocalAws]:
    """Start an embedded AWS for `account_id`/`region`; stop it and forget all state on exit.

    One at a time per process: moto's backends and `MOTO_PORT` are process-wide. `retry_wait_scale`
    shortens every state machine Retrier's waits by that factor (1: the intervals as deployed;
    `local_aws.patches.retry_waits_scaled`).
    """
    if os.environ.get("LOCAL_AWS_RUNNING"):
        raise RuntimeError(
            "an embedded AWS is already running in this process; stop it before starting another"
        )
    apply_patches()
    from moto.core.config import default_user_config

    saved_config = {key: default_user_config.get(key) for key in MOTO_CONFIG}
    started = time.perf_counter()
    _quiet(verbose)
    server = Listener(HOST)
    port = server.port
    overlay: dict[str, str | None] = dict.fromkeys(_UNSET_WHILE_RUNNING)
    overlay |= {
        "LOCAL_AWS_RUNNING": "1",
        "MOTO_PORT": str(port),
        "MOTO_ACCOUNT_ID": account_id,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    try:
        with _EnvOverlay(overlay), retry_waits_scaled(retry_wait_scale):
            aws = LocalAws(
                account_id=account_id,
                region=region,
                port=port,
                started_in_s=0.0,
                session=_isolated_session(region),
            )
            aws.moto_api("config", MOTO_CONFIG)
            aws.started_in_s = time.perf_counter() - started
            try:
                yield aws
            finally:
                aws.reset()
                aws._stop_https_listener()
    finally:
        server.stop()
        for key, value in saved_config.items():
            if value is not None:
                default_user_config[key] = value  # type: ignore[literal-required]
