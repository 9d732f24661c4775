"""Document folders, the pure part: version keys, the folder classifier, text extraction."""

from __future__ import annotations

import pytest

from assistant.files import FOLDERS, classify_folder, document_key, extract_text
from tests.fixtures_files import docx_bytes, pdf_bytes, xlsx_bytes


@pytest.mark.parametrize(
    "name",
    [
        "登录页设计稿.pdf",
        "登录页设计稿_v2.pdf",
        "登录页设计稿 V1.3.pdf",
        "登录页设计稿(1).pdf",
        "登录页设计稿_终稿.pdf",
        "登录页设计稿-v3-最终版.PDF",
        "登录页设计稿_20261130.pdf",
    ],
)
def test_version_marks_are_one_document(name: str) -> None:
    assert document_key(name) == "登录页设计稿.pdf"


def test_different_documents_and_types_stay_apart() -> None:
    assert document_key("登录页设计稿.pdf") != document_key("首页设计稿.pdf")
    assert document_key("登录页设计稿.pdf") != document_key("登录页设计稿.docx")
    assert document_key("v2.txt") == "v2.txt"  # nothing left but the mark: keep the name


@pytest.mark.parametrize(
    ("name", "text", "folder"),
    [
        ("登录页设计稿_v2.pdf", None, "设计稿"),
        ("支付模块PRD.docx", None, "需求文档"),
        ("回归测试报告-1130.xlsx", None, "测试报告"),
        ("周会纪要.md", None, "会议纪要"),
        ("服务合同（盖章版）.pdf", None, "合同"),
        ("scan001.pdf", "甲方：某公司 乙方：某工作室 本协议自双方签署之日起生效", "合同"),
        ("notes.txt", "本次迭代的用户故事与功能需求如下", "需求文档"),
        ("build.log", "compile ok", "其他"),
    ],
)
def test_folder_from_name_and_text(name: str, text: str | None, folder: str) -> None:
    assert classify_folder(name, text) == folder
    assert folder in FOLDERS


def test_extracts_plain_docx_xlsx_pdf() -> None:
    assert extract_text("a.md", "# 登录页\n需求说明".encode()).text == "# 登录页\n需求说明"
    assert extract_text("a.txt", "国标编码".encode("gb18030")).text == "国标编码"
    docx = extract_text("a.docx", docx_bytes(["登录页改版需求", "支持扫码登录"]))
    assert docx.text == "登录页改版需求\n支持扫码登录"
    xlsx = extract_text("a.xlsx", xlsx_bytes([["用例", "结果"], ["扫码登录", "通过"]]))
    assert xlsx.text is not None and "扫码登录 | 通过" in xlsx.text and "【用例】" in xlsx.text
    pdf = extract_text("a.pdf", pdf_bytes("Login page test report passed"))
    assert pdf.text == "Login page test report passed"


def test_unknown_and_broken_files_have_no_text() -> None:
    assert extract_text("photo.png", b"\x89PNG....").text is None
    assert extract_text("photo.png", b"\x89PNG....").error is None
    broken = extract_text("a.docx", b"not a zip")
    assert broken.text is None and broken.error and "无法读取" in broken.error
