from __future__ import annotations

import os
import socket
from pathlib import Path

import boto3
import pytest

from local_aws.server import start_local_aws


def test_starts_on_a_free_loopback_port_and_sets_moto_port_while_running() -> None:
    with start_local_aws(account_id="111111111111", region="eu-west-1") as aws:
        assert aws.endpoint_url == f"http://127.0.0.1:{aws.port}"
        assert os.environ["MOTO_PORT"] == str(aws.port)
        with socket.create_connection(("127.0.0.1", aws.port), timeout=2):
            pass
        assert aws.started_in_s < 10
    assert os.environ.get("MOTO_PORT") != str(aws.port)


def test_stop_frees_the_port_and_forgets_every_resource() -> None:
    with start_local_aws() as aws:
        aws.client("sqs").create_queue(QueueName="left-behind")
        first_port = aws.port
    with socket.socket() as probe:
        # SO_REUSEADDR: connections the server closed may linger in TIME_WAIT, but no socket may listen
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", first_port))  # free again
        probe.listen()
    with start_local_aws() as aws:
        assert aws.client("sqs").list_queues().get("QueueUrls", []) == []


def test_callers_see_the_requested_account_and_region() -> None:
    with start_local_aws(account_id="222222222222", region="eu-central-1") as aws:
        assert aws.client("sts").get_caller_identity()["Account"] == "222222222222"
        url = aws.client("sqs").create_queue(QueueName="q")["QueueUrl"]
        assert "222222222222" in url


def test_never_reads_the_users_aws_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text("[profile real]\nregion = us-west-2\nendpoint_url = https://example.invalid\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "real")
    with start_local_aws(region="eu-west-1") as aws:
        assert aws.client("s3").meta.region_name == "eu-west-1"
        assert aws.client("s3").list_buckets()["Buckets"] == []
        # anything that builds its own default session (handlers, moto's interpreter) sees no profile
        assert boto3.Session().profile_name == "default"
        assert os.environ["AWS_CONFIG_FILE"] == os.devnull
    assert os.environ["AWS_PROFILE"] == "real"


def test_refuses_a_second_embedded_aws_in_the_same_process() -> None:
    with start_local_aws(), pytest.raises(RuntimeError, match="already running"), start_local_aws():
        pass


def test_https_listener_serves_the_same_state_to_clients_trusting_its_certificate() -> None:
    with start_local_aws() as aws:
        aws.client("sqs").create_queue(QueueName="shared")
        endpoint, tls = aws.https_listener()
        assert endpoint.startswith("https://127.0.0.1:")
        assert tls.truststore.exists()
        secure = aws.session.client("sqs", endpoint_url=endpoint, verify=str(tls.certificate))
        assert secure.list_queues()["QueueUrls"][0].endswith("/shared")
