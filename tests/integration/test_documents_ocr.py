"""Pictures in the project folders: with the optional OCR (``qunmi[ocr]``: RapidOCR's bundled
PP-OCR models, run for real) a design draft is found by the words on it; without it, a picture
is kept and found by its name. Real SQL, the real bundled e5 model, real embedded Chroma.

The fixture picture (``tests/fixtures/images/login_design.png``) is a login page mock-up drawn
with a CJK font; its words are not in its file name."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.adapters import ocr
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import Member, Project, Role
from assistant.files import extract_text
from assistant.memory.ports import DocFilter
from assistant.settings import ChromaSettings, Settings
from tests.conftest import NOW

PICTURE = Path(__file__).resolve().parents[1] / "fixtures" / "images" / "login_design.png"
needs_ocr = pytest.mark.skipif(
    not ocr.available(), reason="OCR not installed (pip install 'qunmi[ocr]')"
)


def _qunmi(settings: Settings, clock: FixedClock, embedder: Any, tmp: Path, **extra: Any) -> Qunmi:
    settings = settings.model_copy(update={"chroma": ChromaSettings(path=tmp / "chroma"), **extra})
    q = bootstrap(settings, clock=clock, embedder=embedder)
    with q.uow_factory() as uow:
        admin = uow.members.add(Member(display_name="张伟", role=Role.ADMIN, created_at=NOW))
        uow.projects.add(Project(name="官网改版", owner_id=admin.id, created_at=NOW))
        uow.commit()
    return q


@pytest.fixture
def q(settings: Settings, clock: FixedClock, e5_embedder: Any, tmp_path: Path) -> Iterator[Qunmi]:
    qunmi = _qunmi(settings, clock, e5_embedder, tmp_path)
    try:
        yield qunmi
    finally:
        qunmi.close()


def _jpeg(png: bytes) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    with Image.open(io.BytesIO(png)) as picture:
        picture.convert("RGB").save(out, format="JPEG", quality=85)
    return out.getvalue()


@needs_ocr
def test_design_picture_is_read_and_found_by_its_words(q: Qunmi, clock: FixedClock) -> None:
    lib = q.documents
    assert lib is not None and lib.read_image is not None and q.memory is not None
    data = PICTURE.read_bytes()
    doc, new = lib.add(
        lib.stage([data]), name="首页改版_v3.png", uploader="张伟", project="官网改版"
    )
    assert new and doc.folder == "设计稿" and doc.content_type == "image/png"
    assert doc.text is not None
    for words in ("扫码登录", "请输入手机号", "短信验证码登录"):
        assert words in doc.text.replace(" ", "")
    assert "扫码登录" in lib.read_image(_jpeg(data)).replace(" ", "")  # a JPEG reads as well

    assert q.memory.indexer.drain().vector_error is None
    answer = q.memory.ask("扫码登录那张设计稿在哪", filters=DocFilter(), now=clock.now())
    assert answer.found and answer.sources[0].kind == "file"
    assert answer.sources[0].record_id == doc.id


@needs_ocr
def test_a_scanned_pdf_is_read_from_its_page_pictures() -> None:
    from PIL import Image

    scan = io.BytesIO()
    with Image.open(PICTURE) as picture:
        picture.convert("RGB").save(scan, format="PDF", resolution=96)
    reader = ocr.ImageReader()
    assert extract_text("登录页评审稿扫描件.pdf", scan.getvalue()).text == ""  # no text layer
    read = extract_text("登录页评审稿扫描件.pdf", scan.getvalue(), read_image=reader)
    assert read.error is None and read.text is not None
    assert "扫码登录" in read.text.replace(" ", "")


def test_without_ocr_a_picture_is_kept_and_found_by_its_name(
    settings: Settings, clock: FixedClock, e5_embedder: Any, tmp_path: Path
) -> None:
    q = _qunmi(settings, clock, e5_embedder, tmp_path, ocr_images=False)
    try:
        lib = q.documents
        assert lib is not None and lib.read_image is None and q.memory is not None
        doc, _ = lib.add(
            lib.stage([PICTURE.read_bytes()]), name="会员中心登录页.png", uploader="张伟"
        )
        assert doc.text is None and doc.folder == "设计稿"  # a picture: a design draft
        assert q.memory.indexer.drain().vector_error is None
        found = q.memory.search("会员中心登录页", filters=DocFilter())
        assert found.hits and found.hits[0].doc.record_id == doc.id
    finally:
        q.close()


def test_unreadable_pictures_give_no_text_and_no_error() -> None:
    reader = ocr.ImageReader()
    assert reader(b"not a picture at all") == ""
    assert extract_text("broken.png", b"\x89PNG\r\n\x1a\n garbage", read_image=reader).text == ""
    assert extract_text("a.png", PICTURE.read_bytes()).text is None  # no reader: name only
