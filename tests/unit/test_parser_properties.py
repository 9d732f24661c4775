"""Property tests for every parser that takes outside input: whatever arrives, each either
returns a value or raises its own Chinese ``QunmiError`` — never another exception (issue 15).

Bounded (a fixed seed, a few hundred examples each) so the suite stays quick."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from assistant.adapters.audio import check_audio, sniff_format
from assistant.adapters.wecom.crypto import WeComCrypto
from assistant.adapters.wecom.messages import (
    parse_app_envelope,
    parse_app_message,
    parse_bot_envelope,
    parse_bot_message,
    parse_xml,
)
from assistant.domain import Member, ToolCall
from assistant.errors import ChannelError, InvalidInput, QunmiError, TranscriptionError
from assistant.safejson import json_depth, loads_bounded
from tests.wecom_fakes import AES_KEY, CORP_ID, TOKEN
from tools.resolve import normalize_words, resolve_member_name
from tools.validation import validate_call
from tools.vocabulary import CreateTask, check_time

BOUNDED = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)
xml_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60
).filter(lambda t: "]]>" not in t)


# -- XML --------------------------------------------------------------------------------------
@BOUNDED
@given(st.binary(max_size=400))
def test_parse_xml_takes_any_bytes(raw: bytes) -> None:
    try:
        assert isinstance(parse_xml(raw), dict)
    except ChannelError:
        pass


@BOUNDED
@given(
    st.lists(
        st.sampled_from(
            [
                b"<xml>",
                b"</xml>",
                b"<A>",
                b"</A>",
                b"<!DOCTYPE x>",
                b'<!ENTITY e "v">',
                b"&e;",
                b"<![CDATA[",
                b"]]>",
                b"\xff\xfe",
                b"\x00",
                b"<?xml version='1.0' encoding='utf-16'?>",
                "中文".encode(),
                b"<!--",
                b"-->",
                b"&#x41;",
                b"<B x='1'/>",
            ]
        ),
        max_size=20,
    ).map(b"".join)
)
def test_parse_xml_takes_hostile_fragments(raw: bytes) -> None:
    try:
        fields = parse_xml(raw)
    except ChannelError:
        return
    assert "DOCTYPE" not in raw.decode("utf-8", "replace").upper() or not fields


@BOUNDED
@given(sender=xml_text.filter(lambda t: t.strip()), content=xml_text)
def test_app_message_round_trips_any_text(sender: str, content: str) -> None:
    raw = (
        f"<xml><FromUserName><![CDATA[{sender}]]></FromUserName><CreateTime>1</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content></xml>"
    ).encode()
    try:
        msg = parse_app_message(raw)
    except ChannelError:
        # Control characters XML 1.0 does not allow are refused, with a reason.
        assert any(ord(c) < 32 and c not in "\t\n\r" for c in sender + content)
        return
    assert msg.from_user == sender.strip() and msg.content == content.strip()


@BOUNDED
@given(st.binary(max_size=300))
def test_app_envelope_takes_any_bytes(raw: bytes) -> None:
    try:
        assert parse_app_envelope(raw)
    except ChannelError:
        pass


# -- JSON envelopes ---------------------------------------------------------------------------
@BOUNDED
@given(st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_bot_envelope_and_message_take_anything(raw: bytes) -> None:
    for parse in (parse_bot_envelope, parse_bot_message):
        try:
            parse(raw)
        except ChannelError:
            pass


@BOUNDED
@given(st.binary(min_size=1, max_size=64).map(lambda b: base64.b64encode(b).decode()))
def test_bot_envelope_finds_the_encrypt_value(encrypt: str) -> None:
    assert parse_bot_envelope(json.dumps({"encrypt": encrypt}).encode()) == encrypt


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


@BOUNDED
@given(json_values)
def test_json_depth_is_the_nesting_depth(value: Any) -> None:
    raw = json.dumps(value, ensure_ascii=False)
    assert json_depth(raw) == _depth(value)
    assert loads_bounded(raw) == value


@BOUNDED
@given(st.integers(min_value=33, max_value=50_000), st.sampled_from(["[", '{"a":']))
def test_deep_json_is_refused_not_a_recursion_error(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    with pytest.raises(InvalidInput):
        loads_bounded(opener * depth + "1" + closer * depth)


# -- crypto -----------------------------------------------------------------------------------
CRYPTO = WeComCrypto(token=TOKEN, encoding_aes_key=AES_KEY, receive_id=CORP_ID)


@BOUNDED
@given(st.binary(max_size=500))
def test_crypto_round_trips(message: bytes) -> None:
    assert CRYPTO.decrypt(CRYPTO.encrypt(message)) == message


@BOUNDED
@given(st.text(max_size=200))
def test_decrypting_garbage_is_a_channel_error(encrypt: str) -> None:
    try:
        CRYPTO.decrypt(encrypt)
    except ChannelError:
        pass


# -- audio headers ----------------------------------------------------------------------------
@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(
    st.binary(max_size=200)
    | st.binary(max_size=200).map(lambda b: b"#!AMR\n" + b)
    | st.binary(max_size=200).map(lambda b: b"\x02#!SILK_V3" + b)
    | st.binary(max_size=200).map(
        lambda b: b"RIFF" + len(b).to_bytes(4, "little") + b"WAVEfmt " + b
    )
    | st.binary(max_size=200).map(lambda b: b"OggS\x00\x02" + b)
)
def test_audio_probe_refuses_garbage_with_a_reason(head: bytes) -> None:
    assert sniff_format(head) in ("silk", "av")
    try:
        check_audio(head, max_seconds=60)
    except TranscriptionError as exc:
        assert exc.reason


# -- times ------------------------------------------------------------------------------------
@BOUNDED
@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),  # noqa: DTZ001
    st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1),
)
def test_any_aware_time_is_kept_or_refused_never_overflows(wall: datetime, offset: int) -> None:
    value = wall.replace(tzinfo=timezone(timedelta(minutes=offset)))
    try:
        kept = check_time(value)
    except ValueError as exc:
        assert "时间" in str(exc)
        return
    assert (
        datetime(1970, 1, 1, tzinfo=UTC) <= kept.astimezone(UTC) <= datetime(2200, 1, 1, tzinfo=UTC)
    )


@BOUNDED
@given(st.text(max_size=40) | st.datetimes().map(datetime.isoformat))
def test_tool_times_from_text_validate_or_explain(due: str) -> None:
    try:
        CreateTask.model_validate({"title": "写周报", "due": due})
    except ValidationError:
        pass
    try:
        validate_call(ToolCall("create_task", {"title": "写周报", "due": due}))
    except InvalidInput as exc:
        assert exc.reason and "Input should" not in exc.reason


# -- names ------------------------------------------------------------------------------------
TEAM = [
    Member(display_name="张三", id=1, aliases=["老张"]),
    Member(display_name="王磊", id=2, aliases=["小王", "王工"], wecom_userid="wanglei"),
    Member(display_name="李四", id=3, aliases=["老李"]),
]


@BOUNDED
@given(st.text(max_size=30))
def test_names_resolve_or_explain(name: str) -> None:
    normalize_words(name)
    try:
        member = resolve_member_name(name, actor=TEAM[0], members=TEAM)
    except QunmiError as exc:
        assert exc.reason
        return
    assert member in TEAM
