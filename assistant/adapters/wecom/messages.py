"""Parsing WeCom callback bodies into plain values (no web framework, no database).

The self-built app posts XML whose ``Encrypt`` element carries an encrypted XML message; the AI
bot posts JSON ``{"encrypt": ...}`` carrying an encrypted JSON message.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from assistant.errors import ChannelError

__all__ = [
    "AppMessage",
    "BotMessage",
    "parse_app_envelope",
    "parse_app_message",
    "parse_bot_envelope",
    "parse_bot_message",
    "parse_xml",
]


def parse_xml(raw: bytes) -> dict[str, str]:
    """A flat ``{tag: text}`` of the root's children. Entities and DTDs are refused outright, so
    that no expansion or external fetch can happen."""
    head = raw[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in raw.lower():
        raise ChannelError("企业微信消息里不允许 DTD 或实体声明")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise ChannelError("企业微信消息不是合法的 XML") from exc
    out: dict[str, str] = {}
    for child in root:
        if len(child):
            for grandchild in child:
                out[f"{child.tag}.{grandchild.tag}"] = (grandchild.text or "").strip()
        out[child.tag] = (child.text or "").strip()
    return out


def parse_app_envelope(raw: bytes) -> str:
    """The ``Encrypt`` field of an app callback POST body."""
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
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ChannelError(f"{what}不是合法的 JSON") from exc
    if not isinstance(data, dict):
        raise ChannelError(f"{what}应该是一个 JSON 对象")
    return data


def parse_bot_envelope(raw: bytes) -> str:
    """The ``encrypt`` field of an AI bot callback POST body."""
    encrypt = _json_object(raw, "智能机器人回调").get("encrypt")
    if not isinstance(encrypt, str) or not encrypt:
        raise ChannelError("智能机器人回调缺少 encrypt 字段")
    return encrypt


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
