"""The embedded AWS's listeners: moto's application served without the Nagle delay and, to s3a, over
HTTP/1.1 persistent connections.

moto serves from werkzeug's development server, which ends every response with `Connection: close` and
writes a response's headers and body in separate small writes. A client then opens a new connection
for every request (for Spark's s3a over HTTPS, a TCP connection and a TLS handshake per S3 call), and
with Nagle's algorithm on, a response body waits for the client's delayed acknowledgement of the
headers: about 40 ms on every response that has a body. A local Glue run makes hundreds of S3 calls.

`NoDelayRequestHandler` sends without that delay (`TCP_NODELAY`) and otherwise answers as werkzeug
does, closing the connection after every response. `PersistentRequestHandler` also keeps each
connection open for the client's next request, as S3 does. werkzeug closes every connection because after a response it
discards whatever is left to read on the socket (an unread request body), which on a kept connection
could be the next request; here the handler reads its request through a stream limited to the
request's `Content-Length`, so that clean-up discards only the body's unread rest and never reads into
the next request. A request whose body is chunked (length not known in advance) keeps werkzeug's
behaviour: its connection is closed after the response, as is one whose client asks for that
(`Connection: close`, or HTTP/1.0).

The listener never closes a kept connection because it has been idle: a server closing an idle
connection races with its client sending the next request on it, and a client that does not retry loses
that request. moto's Step Functions calls Glue through boto3 clients made with retries off; with a
300 s idle limit here, a Glue step of a long backfill failed with "Connection was closed before we
received a valid response" (reproduced with a 2 s limit: 3 of 12 executions failed). Clients end their
own idle connections (s3a's pool after 60 s; boto3's when the client goes), and stopping the listener
ends the rest.

Only the HTTPS listener (Spark's s3a, whose AWS SDK retries a failed call) keeps connections. The plain
HTTP listener, which every boto3 client uses (moto's Step Functions with retries off among them),
closes after every response as it always did: with it kept open too, a clean-clone CI run still lost
one of twelve backfill executions before its first Glue step, with no idle limit; the cause was not
captured, and the Nagle delay (the measured cost) is gone on both listeners either way.

`Listener` serves moto's application on a free port of 127.0.0.1 from a background thread, over plain
HTTP or, given an SSL context, HTTPS. Every listener serves the same moto backends (process-wide), so
stopping one also ends the connections it kept open: a client left over from a stopped embedded AWS
(a thread of an earlier test, say) must fail as it did when every connection closed, not reach the
next embedded AWS's state through its old connection.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from typing import Any

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server
from werkzeug.wsgi import LimitedStream


class NoDelayRequestHandler(MotoRequestHandler):
    """moto's request handler, sending without the Nagle delay; its listener can end its connection."""

    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        self._served().add(self.connection)

    def finish(self) -> None:
        self._served().discard(self.connection)
        super().finish()

    def _served(self) -> _Connections:
        """The connections its listener is serving (`Listener` gives its server one)."""
        served: _Connections = self.server.kept_connections  # type: ignore[attr-defined]
        return served


class PersistentRequestHandler(NoDelayRequestHandler):
    """`NoDelayRequestHandler`, keeping each connection open for the client's next request."""

    protocol_version = "HTTP/1.1"
    timeout = None  # never close an idle connection: only its client, or `Listener.stop`, ends it
    _keep: bool = False

    def run_wsgi(self) -> None:
        self._keep = "chunked" not in self.headers.get("Transfer-Encoding", "").lower()
        if not self._keep:
            super().run_wsgi()
            return
        stream: Any = self.rfile
        self.rfile = LimitedStream(stream, int(self.headers.get("Content-Length") or 0))  # type: ignore[assignment]
        try:
            super().run_wsgi()
        finally:
            self.rfile = stream

    def send_header(self, keyword: str, value: str) -> None:
        if self._keep and keyword.lower() == "connection" and value.lower() == "close":
            return  # werkzeug's "close every connection": this one stays open (see the module's text)
        super().send_header(keyword, value)


class _Connections:
    """The connections a listener is serving, so that stopping it can end them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()

    def add(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.add(connection)

    def discard(self, connection: socket.socket) -> None:
        with self._lock:
            self._open.discard(connection)

    def now(self) -> list[socket.socket]:
        with self._lock:
            return list(self._open)

    def end_all(self) -> None:
        for connection in self.now():
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)  # its handler thread then reads the end and closes it


class Listener:
    """moto's application on a free port of `host`, served by a background thread until `stop()`; over
    persistent connections if `persistent`."""

    def __init__(
        self, host: str, *, ssl_context: ssl.SSLContext | None = None, persistent: bool = False
    ) -> None:
        # Port 0: the OS picks a free port when the server binds, so no other process can take it first.
        self._server = make_server(
            host,
            0,
            DomainDispatcherApplication(create_backend_app),
            threaded=True,
            request_handler=PersistentRequestHandler if persistent else NoDelayRequestHandler,
            ssl_context=ssl_context,
        )
        self._connections = _Connections()
        self._server.kept_connections = self._connections  # type: ignore[attr-defined]
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            name=f"local-aws-{'https' if ssl_context else 'http'}-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def connections(self) -> list[socket.socket]:
        """The server's ends of the connections it is serving now."""
        return self._connections.now()

    def stop(self) -> None:
        """Stop accepting connections, close the listening socket and end every kept connection."""
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()
        self._connections.end_all()
