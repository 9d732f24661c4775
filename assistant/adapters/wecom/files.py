"""Files sent to a WeCom chat: fetched by media_id and kept in the project's document folder
(``DocumentLibrary``), as a ``files(message) -> reply`` callable for ``MessageProcessor``."""

from __future__ import annotations

from assistant.adapters.wecom.client import WeComClient
from assistant.domain import Message
from assistant.errors import ChannelError
from assistant.services.documents import DocumentLibrary

__all__ = ["WeComFiles"]


class WeComFiles:
    """Keeps a file message's file; the document's id goes into ``message.payload`` so that a
    retried message does not store it twice."""

    def __init__(self, *, client: WeComClient, library: DocumentLibrary) -> None:
        self._client = client
        self._library = library

    def __call__(self, message: Message) -> str | None:
        media_id = str(message.payload.get("media_id", ""))
        if not media_id:
            return None  # a link or a location: nothing to keep
        media = self._client.get_media(media_id)
        if not media.content:
            raise ChannelError("企业微信发来的文件是空的")
        name = str(message.payload.get("title") or "") or media.filename or f"文件-{media_id}"
        staged = self._library.stage([media.content])
        document, new = self._library.add(
            staged,
            name=name,
            uploader=message.sender_id,
            chat_id=message.chat_id,
            declared_type=media.content_type,
        )
        message.payload["document_id"] = document.id
        state = "新版本" if new else "和最新版相同"
        return (
            f"📎 已存入文件夹「{document.folder}」：{document.name} 第{document.version}版"
            f"（{state}），下载 /files/{document.id}"
        )
