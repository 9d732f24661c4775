"""Parsing WeCom callback bodies into plain values (no web framework, no database).

The self-built app posts XML whose ``Encrypt`` element carries an encrypted XML message; the AI
bot posts JSON ``{"encrypt": ...}`` carrying an encrypted JSON message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from assistant.errors import ChannelError, InvalidInput
from assistant.safejson import loads_bounded

__all__ = [
    "AppMessage",
    "BotMessage",
    "parse_app_envelope",
    "parse_app_message",
    "parse_bot_envelope",
    "parse_bot_message",
    "parse_xml",
]


_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_APP_ENCRYPT = re.compile(rb"<Encrypt>\s*<!\[CDATA\[([A-Za-z0-9+/=]*)\]\]>\s*</Encrypt>")
_BOT_ENCRYPT = re.compile(rb'"encrypt"\s*:\s*"((?:[A-Za-z0-9+/=]|\\/)*)"')


def _utf8_only(raw: bytes) -> None:
    """WeCom sends UTF-8. Anything else (UTF-16 above all, which hides markup from byte-level
    checks) is refused before a parser sees it."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw:
        raise ChannelError("企业微信消息必须是 UTF-8 编码的 XML")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ChannelError("企业微信消息必须是 UTF-8 编码的 XML") from exc
    declared = _XML_ENCODING.match(raw)
    if declared is not None and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise ChannelError("企业微信消息必须是 UTF-8 编码的 XML")


def parse_xml(raw: bytes) -> dict[str, str]:
    """A flat ``{tag: text}`` of the root's children (and ``child.grandchild``).

    Parsed by defusedxml: a DTD anywhere in the document, entity declarations and external
    references are refused, so that no expansion or fetch can happen; bodies that are not UTF-8
    are refused before parsing."""
    _utf8_only(raw)
    try:
        root = defused_fromstring(raw, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise ChannelError("企业微信消息里不允许 DTD、实体声明或外部引用") from exc
    except (ParseError, ValueError) as exc:
        raise ChannelError("企业微信消息不是合法的 XML") from exc
    out: dict[str, str] = {}
    for child in root:
        if len(child):
            for grandchild in child:
                out[f"{child.tag}.{grandchild.tag}"] = (grandchild.text or "").strip()
        out[child.tag] = (child.text or "").strip()
    return out


def parse_app_envelope(raw: bytes) -> str:
    """The ``Encrypt`` field of an app callback POST body.

    WeCom's envelope is a few flat elements; the usual shape is read with one regular
    expression (the signature is checked on that value before anything else is parsed), any
    other shape with the hardened parser."""
    found = _APP_ENCRYPT.search(raw)
    if found is not None and found.group(1):
        _utf8_only(raw)
        return found.group(1).decode("ascii")
    fields = parse_xml(raw)
    encrypt = fields.get("Encrypt", "")
    if not encrypt:
        raise ChannelError("企业微信消息缺少 Encrypt 字段")
    return encrypt


@dataclass(frozen=True, slots=True)
class AppMessage:
    """One decrypted self-built app callback message."""

    msg_type: str
    from_user: str
    create_time: int
    to_user: str = ""
    agent_id: str = ""
    msg_id: str = ""
    content: str = ""
    media_id: str = ""
    format: str = ""
    recognition: str = ""
    title: str = ""
    event: str = ""
    event_key: str = ""
    chat_id: str = ""

    @property
    def dedupe_id(self) -> str:
        """Messages by MsgId; events (which have none) by sender and CreateTime."""
        if self.msg_id:
            return f"app:{self.msg_id}"
        return f"app-event:{self.from_user}:{self.create_time}:{self.event}"


def parse_app_message(raw: bytes) -> AppMessage:
    fields = parse_xml(raw)
    msg_type = fields.get("MsgType", "").lower()
    sender = fields.get("FromUserName", "")
    if not msg_type or not sender:
        raise ChannelError("企业微信消息缺少 MsgType 或 FromUserName")
    try:
        create_time = int(fields.get("CreateTime", "0") or 0)
    except ValueError as exc:
        raise ChannelError("企业微信消息的 CreateTime 不是数字") from exc
    return AppMessage(
        msg_type=msg_type,
        from_user=sender,
        create_time=create_time,
        to_user=fields.get("ToUserName", ""),
        agent_id=fields.get("AgentID", ""),
        msg_id=fields.get("MsgId", ""),
        content=fields.get("Content", ""),
        media_id=fields.get("MediaId", ""),
        format=fields.get("Format", "").lower(),
        recognition=fields.get("Recognition", ""),
        title=fields.get("Title", "") or fields.get("FileName", ""),
        event=fields.get("Event", "").lower(),
        event_key=fields.get("EventKey", ""),
        chat_id=fields.get("ChatId", ""),
    )


def _json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        data = loads_bounded(raw, what=what)
    except InvalidInput as exc:
        raise ChannelError(exc.reason) from exc
    if not isinstance(data, dict):
        raise ChannelError(f"{what}应该是一个 JSON 对象")
    return data


def parse_bot_envelope(raw: bytes) -> str:
    """The ``encrypt`` field of an AI bot callback POST body, found without parsing the body:
    the signature covers this value only, so nothing else of an unverified body is read (a
    forged body nested thirty thousand levels deep costs one regular-expression scan)."""
    found = _BOT_ENCRYPT.search(raw)
    if found is None or not found.group(1):
        raise ChannelError("智能机器人回调缺少 encrypt 字段")
    return found.group(1).replace(b"\\/", b"/").decode("ascii")


@dataclass(frozen=True, slots=True)
class BotMessage:
    """One decrypted AI bot (智能机器人) callback message."""

    msg_id: str
    msg_type: str
    from_user: str
    chat_id: str
    chat_type: str
    text: str
    response_url: str = ""
    bot_id: str = ""
    create_time: int = 0
    event: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def dedupe_id(self) -> str:
        if self.msg_id:
            return f"bot:{self.msg_id}"
        return f"bot-event:{self.from_user}:{self.create_time}:{self.event}"


def parse_bot_message(raw: bytes) -> BotMessage:
    data = _json_object(raw, "智能机器人消息")
    sender = data.get("from") or {}
    userid = str(sender.get("userid", "")) if isinstance(sender, dict) else ""
    msg_type = str(data.get("msgtype", ""))
    if not userid or not msg_type:
        raise ChannelError("智能机器人消息缺少 from.userid 或 msgtype")
    text = ""
    body = data.get(msg_type)
    if isinstance(body, dict):
        # text.content; voice.content is WeCom's own transcript of a voice message
        text = str(body.get("content", ""))
        items = body.get("msg_item")
        if msg_type == "mixed" and isinstance(items, list):  # 图文混排: text items and pictures
            text = "\n".join(
                str(item["text"].get("content", ""))
                for item in items
                if isinstance(item, dict)
                and item.get("msgtype") == "text"
                and isinstance(item.get("text"), dict)
            ).strip()
    event = ""
    if msg_type == "event" and isinstance(body, dict):
        event = str(body.get("eventtype", ""))
    try:
        create_time = int(data.get("create_time", 0) or 0)
    except (TypeError, ValueError):
        create_time = 0
    chat_type = str(data.get("chattype", "single"))
    return BotMessage(
        msg_id=str(data.get("msgid", "")),
        msg_type=msg_type,
        from_user=userid,
        chat_id=str(data.get("chatid", "")),
        chat_type=chat_type,
        text=text,
        response_url=str(data.get("response_url", "")),
        bot_id=str(data.get("aibotid", "")),
        create_time=create_time,
        event=event,
        raw=data,
    )
