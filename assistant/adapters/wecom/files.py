"""Files sent to a WeCom chat, kept in the project's document folder (``DocumentLibrary``), as
a ``files(message) -> reply`` callable for ``MessageProcessor``.

- The self-built app's file messages carry a media_id: fetched with ``media/get``.
- The AI bot's image and file messages carry a URL whose body is the file encrypted with the
  bot's EncodingAESKey: fetched once (from WeCom's hosts only) and decrypted.
"""

from __future__ import annotations

from assistant.adapters.wecom.client import WeComClient, WeComMedia
from assistant.adapters.wecom.crypto import WeComCrypto
from assistant.domain import Message
from assistant.errors import ChannelError
from assistant.services.documents import DocumentLibrary

__all__ = ["WeComFiles", "sniff_extension"]

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"GIF8", ".gif"),
    (b"%PDF-", ".pdf"),
    (b"BM", ".bmp"),
)
_IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}


def sniff_extension(data: bytes) -> str:
    """A file extension from the first bytes (images, PDF, Office zip files), or ``""``."""
    for magic, ext in _MAGIC:
        if data.startswith(magic):
            return ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if data.startswith(b"PK\x03\x04"):
        head = data[:4096]
        if b"word/" in head:
            return ".docx"
        if b"xl/" in head:
            return ".xlsx"
        if b"ppt/" in head:
            return ".pptx"
        return ".zip"
    return ""


class WeComFiles:
    """Keeps a file message's file; the document's id goes into ``message.payload`` so that a
    retried message neither fetches nor stores it twice."""

    def __init__(
        self,
        *,
        client: WeComClient,
        library: DocumentLibrary,
        bot_crypto: WeComCrypto | None = None,
        app_api: bool = True,
    ) -> None:
        self._client = client
        self._library = library
        self._bot_crypto = bot_crypto
        self._app_api = app_api

    def __call__(self, message: Message) -> str | None:
        payload = message.payload
        if payload.get("file_refused"):
            return "⚠️ 这个文件的下载地址不是企业微信的地址，没有保存"
        if payload.get("file_url"):
            media, name = self._bot_file(message)
        elif payload.get("media_id") and self._app_api:
            media_id = str(payload["media_id"])
            media = self._client.get_media(media_id)
            name = str(payload.get("title") or "") or media.filename or f"文件-{media_id}"
        else:
            return None  # a link or a location: nothing to keep
        if not media.content:
            raise ChannelError("企业微信发来的文件是空的")
        staged = self._library.stage([media.content])
        document, new = self._library.add(
            staged,
            name=name,
            uploader=message.sender_id,
            chat_id=message.chat_id,
            declared_type=media.content_type,
        )
        payload["document_id"] = document.id
        payload.pop("file_url", None)  # it expires soon and is of no use once the file is kept
        state = "新版本" if new else "和最新版相同"
        return (
            f"📎 已存入文件夹「{document.folder}」：{document.name} 第{document.version}版"
            f"（{state}），下载 /files/{document.id}"
        )

    def _bot_file(self, message: Message) -> tuple[WeComMedia, str]:
        if self._bot_crypto is None:
            raise ChannelError("没有配置智能机器人的 EncodingAESKey，无法解密它发来的文件")
        payload = message.payload
        fetched = self._client.download(str(payload["file_url"]), max_bytes=self._library.max_bytes)
        plain = self._bot_crypto.decrypt_media(fetched.content)
        ext = sniff_extension(plain)
        name = str(payload.get("title") or "") or fetched.filename or ""
        if not name:
            kind = "图片" if payload.get("msg_type") == "image" else "文件"
            name = f"{kind}-{message.received_at:%Y%m%d-%H%M%S}{ext or '.bin'}"
        elif ext and "." not in name.rsplit("/", 1)[-1]:
            name += ext
        # What the URL declared describes the ciphertext, not the file: go by the file's bytes.
        declared = _IMAGE_TYPES.get(ext, "")
        return WeComMedia(content=plain, content_type=declared, filename=name), name
