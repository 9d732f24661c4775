"""A scripted WeCom: a client that encrypts and signs callbacks like WeCom does, and a fake of
the WeCom server API at the httpx transport (the port for outbound HTTP)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from assistant.adapters.wecom.crypto import WeComCrypto

# The values of WeCom's published WXBizMsgCrypt sample.
CORP_ID = "wx5823bf96d3bd56c7"
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
BOT_TOKEN = "botToken123"
BOT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SECRET = "app-secret-never-logged"
AGENT_ID = "1000002"
ROBOT_KEY = "robot-key-0001"


def app_xml(
    *, sender: str, msg_type: str, create_time: int, msg_id: str | None = None, **fields: str
) -> bytes:
    parts = [
        f"<ToUserName><![CDATA[{CORP_ID}]]></ToUserName>",
        f"<FromUserName><![CDATA[{sender}]]></FromUserName>",
        f"<CreateTime>{create_time}</CreateTime>",
        f"<MsgType><![CDATA[{msg_type}]]></MsgType>",
    ]
    parts += [f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()]
    if msg_id is not None:
        parts.append(f"<MsgId>{msg_id}</MsgId>")
    parts.append(f"<AgentID>{AGENT_ID}</AgentID>")
    return ("<xml>" + "".join(parts) + "</xml>").encode()


@dataclass
class ScriptedWeCom:
    """Builds what WeCom would send to our callback URLs."""

    now: int
    crypto: WeComCrypto = field(
        default_factory=lambda: WeComCrypto(
            token=TOKEN, encoding_aes_key=AES_KEY, receive_id=CORP_ID
        )
    )
    bot_crypto: WeComCrypto = field(
        default_factory=lambda: WeComCrypto(
            token=BOT_TOKEN, encoding_aes_key=BOT_AES_KEY, receive_id=""
        )
    )

    def _query(
        self, crypto: WeComCrypto, encrypt: str, *, timestamp: int | None = None, **extra: str
    ) -> str:
        ts = str(self.now if timestamp is None else timestamp)
        nonce = secrets.token_hex(5)
        params = {
            "msg_signature": crypto.sign(ts, nonce, encrypt),
            "timestamp": ts,
            "nonce": nonce,
            **extra,
        }
        return urlencode(params)

    def verify_url(
        self, path: str = "/wecom/app", echo: bytes = b"echo-1616140317"
    ) -> tuple[str, bytes]:
        crypto = self.bot_crypto if path.endswith("bot") else self.crypto
        encrypt = crypto.encrypt(echo)
        return f"{path}?{self._query(crypto, encrypt, echostr=encrypt)}", echo

    def app_post(self, message: bytes, *, timestamp: int | None = None) -> tuple[str, bytes]:
        encrypt = self.crypto.encrypt(message)
        body = f"<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[{AGENT_ID}]]></AgentID></xml>"
        return f"/wecom/app?{self._query(self.crypto, encrypt, timestamp=timestamp)}", body.encode()

    def bot_post(self, message: dict[str, Any]) -> tuple[str, bytes]:
        encrypt = self.bot_crypto.encrypt(json.dumps(message, ensure_ascii=False).encode())
        return f"/wecom/bot?{self._query(self.bot_crypto, encrypt)}", json.dumps(
            {"encrypt": encrypt}
        ).encode()


@dataclass
class FakeWeComAPI:
    """The WeCom server API, recording what it was asked."""

    media: dict[str, bytes] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)  # media/upload bodies by media_id
    directory: dict[str, str] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    robot: list[dict[str, Any]] = field(default_factory=list)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    appchats: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_calls: int = 0
    expire_next: bool = False
    robot_errors: list[int] = field(default_factory=list)
    # AI bot image/file downloads: path under /aibot-file/ → (plain bytes, Content-Disposition)
    bot_files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    bot_file_key: str = BOT_AES_KEY

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def _ok(self, **extra: Any) -> httpx.Response:
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok", **extra})

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        params = request.url.params
        if path == "/cgi-bin/gettoken":
            if params.get("corpsecret") != SECRET:
                return httpx.Response(200, json={"errcode": 40001, "errmsg": "invalid credential"})
            self.token_calls += 1
            return self._ok(access_token=f"token-{self.token_calls}", expires_in=7200)
        if path == "/cgi-bin/webhook/send":
            if self.robot_errors:
                return httpx.Response(
                    200, json={"errcode": self.robot_errors.pop(0), "errmsg": "busy"}
                )
            self.robot.append({"key": params.get("key"), **json.loads(request.content)})
            return self._ok()
        if path.startswith("/aibot-file/"):
            found = self.bot_files.get(path.removeprefix("/aibot-file/"))
            if found is None:
                return httpx.Response(404, content=b"not found")
            plain, disposition = found
            crypto = WeComCrypto(token=BOT_TOKEN, encoding_aes_key=self.bot_file_key, receive_id="")
            headers = {"content-type": "application/octet-stream"}
            if disposition:
                headers["content-disposition"] = disposition
            return httpx.Response(200, content=crypto.encrypt_media(plain), headers=headers)
        if path.startswith("/respond/"):
            self.responses.append((path, json.loads(request.content)))
            return self._ok()
        if params.get("access_token") != f"token-{self.token_calls}" or self.expire_next:
            self.expire_next = False
            return httpx.Response(200, json={"errcode": 42001, "errmsg": "access_token expired"})
        if path in ("/cgi-bin/message/send", "/cgi-bin/appchat/send"):
            self.sent.append(json.loads(request.content))
            return self._ok()
        if path == "/cgi-bin/media/upload":
            if params.get("type") != "image" or b"\x89PNG" not in request.content:
                return httpx.Response(200, json={"errcode": 40004, "errmsg": "invalid media"})
            media_id = f"up-{len(self.uploads) + 1}"
            self.uploads[media_id] = request.content
            return self._ok(type="image", media_id=media_id)
        if path == "/cgi-bin/appchat/create":
            body = json.loads(request.content)
            users = body.get("userlist") or []
            if body.get("chatid") in self.appchats:
                return httpx.Response(200, json={"errcode": 86215, "errmsg": "chatid exists"})
            if len(users) < 2 or body.get("owner") not in users:
                return httpx.Response(200, json={"errcode": 86216, "errmsg": "invalid userlist"})
            self.appchats[body["chatid"]] = body
            return self._ok(chatid=body["chatid"])
        if path == "/cgi-bin/appchat/get":
            chat = self.appchats.get(params.get("chatid", ""))
            if chat is None:
                return httpx.Response(200, json={"errcode": 86003, "errmsg": "chat not found"})
            return self._ok(chat_info=chat)
        if path == "/cgi-bin/media/get":
            content = self.media.get(params.get("media_id", ""))
            if content is None:
                return httpx.Response(200, json={"errcode": 40007, "errmsg": "invalid media_id"})
            return httpx.Response(
                200,
                content=content,
                headers={
                    "content-type": "voice/amr",
                    "content-disposition": 'attachment; filename="v.amr"',
                },
            )
        if path == "/cgi-bin/user/get":
            name = self.directory.get(params.get("userid", ""))
            if name is None:
                return httpx.Response(200, json={"errcode": 60111, "errmsg": "userid not found"})
            return self._ok(userid=params.get("userid"), name=name)
        return httpx.Response(404, json={"errcode": 404, "errmsg": "no such api"})
