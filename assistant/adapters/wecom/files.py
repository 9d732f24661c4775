"""Files sent to a WeCom chat, kept in the project's document folder (``DocumentLibrary``), as
a ``files(message) -> reply`` callable for ``MessageProcessor``.

- The self-built app's file messages carry a media_id: fetched with ``media/get``.
- The AI bot's image and file messages carry a URL whose body is the file encrypted with the
  bot's EncodingAESKey: fetched once (from WeCom's hosts only) and decrypted.
"""

from __future__ import annotations

import re
from pathlib import PurePath

from assistant.adapters.wecom.client import WeComClient, WeComMedia
from assistant.adapters.wecom.crypto import WeComCrypto
from assistant.domain import Message
from assistant.errors import ChannelError
from assistant.files import Document
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


_REFUSED = "⚠️ 这个文件的下载地址不是企业微信的地址，没有保存"
_NOT_IN_NAMES = re.compile(r"[\\/:*?\"<>|\x00-\x1f@]+")


def _kind(message: Message) -> str:
    return "图片" if message.payload.get("msg_type") in ("image", "mixed") else "文件"


def _caption(text: str) -> str:
    """A file name from a message's text: its first line, without characters file names
    cannot hold, at most 40 characters."""
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return _NOT_IN_NAMES.sub(" ", first).strip(" .")[:40].strip()


def _note(document: Document, new: bool) -> str:
    state = "新版本" if new else "和最新版相同"
    return (
        f"📎 已存入文件夹「{document.folder}」：{document.name} 第{document.version}版"
        f"（{state}），下载 /files/{document.id}"
    )


def _with_extension(name: str, data: bytes, *, default: str = "") -> str:
    """``name`` with the extension its bytes show when it has none (so that a picture is
    read as one and served with its type)."""
    if PurePath(name).suffix:
        return name
    return name + (sniff_extension(data) or default)


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
        if payload.get("file_urls"):
            return self._pictures(message)
        if payload.get("file_refused"):
            return _REFUSED
        if payload.get("file_url"):
            media, name = self._bot_file(message, str(payload["file_url"]))
        elif payload.get("media_id") and self._app_api:
            media_id = str(payload["media_id"])
            media = self._client.get_media(media_id)
            name = str(payload.get("title") or "") or media.filename or ""
            if not name:
                name = f"{_kind(message)}-{message.received_at:%Y%m%d-%H%M%S}"
            name = _with_extension(name, media.content)
        else:
            return None  # a link or a location: nothing to keep
        document, new = self._keep(message, media, name)
        payload["document_id"] = document.id
        payload.pop("file_url", None)  # it expires soon and is of no use once the file is kept
        return _note(document, new)

    def _pictures(self, message: Message) -> str:
        """The pictures of a 图文混排 message, named after its text (their caption)."""
        payload = message.payload
        urls = [str(u) for u in payload["file_urls"]]
        caption = _caption(message.text) or f"图片-{message.received_at:%Y%m%d-%H%M%S}"
        notes: list[str] = []
        ids: list[int] = []
        for n, url in enumerate(urls, 1):
            base = caption if len(urls) == 1 else f"{caption}-{n}"
            media, name = self._bot_file(message, url, name=base)
            document, new = self._keep(message, media, name)
            ids.append(document.id or 0)
            notes.append(_note(document, new))
        payload["document_id"] = ids[0]
        payload["document_ids"] = ids
        payload.pop("file_urls", None)
        if payload.get("file_refused"):
            notes.append(_REFUSED)
        return "\n".join(notes)

    def _keep(self, message: Message, media: WeComMedia, name: str) -> tuple[Document, bool]:
        if not media.content:
            raise ChannelError("企业微信发来的文件是空的")
        staged = self._library.stage([media.content])
        return self._library.add(
            staged,
            name=name,
            uploader=message.sender_id,
            chat_id=message.chat_id,
            declared_type=media.content_type,
        )

    def _bot_file(
        self, message: Message, url: str, *, name: str | None = None
    ) -> tuple[WeComMedia, str]:
        """Fetch an AI bot file URL once and decrypt it with the bot's key."""
        if self._bot_crypto is None:
            raise ChannelError("没有配置智能机器人的 EncodingAESKey，无法解密它发来的文件")
        # The ciphertext is the file plus up to 32 bytes of padding.
        fetched = self._client.download(url, max_bytes=self._library.max_bytes + 32)
        plain = self._bot_crypto.decrypt_media(fetched.content)
        ext = sniff_extension(plain)
        if name is None:
            name = str(message.payload.get("title") or "") or fetched.filename or ""
        if not name:
            name = f"{_kind(message)}-{message.received_at:%Y%m%d-%H%M%S}"
        name = _with_extension(name, plain, default=".bin")
        # What the URL declared describes the ciphertext, not the file: go by the file's bytes.
        declared = _IMAGE_TYPES.get(ext, "")
        return WeComMedia(content=plain, content_type=declared, filename=name), name
