"""WeCom callback encryption (the scheme of WeCom's WXBizMsgCrypt), written on ``cryptography``.

- ``msg_signature = sha1(sorted([token, timestamp, nonce, encrypt]) joined)`` (hex).
- The 43-character EncodingAESKey plus ``=`` is the base64 of a 32-byte AES key; the IV is the
  key's first 16 bytes; AES-256-CBC with PKCS#7 padding to a multiple of 32 bytes.
- Plaintext = 16 random bytes + message length (4 bytes, big-endian) + message + receive id
  (the corp id for the self-built app callback, empty for the AI bot callback).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from assistant.errors import ChannelError

__all__ = ["WeComCrypto", "pkcs7_pad", "pkcs7_unpad", "signature"]

_BLOCK = 32


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """The hex sha1 WeCom puts in ``msg_signature``."""
    joined = "".join(sorted([token, timestamp, nonce, encrypt]))
    return hashlib.sha1(joined.encode()).hexdigest()


def pkcs7_pad(data: bytes, block: int = _BLOCK) -> bytes:
    amount = block - len(data) % block
    return data + bytes([amount]) * amount


def pkcs7_unpad(data: bytes, block: int = _BLOCK) -> bytes:
    if not data:
        raise ChannelError("企业微信消息解密失败：密文为空")
    amount = data[-1]
    if amount < 1 or amount > block or data[-amount:] != bytes([amount]) * amount:
        raise ChannelError("企业微信消息解密失败：填充不正确")
    return data[:-amount]


class WeComCrypto:
    """Signs, verifies, encrypts and decrypts WeCom callback payloads for one receive id."""

    def __init__(self, *, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if len(encoding_aes_key) != 43:
            raise ChannelError("EncodingAESKey 必须是 43 个字符")
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error as exc:
            raise ChannelError("EncodingAESKey 不是合法的 base64") from exc
        if len(key) != 32:
            raise ChannelError("EncodingAESKey 解出来的密钥不是 32 字节")
        self._token = token
        self._key = key
        self._iv = key[:16]
        self.receive_id = receive_id

    def __repr__(self) -> str:  # never show the token or the key
        return f"WeComCrypto(receive_id={self.receive_id!r})"

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return signature(self._token, timestamp, nonce, encrypt)

    def verify(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        """Raise ``ChannelError`` unless the signature matches (compared in constant time)."""
        expected = self.sign(timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected.encode(), msg_signature.strip().lower().encode()):
            raise ChannelError("企业微信消息签名不正确")

    def encrypt(self, message: bytes, *, random16: bytes | None = None) -> str:
        """The base64 ciphertext WeCom would send for ``message``."""
        prefix = random16 if random16 is not None else os.urandom(16)
        if len(prefix) != 16:
            raise ValueError("random16 must be 16 bytes")
        plain = prefix + struct.pack(">I", len(message)) + message + self.receive_id.encode()
        encryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._iv)).encryptor()
        cipher = encryptor.update(pkcs7_pad(plain)) + encryptor.finalize()
        return base64.b64encode(cipher).decode()

    def decrypt(self, encrypt: str) -> bytes:
        """The message inside ``encrypt``; checks the padding, the length and the receive id."""
        try:
            cipher = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ChannelError("企业微信消息不是合法的 base64") from exc
        if not cipher or len(cipher) % 16:
            raise ChannelError("企业微信消息密文长度不对")
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._iv)).decryptor()
        plain = pkcs7_unpad(decryptor.update(cipher) + decryptor.finalize())
        if len(plain) < 20:
            raise ChannelError("企业微信消息解密失败：内容太短")
        (length,) = struct.unpack(">I", plain[16:20])
        if 20 + length > len(plain):
            raise ChannelError("企业微信消息解密失败：长度不对")
        message = plain[20 : 20 + length]
        receive_id = plain[20 + length :].decode("utf-8", "replace")
        if receive_id != self.receive_id:
            raise ChannelError("企业微信消息的接收方 id 不对")
        return message

    def encrypt_media(self, data: bytes) -> bytes:
        """A file as the AI bot's download URLs serve it (a test fake's side): AES-256-CBC of the
        bytes themselves, PKCS#7-padded to 32 bytes, no random prefix or length."""
        encryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._iv)).encryptor()
        return encryptor.update(pkcs7_pad(data)) + encryptor.finalize()

    def decrypt_media(self, cipher: bytes) -> bytes:
        """The file behind an AI bot's image or file URL: its body is the raw ciphertext of the
        file under the bot's key (same key, IV and padding as the callbacks, no framing)."""
        if not cipher or len(cipher) % 16:
            raise ChannelError("企业微信文件解密失败：密文长度不对")
        decryptor = Cipher(algorithms.AES(self._key), modes.CBC(self._iv)).decryptor()
        plain = pkcs7_unpad(decryptor.update(cipher) + decryptor.finalize())
        if not plain:
            raise ChannelError("企业微信发来的文件是空的")
        return plain

    def open(self, *, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> bytes:
        """Verify, then decrypt: what a callback handler does with each request."""
        self.verify(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)

    def seal(self, message: bytes, *, timestamp: str, nonce: str) -> tuple[str, str]:
        """Encrypt and sign (a passive reply, or a test client): ``(encrypt, msg_signature)``."""
        encrypt = self.encrypt(message)
        return encrypt, self.sign(timestamp, nonce, encrypt)
