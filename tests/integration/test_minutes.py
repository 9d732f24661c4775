"""Minutes end to end on SQLite and PostgreSQL: a meeting's transcript → the minutes card in
the chat → "确认1、3" / "去掉2" make tasks through the executor, once; re-running keeps them;
chat digests; POST /summaries as a job; and the LLM engine against the scripted server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from assistant.adapters.llm import LangChainChatModel
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import Meeting
from assistant.insight.summaries.llm import LLMMinutesEngine
from assistant.insight.summaries.model import MeetingContext, TranscriptLine
from assistant.insight.summaries.offline import OfflineMinutesEngine
from assistant.settings import LLMSettings, Settings
from tests.conftest import NOW
from tests.openai_server import Fault, scripted_server, text_reply

TRANSCRIPT = "\n".join(
    [
        "张三：嗯好我们开始 那就这么定了 登录就只做短信验证码 密码那个先不做了",
        "王磊：好的 那我这边周五之前把登录页的新稿子出出来",
        "张三：老李你下周一之前把接口文档准备一下",
        "李四：行",
        "张三：积分比例这个事情今天确实定不了 下次再说",
    ]
)


@pytest.fixture
def app(settings: Settings, clock: FixedClock) -> Iterator[tuple[Qunmi, TestClient]]:
    q = bootstrap(settings, clock=clock)
    with TestClient(create_app(q, start_worker=False)) as c:
        for body in (
            {"display_name": "张三", "aliases": ["老张"], "role": "pm"},
            {"display_name": "王磊", "aliases": ["小王"]},
            {"display_name": "李四", "aliases": ["老李"]},
        ):
            c.post("/members", json=body)
        yield q, c
    q.close()


def say(client: TestClient, sender: str, text: str) -> dict:  # type: ignore[type-arg]
    r = client.post("/messages", json={"chat": "官网群", "sender": sender, "text": text})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _meeting(q: Qunmi, chat_id: int) -> int:
    with q.uow_factory() as uow:
        m = uow.meetings.add(
            Meeting(
                title="周会",
                start=NOW - timedelta(hours=1),
                chat_id=chat_id,
                transcript=TRANSCRIPT,
                created_at=NOW,
            )
        )
        uow.commit()
        assert m.id is not None
        return m.id


def test_minutes_card_confirm_and_rerun(app: tuple[Qunmi, TestClient]) -> None:
    q, client = app
    first = say(client, "张三", "大家好")
    meeting_id = _meeting(q, first["results"][0]["chat_id"] if first["results"] else 1)
    out = say(client, "张三", "出一下刚才周会的纪要")
    assert out["engine"] == "card", out
    card = out["cards"][0]["text"]
    assert "会议纪要" in card and "短信验证码" in card and "确认1、3" in card
    with q.uow_factory() as uow:
        minutes = uow.minutes.by_meeting(meeting_id)
    assert minutes is not None
    owners = {i["owner"]: i for i in minutes.action_items}
    assert owners["王磊"]["due"] == "2026-11-27T18:00:00+08:00"
    assert owners["李四"]["due"] == "2026-11-30T18:00:00+08:00"
    wang, li = owners["王磊"]["n"], owners["李四"]["n"]
    out = say(client, "张三", f"去掉{li}")
    assert "已去掉" in out["cards"][-1]["text"]
    out = say(client, "张三", f"确认{wang}")
    created = [r for r in out["results"] if r["tool"] == "create_task"]
    assert created and created[0]["ok"], out
    task = created[0]["record"]
    assert task["assignee"] == "王磊" and "会议纪要" in task["description"]
    # Confirming again, or re-running the minutes, never makes a second task.
    say(client, "张三", "确认")
    say(client, "张三", "出一下刚才周会的纪要")
    with q.uow_factory() as uow:
        tasks = uow.tasks.list(limit=50).items
        minutes = uow.minutes.by_meeting(meeting_id)
    assert [t.title for t in tasks].count(task["title"]) == 1
    assert minutes is not None
    states = {i["owner"]: i["state"] for i in minutes.action_items}
    assert states["王磊"] == "confirmed" and states["李四"] == "dropped"
    r = client.get(f"/meetings/{meeting_id}/minutes")
    assert r.status_code == 200 and r.json()["decisions"]


def test_chat_digest_and_summary_jobs(app: tuple[Qunmi, TestClient]) -> None:
    q, client = app
    say(client, "张三", "@小王 周五前把登录页设计稿出了")
    say(client, "王磊", "老李 支付接口文档在哪里？")
    say(client, "张三", "那就这么定了 首页改版先不做动效")
    out = say(client, "张三", "总结一下今天群里聊了什么")
    text = out["cards"][0]["text"]
    assert "群聊摘要" in text and "新建 1" in text, text
    assert "王磊 在等 李四" in text
    r = client.post("/summaries", json={"transcript": TRANSCRIPT, "start": NOW.isoformat()})
    assert r.status_code == 202, r.text
    assert q.summary_jobs is not None
    job = q.summary_jobs.run(r.json()["id"])
    assert job.state.value == "done", job.error
    got = client.get(f"/summaries/{job.id}").json()
    assert got["result"]["minutes"]["action_items"]
    bad = client.post("/summaries", json={})
    assert bad.status_code in (400, 422) and "meeting_id" in bad.text


def test_llm_engine_map_reduce_and_fallback() -> None:
    lines = [
        TranscriptLine("张三", "老李你下周一之前把接口文档准备一下"),
        TranscriptLine("李四", "行"),
    ]
    context = MeetingContext(start=NOW, members={"张三": [], "李四": ["老李"]}, title="周会")
    answer = {
        "summary": "会上安排了接口文档。",
        "topics": [{"title": "接口文档", "summary": "李四准备"}],
        "decisions": [],
        "action_items": [
            {
                "owner": "老李",
                "title": "准备接口文档",
                "due": "2026-11-30T18:00:00+08:00",
                "line": 0,
            },
            {"owner": "李四", "title": "编造的行号", "due": None, "line": 99},
        ],
        "open_questions": [],
    }
    with scripted_server([text_reply(json.dumps(answer, ensure_ascii=False))]) as server:
        model = LangChainChatModel.from_settings(
            LLMSettings(base_url=server.base_url, api_key="k", max_retries=0)
        )  # type: ignore[arg-type]
        draft = LLMMinutesEngine(model).minutes(lines, context)
        assert "[0] 张三：" in server.requests[0]["messages"][0]["content"]
    assert [(a.owner, a.title, a.source) for a in draft.action_items] == [
        ("李四", "准备接口文档", lines[0].text)
    ]
    from assistant.services.minutes import MinutesService

    with scripted_server([Fault(status=500)], default=Fault(status=500)) as server:
        model = LangChainChatModel.from_settings(
            LLMSettings(base_url=server.base_url, api_key="k", max_retries=0)
        )  # type: ignore[arg-type]
        service = MinutesService(
            uow_factory=None,  # type: ignore[arg-type]
            clock=FixedClock(NOW),
            executor=None,  # type: ignore[arg-type]
            tz=NOW.tzinfo,  # type: ignore[arg-type]
            engine=LLMMinutesEngine(model),
            fallback=OfflineMinutesEngine(),
        )
        draft = service.draft(lines, context)
    assert draft.engine == "offline" and draft.notes
    assert draft.action_items and draft.action_items[0].owner == "李四"
