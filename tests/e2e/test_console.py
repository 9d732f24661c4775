"""The web console in a real headless Chromium against a real server process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("QUNMI_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = pytest.mark.slow


def _need_chromium() -> None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if IN_CI:
            pytest.fail(
                f"Chromium is required in CI but {CHROMIUM} is missing (apt-get install chromium)"
            )
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, {})


@pytest.fixture
def guarded_server(tmp_path: Path) -> Iterator[str]:
    yield from _serve(tmp_path, {"QUNMI_API_TOKEN": "console-token"})


def _serve(
    tmp_path: Path, extra_env: dict[str, str], extra_args: tuple[str, ...] = ()
) -> Iterator[str]:
    _need_chromium()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.slow_server",
            "--db",
            f"sqlite:///{tmp_path / 'qunmi.db'}",
            "--data-dir",
            str(tmp_path / "data"),
            "--port",
            str(port),
            "--delay",
            "0",
            *extra_args,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **extra_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a busy machine starts slowly
    while True:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "server exited"
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "server did not come up"
        time.sleep(0.1)
    yield base
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_console_chat_cards_and_live_lists(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(timezone_id="America/New_York")  # not the team timezone
            page.set_default_timeout(10_000)
            page.goto(server + "/")
            expect(page.locator("#status")).to_have_text("已连接")
            expect(page.locator("#me option")).to_have_count(4)
            page.select_option("#me", "张三")
            expect(page.locator("#chat-title")).to_have_text("官网改版群")

            def say(text: str) -> None:
                page.fill("#text", text)
                page.click("#send")
                expect(page.locator(".msg .bubble", has_text=text)).to_be_visible()

            say("@小王 周五前把登录页设计稿出了")
            expect(page.locator(".card", has_text="出登录页设计稿")).to_be_visible()
            expect(page.locator("#tasks li", has_text="出登录页设计稿")).to_contain_text("王磊")
            # Due at 18:00 team time, shown as such whatever timezone the browser is in.
            expect(page.locator("#tasks li", has_text="出登录页设计稿")).to_contain_text("18:00")

            say("明天下午3点开会讨论首页改版")
            expect(page.locator("#meetings li", has_text="首页改版")).to_contain_text("15:00")
            expect(page.locator(".card", has_text="首页改版讨论")).to_be_visible()
            expect(page.locator("#meetings li", has_text="首页改版讨论")).to_be_visible()

            say("哈哈好的")  # chit-chat: no card
            chit = page.locator(".msg", has=page.locator(".bubble", has_text="哈哈好的"))
            expect(chit.locator(".pending")).to_have_count(0)
            expect(chit.locator(".card")).to_have_count(0)

            page.select_option("#me", "王磊")  # another member, live on the same page
            say("登录页搞定了")
            expect(page.locator("#tasks li", has_text="出登录页设计稿")).to_contain_text("已完成")
            say("撤销")
            expect(page.locator("#tasks li", has_text="出登录页设计稿")).not_to_contain_text(
                "已完成"
            )

            # The memory box: what was said is found, with who said it.
            page.fill("#memory-q", "登录页设计稿谁来出")
            page.click("#memory-form button")
            expect(page.locator("#memory-answer")).to_contain_text("登录页设计稿", timeout=60_000)
            expect(page.locator("#memory-hits li").first).to_contain_text("登录页", timeout=60_000)
        finally:
            browser.close()


def _personal_token(tmp_path: Path, member: str) -> str:
    """A token for ``member`` made with the CLI against the server's database."""
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "from assistant.cli import main; main()",
            "token",
            "create",
            "--member",
            member,
            "--json",
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "QUNMI_DATABASE_URL": f"sqlite:///{tmp_path / 'qunmi.db'}",
            "QUNMI_DATA_DIR": str(tmp_path / "data"),
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    token = json.loads(out.stdout.strip().splitlines()[-1])["token"]
    assert isinstance(token, str)
    return token


def test_console_signs_in_once_with_a_personal_token(guarded_server: str, tmp_path: Path) -> None:
    """The shared QUNMI_API_TOKEN does not act for anyone: the console signs in with 张三's own
    token, shows who is signed in, keeps the session in an HttpOnly cookie, and acts as 张三."""
    from playwright.sync_api import Dialog, expect, sync_playwright

    asked: list[str] = []
    token = _personal_token(tmp_path, "张三")

    signed_out: list[bool] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        if signed_out:
            dialog.dismiss()
        else:
            dialog.accept(token)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            page.on("dialog", answer)
            page.goto(guarded_server + "/")
            expect(page.locator("#me option")).to_have_count(4)
            page.fill("#text", "@小王 周五前把登录页设计稿出了")
            page.click("#send")
            expect(page.locator(".card", has_text="出登录页设计稿")).to_be_visible()
            expect(page.locator("#who")).to_have_text("已登录：张三")
            expect(page.locator("#me")).to_be_disabled()
            expect(page.locator("#tasks li", has_text="出登录页设计稿")).to_be_visible()
            assert len(asked) == 1 and "令牌" in asked[0]
            assert "qunmi_session" not in page.evaluate("document.cookie")  # HttpOnly
            cookies = {c["name"]: c for c in page.context.cookies()}
            assert cookies["qunmi_session"]["httpOnly"] is True
            signed_out.append(True)
            page.click("#sign-out")  # the session ends; the next prompt is declined
            expect(page.locator("#who")).to_have_text("未登录", timeout=30_000)  # a reload
        finally:
            browser.close()
