"""The embedded AWS's listeners: no Nagle delay; the persistent one (s3a's) keeps connections open between
requests without mixing up two requests' bytes, the plain one closes after every response."""

from __future__ import annotations

import http.client
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from local_aws.listeners import Listener
from local_aws.server import HOST, start_local_aws


@contextmanager
def _serving(*, persistent: bool) -> Iterator[Listener]:
    with start_local_aws():  # moto's backends and the patches, as every local AWS has them
        served = Listener(HOST, persistent=persistent)
        try:
            yield served
        finally:
            served.stop()


@pytest.fixture
def listener() -> Iterator[Listener]:
    with _serving(persistent=True) as served:
        yield served


def _until_closed(port: int, request: bytes) -> bytes:
    """What the server sends for `request` on a new connection, read until the server closes it."""
    with socket.create_connection((HOST, port), timeout=10) as raw:
        raw.sendall(request)
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    return received


def _server_end(listener: Listener, client: socket.socket) -> socket.socket:
    """The listener's end of `client`'s connection (registered once the server has accepted it)."""
    for _ in range(100):
        served = [c for c in listener.connections() if c.getpeername() == client.getsockname()]
        if served:
            return served[0]
        time.sleep(0.01)
    raise AssertionError("the server's end of the connection was not found")


def _list_buckets(connection: http.client.HTTPConnection, *, body: bytes | None = None) -> bytes:
    connection.request("GET", "/", body=body, headers={"Host": f"{HOST}"})
    response = connection.getresponse()
    data = response.read()
    assert response.status == 200, data
    assert b"ListAllMyBucketsResult" in data
    return data


def test_answers_several_requests_on_one_connection(listener: Listener) -> None:
    connection = http.client.HTTPConnection(HOST, listener.port, timeout=10)
    _list_buckets(connection)
    first_socket = connection.sock
    assert first_socket is not None
    for _ in range(3):
        _list_buckets(connection)
        assert connection.sock is first_socket  # http.client reconnects (a new socket) after a close
    connection.close()


def test_a_body_the_application_does_not_read_does_not_reach_the_next_request(listener: Listener) -> None:
    connection = http.client.HTTPConnection(HOST, listener.port, timeout=10)
    # ListBuckets ignores a request body; its bytes must not be taken for the next request line
    _list_buckets(connection, body=b"GET /not-a-request HTTP/1.1\r\n\r\n" * 100)
    used = connection.sock
    _list_buckets(connection)
    assert connection.sock is used
    connection.close()


def test_a_chunked_request_closes_its_connection_after_the_response(listener: Listener) -> None:
    received = _until_closed(
        listener.port,
        b"PUT /chunked-bucket HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    )
    head = received.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 200"), head
    assert "Connection: close" in head


def test_a_client_asking_to_close_gets_its_connection_closed(listener: Listener) -> None:
    received = _until_closed(listener.port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert received.startswith(b"HTTP/1.1 200")
    assert b"ListAllMyBucketsResult" in received


@pytest.mark.parametrize("persistent", [True, False])
def test_responses_are_sent_without_waiting_for_acknowledgements(persistent: bool) -> None:
    # Nagle's algorithm off on the served connections: a response's body is not held back until the
    # client acknowledges its headers (about 40 ms per response with a body).
    with (
        _serving(persistent=persistent) as listener,
        socket.create_connection((HOST, listener.port), timeout=10) as raw,
    ):
        assert _server_end(listener, raw).getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        raw.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert raw.recv(65536).startswith(b"HTTP/1.1 200")


def test_the_plain_listener_closes_the_connection_after_every_response() -> None:
    # boto3's clients (moto's Step Functions with retries off among them) get a new connection per call
    with _serving(persistent=False) as listener:
        received = _until_closed(listener.port, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    head = received.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 200"), head
    assert "Connection: close" in head
    assert b"ListAllMyBucketsResult" in received


def test_stopping_a_listener_ends_the_connections_it_kept_open() -> None:
    # moto's state is process-wide: a client of a stopped embedded AWS must not reach the next one's
    with start_local_aws():
        served = Listener(HOST, persistent=True)
        connection = http.client.HTTPConnection(HOST, served.port, timeout=10)
        _list_buckets(connection)
        kept = connection.sock
        assert kept is not None
        served.stop()
        kept.settimeout(10)
        assert kept.recv(1) == b""  # the server ended it
        connection.close()


def test_an_idle_connection_is_left_open_for_its_client_to_end(listener: Listener) -> None:
    # A server closing an idle connection races with the client's next request on it; a client that
    # does not retry (moto's Step Functions calls to Glue) then fails the step.
    connection = http.client.HTTPConnection(HOST, listener.port, timeout=10)
    _list_buckets(connection)
    used = connection.sock
    assert used is not None
    # no idle limit: the handler waits for the next request
    assert _server_end(listener, used).gettimeout() is None
    _list_buckets(connection)
    assert connection.sock is used
    connection.close()
