"""The console's 文件 view in a real headless Chromium against a real server process: folders
per project, upload, versions with the latest marked, download, move, and the reader's rights."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.test_console import ARGS, CHROMIUM, _personal_token, guarded_server, server

__all__ = ["guarded_server", "server"]  # the fixtures, shared with the other console tests

pytestmark = pytest.mark.slow

V1 = "# 登录页视觉稿\n扫码登录入口放在右上角\n".encode()
V2 = "# 登录页视觉稿（终版）\n扫码登录与短信登录并列\n".encode()


def test_files_view_folders_versions_download_move_and_rights(server: str) -> None:
    from playwright.sync_api import FilePayload, expect, sync_playwright

    # A project 王磊 is not in, holding a contract the admin uploaded over HTTP.
    made = httpx.post(
        f"{server}/projects",
        json={"actor": "陈静", "name": "支付对接", "owner": "陈静", "members": []},
    )
    assert made.status_code == 201, made.text
    contract = httpx.post(
        f"{server}/files",
        data={"project": "支付对接", "actor": "陈静"},
        files={
            "file": ("支付通道服务合同.md", "甲方与乙方签署，盖章生效".encode(), "text/markdown")
        },
    )
    assert contract.status_code == 201, contract.text

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(accept_downloads=True)
            page.set_default_timeout(10_000)
            page.goto(server + "/#files")
            expect(page.locator("#status")).to_have_text("已连接")
            expect(page.locator("#view-files")).to_be_visible()
            expect(page.locator(".folder")).to_have_count(6)
            page.select_option("#me", "王磊")
            page.select_option("#files-project", label="官网改版")

            def upload(name: str, data: bytes) -> None:
                payload: FilePayload = {"name": name, "mimeType": "text/markdown", "buffer": data}
                page.set_input_files("#file-input", files=[payload])
                page.click("#file-upload")

            design = page.locator('.folder[data-folder="设计稿"]')
            upload("登录页设计稿_v1.md", V1)
            first = design.locator(".file", has_text="登录页设计稿_v1.md")
            expect(first.locator(".badge")).to_have_text("第1版 · 最新")
            expect(page.locator("#toast")).to_contain_text("已存入「设计稿」")

            upload("登录页设计稿_v2.md", V2)  # the next version of the same document
            latest = design.locator(".file", has_text="登录页设计稿_v2.md")
            expect(latest.locator(".badge")).to_have_text("第2版 · 最新")
            expect(design.locator(".file")).to_have_count(1)  # latest versions only
            latest.locator(".versions-toggle").click()
            expect(latest.locator(".versions li")).to_have_count(2)
            expect(latest.locator(".versions li.latest")).to_contain_text("第2版（最新版）")
            expect(latest.locator('.versions li[data-version="1"]')).to_contain_text(
                "登录页设计稿_v1.md"
            )

            with page.expect_download() as info:
                latest.locator(".actions a.download").click()
            download = info.value
            assert download.suggested_filename == "登录页设计稿_v2.md"
            assert Path(download.path()).read_bytes() == V2

            latest.locator("select.move").select_option("需求文档")
            moved = page.locator('.folder[data-folder="需求文档"] .file', has_text="登录页设计稿")
            expect(moved.locator(".badge")).to_have_text("第2版 · 最新")
            expect(design.locator(".file")).to_have_count(0)

            # Rights: 王磊 does not see the other project's contract, nor may he open or
            # upload to that project.
            page.select_option("#files-project", label="全部项目")
            expect(page.locator("#files-summary")).to_have_text("共 1 个文件")
            expect(page.locator(".file", has_text="支付通道服务合同")).to_have_count(0)
            page.select_option("#files-project", label="支付对接")
            expect(page.locator("#files-note")).to_contain_text("不是项目「支付对接」的成员")
            upload("支付测试报告.md", "回归测试通过".encode())
            expect(page.locator("#toast")).to_contain_text("上传失败")
            expect(page.locator("#toast")).to_contain_text("不是项目「支付对接」的成员")

            # The admin sees it, in the folder the classifier chose.
            page.select_option("#me", "陈静")
            contracts = page.locator('.folder[data-folder="合同"] .file')
            expect(contracts).to_have_count(1)
            expect(contracts).to_contain_text("支付通道服务合同.md")
            expect(page.locator("#files-note")).to_be_hidden()
        finally:
            browser.close()

    listed = httpx.get(f"{server}/files", params={"actor": "陈静", "all_versions": "true"}).json()
    assert sorted((d["name"], d["folder"], d["version"]) for d in listed["items"]) == [
        ("支付通道服务合同.md", "合同", 1),
        ("登录页设计稿_v1.md", "需求文档", 1),
        ("登录页设计稿_v2.md", "需求文档", 2),
    ]


def test_signed_in_files_view_acts_as_the_signed_in_person(
    guarded_server: str, tmp_path: Path
) -> None:
    """Signed in with a personal token (session cookie), the view asks as that person: their
    uploads are theirs, a project they are not in is refused, downloads carry the session."""
    from playwright.sync_api import Dialog, FilePayload, expect, sync_playwright

    admin = {"Authorization": f"Bearer {_personal_token(tmp_path, '陈静')}"}
    made = httpx.post(
        f"{guarded_server}/projects",
        headers=admin,
        json={"name": "支付对接", "owner": "陈静", "members": []},
    )
    assert made.status_code == 201, made.text
    token = _personal_token(tmp_path, "王磊")

    def sign_in(dialog: Dialog) -> None:
        dialog.accept(token)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(accept_downloads=True)
            page.set_default_timeout(10_000)
            page.on("dialog", sign_in)
            page.goto(guarded_server + "/#files")
            expect(page.locator("#who")).to_have_text("已登录：王磊")
            page.select_option("#files-project", label="官网改版")
            payload: FilePayload = {
                "name": "支付回归测试报告.md",
                "mimeType": "text/markdown",
                "buffer": V1,
            }
            page.set_input_files("#file-input", files=[payload])
            page.click("#file-upload")
            report = page.locator('.folder[data-folder="测试报告"] .file')
            expect(report).to_contain_text("支付回归测试报告.md")
            expect(report.locator(".meta")).to_contain_text("王磊")  # uploaded as himself
            with page.expect_download() as info:
                report.locator(".actions a.download").click()
            assert Path(info.value.path()).read_bytes() == V1
            page.select_option("#files-project", label="支付对接")
            expect(page.locator("#files-note")).to_contain_text("不是项目「支付对接」的成员")
        finally:
            browser.close()

    listed = httpx.get(f"{guarded_server}/files", headers=admin).json()["items"]
    members = httpx.get(f"{guarded_server}/members", headers=admin).json()["items"]
    names = {m["id"]: m["display_name"] for m in members}
    assert [(d["name"], names.get(d["uploaded_by_id"])) for d in listed] == [
        ("支付回归测试报告.md", "王磊")
    ]
