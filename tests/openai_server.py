"""A real HTTP server speaking the OpenAI Chat Completions protocol, for tests.

It runs on 127.0.0.1 at a random port in a thread, answers ``POST /v1/chat/completions`` from a
script and ``POST /v1/embeddings`` with vectors from ``embed`` (a function of the input texts;
``embedding_faults`` are answered first, one per request), and records every request it received (``server.requests``: the parsed JSON bodies,
``server.headers``). A script step is a chat-completion body (``tool_reply``, ``text_reply``),
or a ``Fault`` (an HTTP status, a delay longer than the client's timeout, a body that is not
JSON), or a callable that builds the answer from the request. When the script runs out, the
``default`` answer is used (a plain text reply unless set).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = [
    "Fault",
    "ScriptedOpenAIServer",
    "Step",
    "call",
    "hashed_vectors",
    "scripted_server",
    "text_reply",
    "tool_reply",
]

_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Fault:
    """An answer that is not a normal completion."""

    status: int = 500
    body: str = '{"error": {"message": "scripted failure", "type": "server_error"}}'
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


Step = dict[str, Any] | Fault | Callable[[dict[str, Any]], "dict[str, Any] | Fault"]


def call(name: str, args: dict[str, Any] | str, call_id: str | None = None) -> dict[str, Any]:
    """One tool call as the server sends it; ``args`` as a string is sent verbatim."""
    arguments = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
    return {
        "id": call_id or f"call_{next(_ids)}",
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    }


def _completion(message: dict[str, Any], finish: str, usage: tuple[int, int]) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{next(_ids)}",
        "object": "chat.completion",
        "created": 1_795_000_000,
        "model": "scripted-1",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    }


def tool_reply(
    *calls: dict[str, Any], content: str | None = None, usage: tuple[int, int] = (120, 30)
) -> dict[str, Any]:
    return _completion(
        {"role": "assistant", "content": content, "tool_calls": list(calls)}, "tool_calls", usage
    )


def text_reply(text: str, usage: tuple[int, int] = (150, 12)) -> dict[str, Any]:
    return _completion({"role": "assistant", "content": text}, "stop", usage)


class ScriptedOpenAIServer:
    def __init__(
        self,
        script: list[Step] | None = None,
        *,
        default: Step | None = None,
        embed: Callable[[list[str]], list[list[float]]] | None = None,
        embedding_faults: list[Fault] | None = None,
    ) -> None:
        self.script: list[Step] = list(script or [])
        self.embed = embed or hashed_vectors
        self.embedding_faults: list[Fault] = list(embedding_faults or [])
        self.default: Step = default if default is not None else text_reply("好的。")
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="openai-server",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def push(self, *steps: Step) -> None:
        with self._lock:
            self.script.extend(steps)

    def start(self) -> ScriptedOpenAIServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

    def _next(self, body: dict[str, Any]) -> dict[str, Any] | Fault:
        with self._lock:
            step = self.script.pop(0) if self.script else self.default
        if callable(step):
            return step(body)
        return step

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                return None

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"_unparsed": raw.decode("utf-8", "replace")}
                with server._lock:
                    server.requests.append(body)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    server.paths.append(self.path)
                if self.path.endswith("/embeddings"):
                    self._embeddings(body)
                    return
                if not self.path.endswith("/chat/completions"):
                    self._send(404, '{"error": {"message": "no such route"}}', {})
                    return
                answer = server._next(body)
                if isinstance(answer, Fault):
                    if answer.delay:
                        time.sleep(answer.delay)
                    self._send(answer.status, answer.body, answer.headers)
                    return
                self._send(200, json.dumps(answer, ensure_ascii=False), {})

            def _embeddings(self, body: dict[str, Any]) -> None:
                with server._lock:
                    fault = server.embedding_faults.pop(0) if server.embedding_faults else None
                if fault is not None:
                    if fault.delay:
                        time.sleep(fault.delay)
                    self._send(fault.status, fault.body, fault.headers)
                    return
                raw = body.get("input", [])
                texts = [raw] if isinstance(raw, str) else [str(t) for t in raw]
                vectors = server.embed(texts)
                answer = {
                    "object": "list",
                    "model": body.get("model", "scripted-embed"),
                    "data": [
                        {"object": "embedding", "index": i, "embedding": v}
                        for i, v in enumerate(vectors)
                    ],
                    "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
                }
                self._send(200, json.dumps(answer), {})

            def _send(self, status: int, body: str, headers: dict[str, str]) -> None:
                data = body.encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

        return Handler


def hashed_vectors(texts: list[str], dimensions: int = 32) -> list[list[float]]:
    """Deterministic stand-in vectors: character bigrams hashed into ``dimensions`` buckets, so
    texts that share words are close (enough for a protocol test, not a model)."""
    out = []
    for text in texts:
        vector = [0.0] * dimensions
        for a, b in zip(text, text[1:] or " ", strict=False):
            vector[(ord(a) * 31 + ord(b)) % dimensions] += 1.0
        out.append(vector if any(vector) else [1.0] + [0.0] * (dimensions - 1))
    return out


@contextmanager
def scripted_server(
    script: list[Step] | None = None,
    *,
    default: Step | None = None,
    embed: Callable[[list[str]], list[list[float]]] | None = None,
    embedding_faults: list[Fault] | None = None,
) -> Iterator[ScriptedOpenAIServer]:
    server = ScriptedOpenAIServer(
        script, default=default, embed=embed, embedding_faults=embedding_faults
    ).start()
    try:
        yield server
    finally:
        server.stop()
