"""The WeCom callback crypto against WeCom's published sample, and round trips."""

from __future__ import annotations

import base64

import pytest

from assistant.adapters.wecom.crypto import WeComCrypto, pkcs7_pad, pkcs7_unpad, signature
from assistant.adapters.wecom.messages import parse_app_message, parse_xml
from assistant.errors import ChannelError
from tests.wecom_fakes import AES_KEY, CORP_ID, TOKEN

# WeCom's published WXBizMsgCrypt sample: URL verification and a received text message.
VERIFY_SIG = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
VERIFY_TS = "1409659589"
VERIFY_NONCE = "263014780"
VERIFY_ECHO = (
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
)
REQ_SIG = "477715d11cdb4164915debcba66cb864d751f3e6"
REQ_TS = "1409659813"
REQ_NONCE = "1372623149"
REQ_ENCRYPT = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="


@pytest.fixture
def crypto() -> WeComCrypto:
    return WeComCrypto(token=TOKEN, encoding_aes_key=AES_KEY, receive_id=CORP_ID)


def test_published_url_verification(crypto: WeComCrypto) -> None:
    assert signature(TOKEN, VERIFY_TS, VERIFY_NONCE, VERIFY_ECHO) == VERIFY_SIG
    echo = crypto.open(
        msg_signature=VERIFY_SIG, timestamp=VERIFY_TS, nonce=VERIFY_NONCE, encrypt=VERIFY_ECHO
    )
    assert echo.isdigit()


def test_published_message_decrypts(crypto: WeComCrypto) -> None:
    plain = crypto.open(
        msg_signature=REQ_SIG, timestamp=REQ_TS, nonce=REQ_NONCE, encrypt=REQ_ENCRYPT
    )
    msg = parse_app_message(plain)
    assert (msg.msg_type, msg.from_user, msg.content, msg.create_time) == (
        "text",
        "mycreate",
        "hello",
        1409659813,
    )
    assert msg.msg_id and msg.dedupe_id == f"app:{msg.msg_id}" and msg.agent_id == "218"


def test_round_trip_with_chinese_and_fixed_random(crypto: WeComCrypto) -> None:
    message = "<xml><Content><![CDATA[@小王 周五前把登录页设计稿出了]]></Content></xml>".encode()
    encrypt = crypto.encrypt(message, random16=b"0123456789abcdef")
    assert crypto.encrypt(message, random16=b"0123456789abcdef") == encrypt
    assert len(base64.b64decode(encrypt)) % 32 == 0
    assert crypto.decrypt(encrypt) == message
    encrypt2, sig = crypto.seal(message, timestamp="1700000000", nonce="n1")
    assert (
        crypto.open(msg_signature=sig, timestamp="1700000000", nonce="n1", encrypt=encrypt2)
        == message
    )


def test_bot_crypto_has_an_empty_receive_id() -> None:
    bot = WeComCrypto(token="t", encoding_aes_key=AES_KEY, receive_id="")
    assert bot.decrypt(bot.encrypt(b'{"msgid":"1"}')) == b'{"msgid":"1"}'
    with pytest.raises(ChannelError, match="接收方"):
        WeComCrypto(token="t", encoding_aes_key=AES_KEY, receive_id=CORP_ID).decrypt(
            bot.encrypt(b"x")
        )


@pytest.mark.parametrize(
    "tamper",
    [
        lambda e: e[:-8] + "AAAAAAA=",  # changed ciphertext
        lambda e: "not base64!!",
        lambda e: base64.b64encode(b"short").decode(),
    ],
)
def test_garbage_is_a_channel_error(crypto: WeComCrypto, tamper: object) -> None:
    encrypt = crypto.encrypt(b"hello")
    with pytest.raises(ChannelError):
        crypto.decrypt(tamper(encrypt))  # type: ignore[operator]


def test_forged_signature_is_refused(crypto: WeComCrypto) -> None:
    with pytest.raises(ChannelError, match="签名"):
        crypto.open(msg_signature="0" * 40, timestamp=REQ_TS, nonce=REQ_NONCE, encrypt=REQ_ENCRYPT)
    with pytest.raises(ChannelError, match="签名"):
        crypto.verify(REQ_SIG, REQ_TS, "other-nonce", REQ_ENCRYPT)


def test_padding_and_key_checks() -> None:
    for n in (0, 1, 31, 32, 33):
        padded = pkcs7_pad(b"x" * n)
        assert len(padded) % 32 == 0 and pkcs7_unpad(padded) == b"x" * n
    with pytest.raises(ChannelError):
        pkcs7_unpad(b"x" * 31 + b"\x05")
    with pytest.raises(ChannelError):
        WeComCrypto(token="t", encoding_aes_key="short", receive_id="")
    assert TOKEN not in repr(WeComCrypto(token=TOKEN, encoding_aes_key=AES_KEY, receive_id=CORP_ID))


def test_xml_with_entities_is_refused() -> None:
    with pytest.raises(ChannelError):
        parse_xml(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>')
    with pytest.raises(ChannelError):
        parse_xml(b"<xml><unclosed></xml>")
