"""The WeCom server API over httpx: access_token (cached until shortly before it expires),
message send, media download, directory lookup, and posting to a response URL.

The httpx transport is the seam: tests pass an ``httpx.MockTransport`` or point ``api_base`` at a
local HTTP server. Tokens, secrets and robot keys travel in query strings, so httpx's own request
log (which prints full URLs) is raised to WARNING here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx

from assistant.errors import ChannelError
from assistant.ports import Clock

__all__ = ["ResponseUrlPolicy", "WeComClient", "WeComMedia"]

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)

# access_token invalid / expired / not matching: fetch a new one and try once more
_TOKEN_ERRORS = {40001, 40014, 42001}
_REFRESH_MARGIN_SECONDS = 300


CHAT_ID_TAKEN = 86215
"""``appchat/create``: a group with this chat id exists already (our earlier request made it)."""


class ResponseUrlPolicy:
    """Which URLs a bot reply may be posted to: WeCom's own hosts, as configured.

    An entry ``qyapi.weixin.qq.com`` allows ``https://qyapi.weixin.qq.com/...``; an entry with a
    scheme (``http://127.0.0.1:8081``) allows exactly that scheme, host and port. Anything with
    credentials in it, another scheme or another host is refused.
    """

    def __init__(self, entries: Sequence[str]) -> None:
        self._allowed: set[tuple[str, str, int | None]] = set()
        for entry in entries:
            entry = entry.strip().lower()
            if not entry:
                continue
            url = httpx.URL(entry if "://" in entry else f"https://{entry}")
            self._allowed.add((url.scheme, url.host, url.port))

    def allows(self, url: str) -> bool:
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError):
            return False
        if parsed.userinfo or parsed.scheme not in ("https", "http"):
            return False
        return (parsed.scheme, parsed.host.lower(), parsed.port) in self._allowed


def _disposition_name(disposition: str) -> str | None:
    """The file name in a Content-Disposition header (``filename*=UTF-8''…`` preferred)."""
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename*" and "''" in value:
            return unquote(value.split("''", 1)[1].strip('"')) or None
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename":
            return value.strip().strip('"') or None
    return None


@dataclass(frozen=True, slots=True)
class WeComMedia:
    content: bytes
    content_type: str
    filename: str | None = None


class WeComClient:
    """A client of one self-built app (corp id + secret + agent id)."""

    def __init__(
        self,
        *,
        api_base: str,
        corp_id: str,
        secret: str,
        agent_id: str,
        clock: Clock,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        response_urls: ResponseUrlPolicy | None = None,
    ) -> None:
        self.response_urls = response_urls or ResponseUrlPolicy(["qyapi.weixin.qq.com"])
        self._base = api_base.rstrip("/")
        self._corp_id = corp_id
        self._secret = secret
        self.agent_id = agent_id
        self._clock = clock
        self._http = httpx.Client(transport=transport, timeout=timeout)
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_expires: float = 0.0
        self.token_fetches = 0

    def __repr__(self) -> str:
        return f"WeComClient(api_base={self._base!r}, agent_id={self.agent_id!r})"

    def close(self) -> None:
        self._http.close()

    # -- access token -------------------------------------------------------------------------

    def access_token(self, *, refresh: bool = False) -> str:
        now = self._clock.now().timestamp()
        with self._lock:
            if not refresh and self._token and now < self._token_expires:
                return self._token
            data = self._json(
                self._http.get(
                    f"{self._base}/cgi-bin/gettoken",
                    params={"corpid": self._corp_id, "corpsecret": self._secret},
                ),
                "获取 access_token",
            )
            token = data.get("access_token")
            if not isinstance(token, str) or not token:
                raise ChannelError("企业微信没有返回 access_token")
            expires_in = int(data.get("expires_in", 7200))
            self._token = token
            self._token_expires = now + max(expires_in - _REFRESH_MARGIN_SECONDS, 60)
            self.token_fetches += 1
            return token

    def _with_token(self, call: Callable[[str], httpx.Response], what: str) -> httpx.Response:
        response = call(self.access_token())
        if self._token_rejected(response):
            response = call(self.access_token(refresh=True))
        return response

    @staticmethod
    def _token_rejected(response: httpx.Response) -> bool:
        if not response.headers.get("content-type", "").startswith(
            ("application/json", "text/plain")
        ):
            return False
        try:
            data = response.json()
        except ValueError:
            return False
        return isinstance(data, dict) and data.get("errcode") in _TOKEN_ERRORS

    @staticmethod
    def _json(response: httpx.Response, what: str) -> dict[str, Any]:
        if response.status_code >= 400:
            raise ChannelError(f"企业微信接口{what}失败：HTTP {response.status_code}")
        try:
            data = response.json()
        except ValueError as exc:
            raise ChannelError(f"企业微信接口{what}返回的不是 JSON") from exc
        if not isinstance(data, dict):
            raise ChannelError(f"企业微信接口{what}返回的不是 JSON 对象")
        errcode = data.get("errcode", 0)
        if errcode:
            raise ChannelError(
                f"企业微信接口{what}失败：{errcode} {data.get('errmsg', '')}".strip(),
                details={"errcode": errcode},
            )
        return data

    # -- calls --------------------------------------------------------------------------------

    def send_markdown(
        self, content: str, *, touser: str | None = None, chat_id: str | None = None
    ) -> None:
        """To users (``a|b``) through the app, or to an app group chat by its chat id."""
        body = {"msgtype": "markdown", "markdown": {"content": content}}
        self._send(body, touser=touser, chat_id=chat_id, what="发消息")

    def upload_image(self, data: bytes, *, filename: str = "chart.png") -> str:
        """Upload a PNG as temporary media (kept 3 days by WeCom); returns its media_id."""
        url = f"{self._base}/cgi-bin/media/upload"
        response = self._with_token(
            lambda token: self._http.post(
                url,
                params={"access_token": token, "type": "image"},
                files={"media": (filename, data, "image/png")},
            ),
            "上传图片",
        )
        media_id = self._json(response, "上传图片").get("media_id")
        if not media_id:
            raise ChannelError("企业微信上传图片没有返回 media_id")
        return str(media_id)

    def send_image(
        self, media_id: str, *, touser: str | None = None, chat_id: str | None = None
    ) -> None:
        """An image message (uploaded media) to users through the app, or to an app chat."""
        body = {"msgtype": "image", "image": {"media_id": media_id}}
        self._send(body, touser=touser, chat_id=chat_id, what="发图片")

    def _send(
        self, body: dict[str, Any], *, touser: str | None, chat_id: str | None, what: str
    ) -> None:
        body = dict(body)
        if chat_id:
            url = f"{self._base}/cgi-bin/appchat/send"
            body["chatid"] = chat_id
        else:
            url = f"{self._base}/cgi-bin/message/send"
            body["touser"] = touser or "@all"
            body["agentid"] = int(self.agent_id) if self.agent_id.isdigit() else self.agent_id
            # A send the outbox repeats because it died before recording the first one is
            # dropped by WeCom itself (same content to the same users within 30 minutes).
            body["enable_duplicate_check"] = 1
            body["duplicate_check_interval"] = 1800
        response = self._with_token(
            lambda token: self._http.post(url, params={"access_token": token}, json=body), what
        )
        self._json(response, what)

    def get_media(self, media_id: str) -> WeComMedia:
        """A temporary media file (a voice message's AMR, a file) by its media_id."""
        url = f"{self._base}/cgi-bin/media/get"
        response = self._with_token(
            lambda token: self._http.get(url, params={"access_token": token, "media_id": media_id}),
            "下载素材",
        )
        content_type = response.headers.get("content-type", "")
        if response.status_code >= 400 or content_type.startswith(
            ("application/json", "text/plain")
        ):
            self._json(response, "下载素材")
            raise ChannelError("企业微信接口下载素材没有返回文件")
        filename = _disposition_name(response.headers.get("content-disposition", ""))
        return WeComMedia(content=response.content, content_type=content_type, filename=filename)

    def download(self, url: str, *, max_bytes: int) -> WeComMedia:
        """A file behind a URL WeCom handed out (an AI bot's image or file message): fetched
        only from WeCom's hosts (the response URL allow-list), at most ``max_bytes``."""
        if not self.response_urls.allows(url):
            raise ChannelError("文件地址不是企业微信的地址，没有下载")
        with self._http.stream("GET", url) as response:
            if response.status_code >= 400:
                raise ChannelError(f"企业微信文件下载失败（HTTP {response.status_code}）")
            content_type = response.headers.get("content-type", "")
            if content_type.startswith("application/json"):
                response.read()
                self._json(response, "下载文件")
                raise ChannelError("企业微信没有返回文件")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ChannelError(
                        f"企业微信发来的文件太大，最多 {max_bytes // 1024 // 1024} MB"
                    )
                chunks.append(chunk)
        return WeComMedia(
            content=b"".join(chunks),
            content_type=content_type,
            filename=_disposition_name(response.headers.get("content-disposition", "")),
        )

    def user_name(self, userid: str) -> str | None:
        """The member's name in the WeCom directory, or None when it has none."""
        url = f"{self._base}/cgi-bin/user/get"
        response = self._with_token(
            lambda token: self._http.get(url, params={"access_token": token, "userid": userid}),
            "读取通讯录",
        )
        name = self._json(response, "读取通讯录").get("name")
        return str(name).strip() or None if name else None

    def create_appchat(
        self, *, chat_id: str, name: str, owner: str, userids: Sequence[str]
    ) -> None:
        """Create an app group chat with the id we chose (``appchat/create``): asking again for
        the same id finds it made and is no second group."""
        url = f"{self._base}/cgi-bin/appchat/create"
        body = {"chatid": chat_id, "name": name[:50], "owner": owner, "userlist": list(userids)}
        response = self._with_token(
            lambda token: self._http.post(url, params={"access_token": token}, json=body), "建群"
        )
        try:
            self._json(response, "建群")
        except ChannelError as exc:
            if (exc.details or {}).get("errcode") != CHAT_ID_TAKEN:
                raise

    def appchat_members(self, chat_id: str) -> list[str]:
        """The userids in an app group chat (``appchat/get``)."""
        url = f"{self._base}/cgi-bin/appchat/get"
        response = self._with_token(
            lambda token: self._http.get(url, params={"access_token": token, "chatid": chat_id}),
            "读取群成员",
        )
        info = self._json(response, "读取群成员").get("chat_info") or {}
        return [str(u) for u in info.get("userlist") or []]

    def post_json(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST to a URL WeCom handed out (an AI bot's response_url); only to WeCom's hosts."""
        if not self.response_urls.allows(url):
            raise ChannelError("回复地址不是企业微信的地址，没有发送")
        return self._json(self._http.post(url, json=body), "回复")
