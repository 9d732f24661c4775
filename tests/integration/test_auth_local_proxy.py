"""Local mode (no token exists yet) behind a reverse proxy on the same machine: the proxy
connects from 127.0.0.1, so the address alone would open the API to whoever reaches the proxy.
Local mode refuses requests carrying proxy headers or naming another host, with a Chinese 401.

Real HTTP: Qunmi under uvicorn on a loopback port, and a small forwarding proxy in front of it
that behaves like a default Caddy / Apache / nginx-with-X-Forwarded-For set-up."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.engines.rules import RuleEngine
from assistant.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def qunmi(settings: Settings, clock: FixedClock) -> Iterator[Qunmi]:
    q = bootstrap(settings, clock=clock, engine=RuleEngine())
    yield q
    q.close()


@pytest.fixture
def server(qunmi: Qunmi) -> Iterator[str]:
    """Qunmi on a real loopback port; its base URL."""
    port = _free_port()
    app = create_app(qunmi, start_worker=False, seed_demo=True)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def _proxy(
    upstream: str, public_host: str | None, forwarded: bool
) -> tuple[str, ThreadingHTTPServer]:
    """A same-host reverse proxy: forwards every request to ``upstream`` from 127.0.0.1,
    adding X-Forwarded-For (``forwarded``) and passing the public Host on (``public_host``)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
            return

        def _forward(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
            }
            if forwarded:
                headers["X-Forwarded-For"] = "203.0.113.50"
                headers["X-Real-IP"] = "203.0.113.50"
            if public_host is not None:
                headers["Host"] = public_host
            r = httpx.request(
                self.command, upstream + self.path, headers=headers, content=body, timeout=10
            )
            self.send_response(r.status_code)
            for k, v in r.headers.items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(r.content)))
            self.end_headers()
            self.wfile.write(r.content)

        do_GET = do_POST = _forward  # noqa: N815 - stdlib names

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{proxy.server_address[1]}", proxy


def test_direct_loopback_is_the_local_operator(server: str) -> None:
    me = httpx.get(f"{server}/auth/me", timeout=10).json()
    assert me["kind"] == "local"
    r = httpx.post(f"{server}/tasks", json={"title": "本机任务"}, timeout=10)
    assert r.status_code == 201
    r = httpx.get(f"{server}/tasks", headers={"Host": "localhost:8000"}, timeout=10)
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("public_host", "forwarded", "said"),
    [
        # Caddy / Apache / nginx with X-Forwarded-For. (uvicorn itself trusts X-Forwarded-For
        # from 127.0.0.1 and sees the far client: refused as not this machine; other servers
        # or settings leave 127.0.0.1 and the proxy header refuses it.)
        ("qunmi.example.com", True, "本机"),
        (None, True, "本机"),  # Host rewritten to the upstream, proxy headers added
        ("qunmi.example.com", False, "Host"),  # nginx with proxy_set_header Host $host only
    ],
    ids=["public-host-and-forwarded-for", "forwarded-for-only", "public-host-only"],
)
def test_requests_through_a_same_host_proxy_are_refused(
    server: str, public_host: str | None, forwarded: bool, said: str
) -> None:
    base, proxy = _proxy(server, public_host, forwarded)
    try:
        for method, path, body in (
            ("GET", "/tasks", None),
            ("POST", "/tasks", {"title": "从外面建的"}),
            ("GET", "/members", None),
        ):
            r = httpx.request(method, f"{base}{path}", json=body, timeout=10)
            assert r.status_code == 401, (path, r.text)
            reason = r.json()["reason"]
            assert "本机" in reason and said in reason and "qunmi token create" in reason
        # The open paths stay open through the proxy (the console page, health).
        assert httpx.get(f"{base}/health", timeout=10).status_code == 200
    finally:
        proxy.shutdown()
    assert httpx.get(f"{server}/tasks", timeout=10).json()["items"] == []  # nothing created


@pytest.mark.parametrize(
    "headers",
    [
        {"Forwarded": "for=198.51.100.7;proto=https"},
        {"X-Forwarded-For": "198.51.100.7"},
        {"X-Real-IP": "198.51.100.7"},
        {"X-Forwarded-Host": "qunmi.example.com"},
        {"Via": "1.1 proxy"},
        {"Host": "evil.example"},  # DNS rebinding: another site's name pointing at 127.0.0.1
        {"Host": "127.0.0.1.evil.example:8000"},
    ],
)
def test_each_proxy_sign_is_refused_in_local_mode(qunmi: Qunmi, headers: dict[str, str]) -> None:
    app = create_app(qunmi, start_worker=False, seed_demo=True)
    with TestClient(app, client=("127.0.0.1", 5000), base_url="http://127.0.0.1:8000") as local:
        assert local.get("/tasks").status_code == 200
        r = local.get("/tasks", headers=headers)
        assert r.status_code == 401 and "本机模式" in r.json()["reason"]


def test_with_a_token_the_proxy_headers_do_not_matter(qunmi: Qunmi) -> None:
    """Once tokens exist the caller is whoever the token says, through a proxy or not."""
    app = create_app(qunmi, start_worker=False, seed_demo=True)
    with TestClient(app, client=("127.0.0.1", 5000), base_url="http://127.0.0.1:8000") as local:
        made = local.post("/tokens", json={"member": "张三"})
        assert made.status_code == 201
        proxied = {"X-Forwarded-For": "203.0.113.50", "Host": "qunmi.example.com"}
        assert local.get("/tasks", headers=proxied).status_code == 401
        auth = {"Authorization": f"Bearer {made.json()['token']}", **proxied}
        assert local.get("/tasks", headers=auth).status_code == 200
