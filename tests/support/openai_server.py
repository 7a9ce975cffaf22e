"""A small OpenAI-compatible HTTP server on 127.0.0.1 for tests, scriptable per request.

Serves `POST /v1/chat/completions` (plain and `stream: true` SSE) and `POST /v1/embeddings`.
Each chat request takes the next scripted `Behaviour` (or the default echo) and every request
is recorded (path, headers, JSON body) so tests can assert what the real client sent.

Use the `openai_server` fixture (enable with `pytest_plugins = ["tests.support.openai_server"]`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import pytest

Kind = Literal[
    "ok",  # 200 with `text` (streamed as SSE when the request asks for it)
    "status",  # an HTTP error `status` with an OpenAI-style error body (+ Retry-After if set)
    "delay",  # sleep `delay_seconds` then answer `text` (provokes read timeouts)
    "close",  # close the connection without answering
    "malformed",  # 200 with a body that is not JSON
    "no_choices",  # 200 with `choices: []`
    "null_content",  # 200 with `message.content: null`
    "wrong_shape",  # 200, valid JSON, but choices without message/delta objects
    "cut_stream",  # SSE: send `cut_after` deltas, then drop the connection without [DONE]
]

EMBEDDING_DIMENSION = 64
POLL_INTERVAL_SECONDS = 0.02  # how fast shutdown() returns at fixture teardown
_FIRST_SOURCE = re.compile(r'<source id="1"[^>]*>\s*(.*?)\s*</source>', re.DOTALL)


@dataclass(frozen=True)
class Behaviour:
    kind: Kind = "ok"
    text: str | None = None  # None: the default echo of source [1]
    status: int = 500
    retry_after: str | None = None
    delay_seconds: float = 0.0
    finish_reason: str = "stop"
    cut_after: int = 2
    usage: tuple[int, int] = (11, 7)  # prompt_tokens, completion_tokens
    delta_pause_seconds: float = 0.0  # between streamed deltas, as a model writes (lets the bot edit mid-stream)


def ok(text: str | None = None, finish_reason: str = "stop", delta_pause_seconds: float = 0.0) -> Behaviour:
    return Behaviour("ok", text=text, finish_reason=finish_reason, delta_pause_seconds=delta_pause_seconds)


def status(code: int, retry_after: str | None = None) -> Behaviour:
    return Behaviour("status", status=code, retry_after=retry_after)


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: Any
    raw: bytes


def echo_answer(body: dict[str, Any]) -> str:
    """Deterministic default: the first sentence of source 1 from the last user message, citing [1]."""
    last_user = next((m for m in reversed(body.get("messages", [])) if m.get("role") == "user"), None)
    content = str(last_user.get("content", "")) if last_user else ""
    match = _FIRST_SOURCE.search(content)
    if not match:
        return "The sources do not answer this question."
    first_sentence = re.split(r"(?<=[.!?])\s+", match.group(1).strip())[0].rstrip(".!?")
    return f"{first_sentence} [1]."


def hashed_embedding(text: str) -> list[float]:
    """A deterministic bag-of-words vector: texts sharing words are close, others are not."""
    vector = [0.0] * EMBEDDING_DIMENSION
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        vector[digest[0] % EMBEDDING_DIMENSION] += 1.0 if digest[1] % 2 else -1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up (a timeout or cut-stream test, a cancelled answer) is expected here."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAIServer:
    """Thread-backed server; `script()` queues behaviours, `requests` records what arrived."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.default = Behaviour()
        self._queue: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._httpd = _Server(("127.0.0.1", 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": POLL_INTERVAL_SECONDS}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def script(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    def next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else self.default

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def start(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()


def _make_handler(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(_Handler):
        fake = server

    return Handler


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: FakeOpenAIServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.fake.record(RecordedRequest(self.path, headers, body, raw))
        if self.path.endswith("/embeddings"):
            self._embeddings(body or {})
        elif self.path.endswith("/chat/completions"):
            self._chat(body or {}, self.fake.next_behaviour())
        else:
            self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    # --- chat
    def _chat(self, body: dict[str, Any], behaviour: Behaviour) -> None:
        if behaviour.kind == "delay" and self.fake.stopping.wait(behaviour.delay_seconds):
            return
        if behaviour.kind == "close":
            self.close_connection = True
            self.connection.close()
            return
        if behaviour.kind == "status":
            self._error(behaviour)
            return
        text = behaviour.text if behaviour.text is not None else echo_answer(body)
        if body.get("stream"):
            try:
                self._stream(body, behaviour, text)
            except OSError:  # the client hung up mid-stream
                self.close_connection = True
        elif behaviour.kind == "malformed":
            self._send_raw(200, b'{"id": "x", "choices": [ {"message": ', "application/json")
        else:
            self._send_json(200, _completion(body, behaviour, text))

    def _error(self, behaviour: Behaviour) -> None:
        payload = {"error": {"message": f"scripted {behaviour.status}", "type": "server_error"}}
        headers = {"Retry-After": behaviour.retry_after} if behaviour.retry_after else {}
        self._send_json(behaviour.status, payload, headers)

    def _stream(self, body: dict[str, Any], behaviour: Behaviour, text: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if behaviour.kind == "wrong_shape":
            self._write_event(_chunk(body, {}, None) | {"choices": [{"index": 0, "delta": "oops"}]})
            self._write_chunk(b"data: [DONE]\n\n")
            self._write_chunk(b"")
            return
        if behaviour.kind == "malformed":
            self._write_chunk(b'data: {"id": "x", "choices": [ {"delta": \n\n')
        deltas = _split_deltas(text)
        if behaviour.kind in ("no_choices", "null_content"):
            deltas = []
            empty: dict[str, Any] = {"choices": []} if behaviour.kind == "no_choices" else {}
            self._write_event(_chunk(body, {"role": "assistant", "content": None}, None) | empty)
        for i, delta in enumerate(deltas):
            if behaviour.kind == "cut_stream" and i >= behaviour.cut_after:
                self.close_connection = True
                self.connection.close()  # no terminating chunk, no [DONE]
                return
            self._write_event(_chunk(body, {"content": delta}, None))
            if behaviour.delta_pause_seconds and self.fake.stopping.wait(behaviour.delta_pause_seconds):
                return
        if behaviour.kind != "no_choices":
            self._write_event(_chunk(body, {}, behaviour.finish_reason))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage_chunk = _chunk(body, {}, None) | {"choices": [], "usage": _usage(behaviour)}
            self._write_event(usage_chunk)
        self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")

    def _write_event(self, payload: dict[str, Any]) -> None:
        self._write_chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    # --- embeddings
    def _embeddings(self, body: dict[str, Any]) -> None:
        inputs = body.get("input", [])
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        data = [
            {"object": "embedding", "index": i, "embedding": hashed_embedding(str(t))}
            for i, t in enumerate(texts)
        ]
        usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
        self._send_json(200, {"object": "list", "data": data, "model": body.get("model"), "usage": usage})

    # --- plumbing
    def _send_json(self, code: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(code, json.dumps(payload).encode(), "application/json", headers)

    def _send_raw(self, code: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (read timeout): nothing to answer
            self.close_connection = True


def _usage(behaviour: Behaviour) -> dict[str, int]:
    prompt, completion = behaviour.usage
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _completion(body: dict[str, Any], behaviour: Behaviour, text: str) -> dict[str, Any]:
    content: str | None = None if behaviour.kind == "null_content" else text
    if behaviour.kind == "wrong_shape":
        return {"id": "chatcmpl-test", "choices": [{"index": 0, "finish_reason": "stop"}]}
    choices = [] if behaviour.kind == "no_choices" else [
        {"index": 0, "message": {"role": "assistant", "content": content},
         "finish_reason": behaviour.finish_reason}
    ]
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": 0,
            "model": body.get("model", "test"), "choices": choices, "usage": _usage(behaviour)}


def _chunk(body: dict[str, Any], delta: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0,
            "model": body.get("model", "test"),
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}


def _split_deltas(text: str) -> list[str]:
    """Word-sized deltas (whitespace kept), so joining them gives the text back exactly."""
    return re.findall(r"\S+\s*|\s+", text) or [""]


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    server = FakeOpenAIServer().start()
    try:
        yield server
    finally:
        server.stop()


__all__ = ["Behaviour", "FakeOpenAIServer", "RecordedRequest", "echo_answer", "ok", "openai_server",
           "status"]
