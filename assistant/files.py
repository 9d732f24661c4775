"""Project document folders, the pure part: which document a file name is a version of, which
folder a file belongs in, and the text inside a file (PDF, DOCX, XLSX, Markdown, plain text).

No database here: ``storage.documents`` keeps the records, ``assistant.services.documents``
stores the bytes and ties the two together.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any, Protocol

from assistant.errors import InvalidInput

__all__ = [
    "FOLDERS",
    "OTHER",
    "Document",
    "DocumentRepository",
    "Extracted",
    "FileTooLarge",
    "classify_folder",
    "content_type_for",
    "document_key",
    "extract_text",
]


class FileTooLarge(InvalidInput):
    """An upload past the size limit (HTTP 413)."""

    code = "too_large"


OTHER = "其他"
FOLDERS: tuple[str, ...] = ("需求文档", "设计稿", "测试报告", "会议纪要", "合同", OTHER)

# Keywords per folder: a hit in the file name weighs more than one in the text.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "需求文档": (
        "需求",
        "prd",
        "产品文档",
        "功能说明",
        "功能清单",
        "功能列表",
        "用户故事",
        "规格说明",
        "srs",
        "requirement",
        "requirements",
        "user story",
        "指标定义",
        "口径",
    ),
    "设计稿": (
        "设计",
        "原型",
        "ui",
        "ux",
        "交互",
        "视觉",
        "figma",
        "sketch",
        "蓝湖",
        "mockup",
        "效果图",
        "图标",
        "icon",
        "logo",
        "banner",
        "海报",
        "切图",
        "配色",
        "wireframe",
    ),
    "测试报告": (
        "测试",
        "test",
        "qa",
        "用例",
        "缺陷",
        "bug",
        "回归",
        "验收报告",
        "冒烟",
        "压测",
        "兼容性",
        "漏洞",
        "安全扫描",
        "走查",
        "复现",
        "故障",
    ),
    "会议纪要": (
        "会议",
        "纪要",
        "minutes",
        "周会",
        "例会",
        "评审会",
        "复盘",
        "站会",
        "沟通记录",
        "会议记录",
        "讨论记录",
        "议程",
        "参会",
        "与会",
        "attendees",
        "action items",
    ),
    "合同": (
        "合同",
        "协议",
        "contract",
        "agreement",
        "报价",
        "甲方",
        "乙方",
        "盖章",
        "签署",
        "订购单",
        "付款计划",
        "违约",
        "委托书",
        "确认函",
    ),
}
# Files of design tools are design drafts; a picture is one when nothing else says otherwise.
_DESIGN_TOOL_SUFFIXES = {".fig", ".sketch", ".psd", ".xd", ".ai", ".svg"}
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}
_NAME_WEIGHT = 3
_TEXT_HEAD = 2000

# Version marks people add to file names: v2, V1.3, _终稿, (1), -最新版, 20261130…
_VERSION_MARKS = re.compile(
    r"""(
        [\s_\-.]*v\d+(\.\d+)*            # v2, _V1.3
      | [\s_\-.]*第?\d+版                # 第2版, _3版
      | [\s_\-.]*(终稿|定稿|最终版|最终|最新版|最新|修订版|修改版|初稿|草稿|副本|final|draft|copy)
      | [\s_\-.]*[(（]\d+[)）]          # (1), （2）
      | [\s_\-.]*20\d{6}                 # a date: 20261130
      | [\s_\-.]*20\d{2}-\d{2}-\d{2}
    )+$""",
    re.IGNORECASE | re.VERBOSE,
)

_CONTENT_TYPES = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".csv": "text/csv",
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
_MAX_TEXT = 200_000  # characters of a file's text kept for search


def document_key(name: str) -> str:
    """The name of the document a file is a version of: lower-cased, without its extension
    and version marks ("登录页设计稿_v2.pdf" and "登录页设计稿(1).pdf" → "登录页设计稿")."""
    path = PurePath(unicodedata.normalize("NFKC", name.strip()))
    stem = path.stem if path.suffix else path.name
    bare = _VERSION_MARKS.sub("", stem).strip(" _-.")
    return (bare or stem).lower() + path.suffix.lower()


def classify_folder(name: str, text: str | None = None) -> str:
    """The folder a file goes in, from keywords in its name (weighted) and the start of its
    text; ``其他`` when nothing matches. Ties go to the earlier folder in ``FOLDERS``."""
    lowered_name = name.lower()
    suffix = PurePath(lowered_name).suffix
    head = (text or "")[:_TEXT_HEAD].lower()
    best, best_score = OTHER, 0
    for folder, words in _KEYWORDS.items():
        score = 0
        for word in words:
            ascii_word = word.isascii()
            if _contains(lowered_name, word, ascii_word):
                score += _NAME_WEIGHT
            if head and _contains(head, word, ascii_word):
                score += 1
        if folder == "设计稿" and suffix in _DESIGN_TOOL_SUFFIXES:
            score += _NAME_WEIGHT
        if score > best_score:
            best, best_score = folder, score
    if best_score == 0 and suffix in _IMAGE_SUFFIXES:
        return "设计稿"
    return best


def _contains(haystack: str, word: str, ascii_word: bool) -> bool:
    if not ascii_word:
        return word in haystack
    # "ui" must not match inside "build": Latin keywords need word boundaries.
    return re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", haystack) is not None


def content_type_for(name: str, declared: str | None = None) -> str:
    """A file's content type: from its extension when we know it, else what was declared."""
    known = _CONTENT_TYPES.get(PurePath(name).suffix.lower())
    return known or (declared or "application/octet-stream")


@dataclass(frozen=True, slots=True)
class Extracted:
    """A file's text (``None``: a type we cannot read) and why not, when it failed."""

    text: str | None
    error: str | None = None


def extract_text(
    name: str, data: bytes, *, read_image: Callable[[bytes], str] | None = None
) -> Extracted:
    """The text of a file, by its extension. A damaged file gives no text and an error; an
    unknown type gives neither (it is kept and found by its name). Pictures are read with
    ``read_image`` (OCR) when one is given, else found by their name only."""
    suffix = PurePath(name).suffix.lower()
    try:
        if suffix in _IMAGE_SUFFIXES:
            if read_image is None:
                return Extracted(None)
            text = read_image(data)
        elif suffix in {".txt", ".md", ".markdown", ".csv", ".log"}:
            text = _decode(data)
        elif suffix == ".docx":
            text = _docx_text(data)
        elif suffix == ".xlsx":
            text = _xlsx_text(data)
        elif suffix == ".pdf":
            text = _pdf_text(data, read_image)
        else:
            return Extracted(None)
    except Exception as exc:  # noqa: BLE001 - any parser failure: keep the file, no text
        return Extracted(None, error=f"无法读取文件内容（{type(exc).__name__}）")
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r"\n\s*\n+", "\n", text).strip()
    return Extracted(text[:_MAX_TEXT])


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx_text(data: bytes) -> str:
    from defusedxml import ElementTree

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("word/document.xml")
        if info.file_size > 50 * 1024 * 1024:
            raise ValueError("document.xml too large")
        root = ElementTree.fromstring(archive.read(info))
    paragraphs = []
    for paragraph in root.iter(f"{_W}p"):
        runs = [node.text or "" for node in paragraph.iter() if node.tag in (f"{_W}t",)]
        line = "".join(runs).strip()
        if line:
            paragraphs.append(line)
    return "\n".join(paragraphs)


def _xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    lines: list[str] = []
    try:
        for sheet in book.worksheets:
            lines.append(f"【{sheet.title}】")
            for row in sheet.iter_rows(values_only=True):
                cells = [str(c) for c in row if c is not None and str(c).strip()]
                if cells:
                    lines.append(" | ".join(cells))
                if len(lines) > 20_000:
                    break
    finally:
        book.close()
    return "\n".join(lines)


def _pdf_text(data: bytes, read_image: Callable[[bytes], str] | None = None) -> str:
    """The text layer of a PDF; pages without one (a scan) are read from their pictures when a
    ``read_image`` (OCR) is given."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    pages: list[str] = []
    scanned = 0
    for page in reader.pages[:500]:
        text = (page.extract_text() or "").strip()
        if len(text) < _SCAN_MIN_CHARS and read_image is not None and scanned < _SCAN_MAX_PAGES:
            scanned += 1
            text = "\n".join(filter(None, (text, *_page_picture_text(page, read_image))))
        pages.append(text)
    return "\n".join(pages)


_SCAN_MIN_CHARS = 20  # a page with less text than this is taken for a scan
_SCAN_MAX_PAGES = 20  # OCR takes seconds a page: the first pages of a scan only


def _page_picture_text(page: Any, read_image: Callable[[bytes], str]) -> list[str]:
    out: list[str] = []
    try:
        pictures = list(page.images)[:4]
    except Exception:  # noqa: BLE001 - a damaged picture: keep the page's text layer
        return out
    for picture in pictures:
        try:
            data = picture.data
            if len(data) < 2048:  # icons and rules, not a scanned page
                continue
            image = getattr(picture, "image", None)
            if image is not None and image.format not in ("PNG", "JPEG"):
                buffer = io.BytesIO()
                image.convert("RGB").save(buffer, format="PNG")
                data = buffer.getvalue()
            text = read_image(data).strip()
        except Exception:  # noqa: BLE001 - one unreadable picture does not lose the others
            continue
        if text:
            out.append(text)
    return out


@dataclass(slots=True)
class Document:
    """One stored version of a file in a project's folder (``uow.documents``)."""

    name: str
    folder: str
    version: int
    sha256: str
    size: int
    content_type: str
    stored_path: str
    created_at: datetime
    doc_key: str = ""
    project_id: int | None = None
    chat_id: int | None = None
    text: str | None = None
    uploaded_by_id: int | None = None
    is_latest: bool = True
    id: int | None = None


class DocumentRepository(Protocol):
    """Files in project folders. ``add_version`` numbers the new version of its document
    (same project and ``doc_key``) and makes it the latest."""

    def get(self, document_id: int) -> Document | None: ...

    def lock(self, project_id: int | None, doc_key: str) -> None:
        """Serialise writers of one document until the transaction ends."""
        ...

    def latest(self, project_id: int | None, doc_key: str) -> Document | None: ...

    def add_version(self, document: Document) -> Document: ...

    def move(self, document_id: int, folder: str) -> Document | None:
        """Put every version of the document in ``folder``; returns the given version."""
        ...

    def versions(self, document_id: int) -> list[Document]:
        """All versions of the document this one is a version of, newest first."""
        ...

    def list(
        self,
        *,
        project_ids: Sequence[int] | None = None,
        folder: str | None = None,
        latest_only: bool = True,
        limit: int = 200,
    ) -> list[Document]:
        """Newest first."""
        ...
