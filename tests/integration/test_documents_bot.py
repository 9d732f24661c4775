"""AI bot (智能机器人) image and file messages: the file behind the message's URL is fetched
once from WeCom (the faked API at the httpx transport), decrypted with the bot's EncodingAESKey,
and kept in the project folder like an app file message (real SQL, real app, real worker)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.services.worker import InProcessWorker
from assistant.settings import Settings
from tests.conftest import NOW
from tests.doubles import RecordingNotifier
from tests.fixtures_files import docx_bytes
from tests.integration.test_wecom_callbacks import BASE, wecom_settings
from tests.wecom_fakes import FakeWeComAPI, ScriptedWeCom

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class BotWorld:
    client: TestClient
    q: Qunmi
    api: FakeWeComAPI
    wecom: ScriptedWeCom

    def send(self, message: dict[str, Any], times: int = 1) -> None:
        for _ in range(times):
            url, body = self.wecom.bot_post(message)
            assert self.client.post(url, content=body).status_code == 200

    def drain(self) -> int:
        return InProcessWorker(self.q.processor).drain()

    def downloads(self) -> list[str]:
        return [r.url.path for r in self.api.requests if r.url.path.startswith("/aibot-file/")]


@pytest.fixture
def bot(settings: Settings, clock: FixedClock) -> Iterator[BotWorld]:
    api = FakeWeComAPI(directory={})
    q = bootstrap(
        wecom_settings(settings),
        clock=clock,
        notifier=RecordingNotifier(),
        wecom_transport=api.transport(),
    )
    try:
        with TestClient(create_app(q, start_worker=False, seed_demo=False)) as client:
            assert (
                client.post(
                    "/members", json={"display_name": "王磊", "wecom_userid": "wanglei"}
                ).status_code
                == 201
            )
            yield BotWorld(client, q, api, ScriptedWeCom(now=int(NOW.timestamp())))
    finally:
        q.close()


def _message(msg_id: str, msg_type: str, url: str) -> dict[str, Any]:
    return {
        "msgid": msg_id,
        "aibotid": "AIBOT",
        "chatid": "wrGroup1",
        "chattype": "group",
        "from": {"userid": "wanglei"},
        "response_url": f"{BASE}/respond/{msg_id}",
        "msgtype": msg_type,
        msg_type: {"url": url},
    }


def test_bot_file_is_fetched_once_decrypted_and_kept(bot: BotWorld) -> None:
    design = docx_bytes(["登录页视觉稿终版", "扫码登录入口放在右上角"])
    name = "登录页设计稿_终稿.docx"
    bot.api.bot_files["f1"] = (design, f"attachment; filename*=UTF-8''{quote(name)}")
    bot.send(_message("bot-file-1", "file", f"{BASE}/aibot-file/f1"), times=3)  # redelivered
    assert bot.drain() == 1
    assert bot.downloads() == ["/aibot-file/f1"]
    assert bot.q.documents is not None
    kept = bot.q.documents.list()
    assert [(d.name, d.folder, d.version) for d in kept] == [(name, "设计稿", 1)]
    assert bot.q.documents.path_of(kept[0]).read_bytes() == design  # decrypted, unpadded
    assert kept[0].text and "扫码登录" in kept[0].text
    with bot.q.uow_factory() as uow:
        message = uow.messages.list(filters={"kind": "file"}).items[0]
    assert message.payload["document_id"] == kept[0].id
    assert "file_url" not in message.payload  # the short-lived URL is not kept
    (path, reply), *_ = bot.api.responses
    assert path == "/respond/bot-file-1"
    assert "已存入文件夹「设计稿」" in reply["markdown"]["content"]
    # The same file sent again: no new version, and it is said so.
    bot.send(_message("bot-file-2", "file", f"{BASE}/aibot-file/f1"))
    assert bot.drain() == 1
    assert len(bot.q.documents.list(all_versions=True)) == 1
    assert "和最新版相同" in bot.api.responses[-1][1]["markdown"]["content"]


def test_bot_image_without_a_name_is_kept_as_a_png(bot: BotWorld) -> None:
    bot.api.bot_files["img-1"] = (PNG, "")
    bot.send(_message("bot-img-1", "image", f"{BASE}/aibot-file/img-1"))
    assert bot.drain() == 1
    assert bot.q.documents is not None
    (image,) = bot.q.documents.list()
    assert image.name.startswith("图片-") and image.name.endswith(".png")
    assert image.content_type == "image/png"
    assert bot.q.documents.path_of(image).read_bytes() == PNG
    download = bot.client.get(f"/files/{image.id}", params={"actor": "王磊"})
    assert download.status_code == 200 and download.content == PNG


def test_bot_file_outside_wecom_is_never_fetched(bot: BotWorld) -> None:
    bot.send(_message("bot-evil", "file", "http://169.254.169.254/latest/meta-data"))
    assert bot.drain() == 1
    assert bot.q.documents is not None and bot.q.documents.list() == []
    hosts = {r.url.host for r in bot.api.requests}
    assert "169.254.169.254" not in hosts
    assert "不是企业微信的地址" in bot.api.responses[-1][1]["markdown"]["content"]


def test_bot_file_under_another_key_is_refused_and_nothing_kept(bot: BotWorld) -> None:
    bot.api.bot_file_key = "Z" * 43  # not the bot's key: the padding does not check out
    bot.api.bot_files["f2"] = (docx_bytes(["需求说明"]), "")
    bot.send(_message("bot-file-3", "file", f"{BASE}/aibot-file/f2"))
    bot.drain()
    assert bot.q.documents is not None and bot.q.documents.list() == []
    with bot.q.uow_factory() as uow:
        message = uow.messages.list(filters={"kind": "file"}).items[0]
    assert message.state.value != "done" and "解密失败" in (message.error or "")


def test_pictures_in_a_mixed_message_are_kept_under_its_caption(bot: BotWorld) -> None:
    bot.api.bot_files["m1"] = (PNG, "")
    message = {
        "msgid": "bot-mixed-1",
        "aibotid": "AIBOT",
        "chatid": "wrGroup1",
        "chattype": "group",
        "from": {"userid": "wanglei"},
        "response_url": f"{BASE}/respond/mixed",
        "msgtype": "mixed",
        "mixed": {
            "msg_item": [
                {"msgtype": "text", "text": {"content": "@群秘 会员中心新版设计稿"}},
                {"msgtype": "image", "image": {"url": f"{BASE}/aibot-file/m1"}},
                {"msgtype": "image", "image": {"url": "http://169.254.169.254/x.png"}},
            ]
        },
    }
    bot.send(message, times=2)
    assert bot.drain() == 1
    assert bot.downloads() == ["/aibot-file/m1"]
    assert {r.url.host for r in bot.api.requests}.isdisjoint({"169.254.169.254"})
    assert bot.q.documents is not None
    (picture,) = bot.q.documents.list()
    assert (picture.name, picture.folder) == ("会员中心新版设计稿.png", "设计稿")
    assert bot.q.documents.path_of(picture).read_bytes() == PNG
    with bot.q.uow_factory() as uow:
        stored = uow.messages.list(filters={"kind": "text"}).items[0]
    assert stored.text == "会员中心新版设计稿"  # the text is the message's text as well
    assert stored.payload["document_ids"] == [picture.id]
    content = bot.api.responses[-1][1]["markdown"]["content"]
    assert "已存入文件夹「设计稿」：会员中心新版设计稿.png" in content
    assert "不是企业微信的地址" in content


@pytest.mark.parametrize(
    "mixed",
    [{"msg_item": 5}, {"msg_item": "abc"}, {"msg_item": [1, {"msgtype": "image", "image": 3}]}],
)
def test_odd_mixed_bodies_are_taken_as_text_without_pictures(
    bot: BotWorld, mixed: dict[str, Any]
) -> None:
    message = {
        "msgid": f"bot-odd-{len(str(mixed))}",
        "chatid": "wrGroup1",
        "chattype": "group",
        "from": {"userid": "wanglei"},
        "msgtype": "mixed",
        "mixed": mixed,
    }
    bot.send(message)
    assert bot.drain() == 1
    assert bot.q.documents is not None and bot.q.documents.list() == []
    assert bot.downloads() == []
