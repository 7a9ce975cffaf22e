"""A small real HTTP server on 127.0.0.1 for feed, page and SSRF tests, scripted per path.

Every accepted connection and every request (path, headers) is recorded, so a test can prove that
a refused URL never reached the server (the SSRF canary). Behaviours: plain responses with ETag /
Last-Modified (answering 304 to a matching conditional request), redirects, a response that never
comes (`hang`), a body trickled a byte at a time (`trickle`), and a gzip bomb.

Use the `local_server` / `canary_server` fixtures (`pytest_plugins = ["tests.support.http_server"]`).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal

import pytest

Behaviour = Literal["plain", "hang", "trickle"]
HANG_LIMIT_SECONDS = 30.0  # a hanging handler gives up after this even if the test forgot to stop it
BOMB_CHUNK_BYTES = 1_000_000


@dataclass(frozen=True)
class Route:
    body: bytes = b""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    etag: str | None = None
    last_modified: str | None = None
    behaviour: Behaviour = "plain"
    trickle_interval_seconds: float = 0.2


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str] = field(default_factory=dict)


@cache
def gzip_bomb(decoded_bytes: int) -> bytes:
    """`decoded_bytes` zeros, gzip-compressed in chunks (about 1000:1) without holding them in memory."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(BOMB_CHUNK_BYTES)
    parts = [compressor.compress(zeros) for _ in range(decoded_bytes // BOMB_CHUNK_BYTES)]
    return b"".join([*parts, compressor.flush()])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, owner: LocalServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _Handler)

    def verify_request(self, request: object, client_address: object) -> bool:
        with self.owner.lock:
            self.owner.connections += 1
        return True


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(RecordedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = owner.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self._send(404, b"not found", ())
        elif route.behaviour == "hang":
            owner.stopped.wait(HANG_LIMIT_SECONDS)
        elif self._not_modified(route):
            self._send(304, b"", self._validators(route))
        elif route.behaviour == "trickle":
            self._trickle(route)
        else:
            self._send(route.status, route.body, route.headers + self._validators(route))

    def _not_modified(self, route: Route) -> bool:
        etag_matches = route.etag is not None and self.headers.get("If-None-Match") == route.etag
        date_matches = route.last_modified is not None and (
            self.headers.get("If-Modified-Since") == route.last_modified
        )
        return etag_matches or date_matches

    @staticmethod
    def _validators(route: Route) -> tuple[tuple[str, str], ...]:
        found = (("ETag", route.etag), ("Last-Modified", route.last_modified))
        return tuple((name, value) for name, value in found if value is not None)

    def _send(self, status: int, body: bytes, headers: tuple[tuple[str, str], ...]) -> None:
        self.send_response(status)
        names = {name.lower() for name, _ in headers}
        for name, value in headers:
            self.send_header(name, value)
        if "content-length" not in names:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _trickle(self, route: Route) -> None:
        self.send_response(route.status)
        for name, value in route.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(route.body)))
        self.end_headers()
        try:
            for i in range(len(route.body)):
                if self.server.owner.stopped.wait(route.trickle_interval_seconds):
                    return
                self.wfile.write(route.body[i : i + 1])
                self.wfile.flush()
        except OSError:  # the client gave up, as it should
            return


class LocalServer:
    """A running server; `url(path)` gives its address, `route`/`redirect`/... script it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.routes: dict[str, Route] = {}
        self.requests: list[RecordedRequest] = []
        self.connections = 0
        self.stopped = threading.Event()
        self._server = _Server(self)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        status: int = 200,
        content_type: str | None = "text/plain",
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> str:
        data = body.encode("utf-8") if isinstance(body, str) else body
        extra = dict(headers or {})
        if content_type:
            extra.setdefault("Content-Type", content_type)
        with self.lock:
            self.routes[path] = Route(data, status, tuple(extra.items()), etag, last_modified)
        return self.url(path)

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        return self.route(path, status=status, content_type=None, headers={"Location": to})

    def hang(self, path: str) -> str:
        with self.lock:
            self.routes[path] = Route(behaviour="hang")
        return self.url(path)

    def trickle(self, path: str, body: bytes, interval_seconds: float = 0.2) -> str:
        with self.lock:
            self.routes[path] = Route(body, behaviour="trickle", trickle_interval_seconds=interval_seconds)
        return self.url(path)

    def gzip_bomb(self, path: str, decoded_bytes: int, content_type: str = "application/rss+xml") -> str:
        headers = {"Content-Encoding": "gzip"}
        return self.route(path, gzip_bomb(decoded_bytes), content_type=content_type, headers=headers)

    def paths_requested(self) -> list[str]:
        with self.lock:
            return [request.path for request in self.requests]

    def close(self) -> None:
        self.stopped.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    server = LocalServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def canary_server() -> Iterator[LocalServer]:
    """A server that must never be reached: tests assert `connections == 0` after refused fetches."""
    server = LocalServer()
    server.route("/", "canary reached")
    try:
        yield server
    finally:
        server.close()
