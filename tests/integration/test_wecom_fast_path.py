"""The ASGI fast path for signed WeCom callbacks: which requests it answers itself, which it
hands to the routes, and that every request it hands on still gets the routes' normal answer.

Two views of the same requests: the fast path in front of an app that records what reaches it
(which requests fall through), and the whole app (what each of them is answered)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from types import SimpleNamespace

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from api.routes.wecom import CallbackFastPath
from tests.integration.test_wecom_callbacks import World, world  # noqa: F401 - the fixture
from tests.wecom_fakes import app_xml

Request = tuple[str, str, bytes]  # method, URL (path and query), body


class Behind:
    """The app behind the fast path: records every request that reaches it, answers 299."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.seen.append((scope["method"], scope["path"]))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def _text(w: World, msg_id: str) -> bytes:
    return app_xml(
        sender="zhangsan",
        msg_type="text",
        create_time=w.wecom.now,
        msg_id=msg_id,
        Content="@小王 周五前把登录页设计稿出了",
    )


def _signed(w: World, msg_id: str) -> tuple[str, bytes]:
    return w.wecom.app_post(_text(w, msg_id))


def _param(url: str, name: str) -> str:
    found = re.search(rf"[?&]{name}=([^&]*)", url)
    assert found is not None
    return found.group(1)


def _without(url: str, name: str) -> str:
    path, _, query = url.partition("?")
    kept = [p for p in query.split("&") if not p.startswith(f"{name}=")]
    return f"{path}?{'&'.join(kept)}"


# Each case: the request, the status the routes answer, and whether the message is stored.
def _missing_nonce(w: World) -> Request:
    url, body = _signed(w, "8101")
    return "POST", _without(url, "nonce"), body


def _overlong_signature(w: World) -> Request:
    url, body = _signed(w, "8102")
    return "POST", url.replace("msg_signature=", "msg_signature=" + "0" * 200), body


def _repeated_timestamp(w: World) -> Request:
    url, body = _signed(w, "8103")
    return "POST", f"{url}&timestamp={_param(url, 'timestamp')}", body


def _repeated_forged_signature(w: World) -> Request:
    url, body = _signed(w, "8104")
    return "POST", f"{url}&msg_signature={'f' * 40}", body


def _empty_query_field(w: World) -> Request:
    url, body = _signed(w, "8105")
    return "POST", url.replace("&nonce=", "&&nonce="), body


def _bot_missing_signature(w: World) -> Request:
    url, body = w.wecom.bot_post(
        {"msgid": "b-8106", "from": {"userid": "zhangsan"}, "msgtype": "text"}
    )
    return "POST", _without(url, "msg_signature"), body


def _url_verification(w: World) -> Request:
    url, _ = w.wecom.verify_url("/wecom/app")
    return "GET", url, b""


def _put(w: World) -> Request:
    url, body = _signed(w, "8107")
    return "PUT", url, body


FALL_THROUGH: dict[str, tuple[Callable[[World], Request], int, int]] = {
    "missing nonce": (_missing_nonce, 422, 0),
    "signature over 128 characters": (_overlong_signature, 422, 0),
    "timestamp given twice": (_repeated_timestamp, 200, 1),
    "a second, forged signature": (_repeated_forged_signature, 403, 0),
    "empty query field": (_empty_query_field, 200, 1),
    "bot callback without signature": (_bot_missing_signature, 422, 0),
    "GET URL verification": (_url_verification, 200, 0),
    "PUT": (_put, 405, 0),
}


def _answer(w: World, behind: Behind, request: Request) -> httpx.Response:
    """``request`` to the fast path alone (in front of ``behind``), with the app state that
    Starlette gives it."""
    fast = CallbackFastPath(behind)
    app = SimpleNamespace(state=SimpleNamespace(qunmi=w.q))

    async def with_app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["app"] = app
        await fast(scope, receive, send)

    async def send() -> httpx.Response:
        method, url, body = request
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=with_app), base_url="http://wecom.test"
        ) as client:
            response = await client.request(method, url, content=body)
            await response.aread()
            return response

    return asyncio.run(send())


@pytest.mark.parametrize("case", list(FALL_THROUGH))
def test_unusual_requests_fall_through_to_the_routes(world: World, case: str) -> None:  # noqa: F811
    build, _, _ = FALL_THROUGH[case]
    behind = Behind()
    method, url, body = build(world)
    assert _answer(world, behind, (method, url, body)).status_code == 299
    assert behind.seen == [(method, url.partition("?")[0])]
    assert world.count("messages") == 0  # the fast path stored nothing on its own


@pytest.mark.parametrize("case", list(FALL_THROUGH))
def test_what_falls_through_gets_the_routes_answer(world: World, case: str) -> None:  # noqa: F811
    build, status, stored = FALL_THROUGH[case]
    method, url, body = build(world)
    r = world.client.request(method, url, content=body)
    assert r.status_code == status, r.text
    assert world.count("messages") == stored
    if status == 422:
        reason: str = r.json()["reason"]
        assert re.search(r"[\u4e00-\u9fff]", reason), reason  # in Chinese, naming the field
        assert any(name in reason for name in ("nonce", "msg_signature")), reason
    if status == 405:
        assert {"GET", "POST"} <= {m.strip() for m in r.headers["allow"].split(",")}
    if method == "GET":
        assert r.content == b"echo-1616140317"  # the decrypted echostr
    if stored:
        assert r.text == ""  # WeCom's "received"
        assert world.drain() == 1
        tasks = world.client.get("/tasks").json()["items"]
        assert [(t["title"], t["assignee"]) for t in tasks] == [("出登录页设计稿", "王磊")]


def test_the_usual_callback_is_answered_by_the_fast_path_itself(world: World) -> None:  # noqa: F811
    behind = Behind()
    url, body = _signed(world, "8201")
    assert _answer(world, behind, ("POST", url, body)).status_code == 200
    assert behind.seen == []
    assert world.count("messages") == 1
    # Redelivered: acknowledged again, stored once.
    assert _answer(world, behind, ("POST", url, body)).status_code == 200
    assert behind.seen == [] and world.count("messages") == 1


def test_fast_path_refusals_match_the_routes(world: World) -> None:  # noqa: F811
    """A callback the fast path refuses itself gets the refusal the route gives the same
    callback (status and reason; the route is reached with an empty query field, which the
    fast path hands on), and nothing is stored."""
    url, body = _signed(world, "8202")
    forged = url.replace("msg_signature=", "msg_signature=ff")
    stale_url, stale_body = world.wecom.app_post(
        _text(world, "8203"), timestamp=world.wecom.now - 600
    )
    for request_url, request_body in (
        (forged, body),
        (url, b"<xml><Encrypt>"),
        (stale_url, stale_body),
    ):
        behind = Behind()
        fast = _answer(world, behind, ("POST", request_url, request_body))
        assert behind.seen == []
        routed = world.client.post(request_url.replace("&nonce=", "&&nonce="), content=request_body)
        assert (fast.status_code, fast.json()) == (routed.status_code, routed.json())
        assert 400 <= fast.status_code < 500 and fast.json()["reason"]
    assert world.count("messages") == 0
