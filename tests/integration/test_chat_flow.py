"""A team's chat through the real rule engine, the executor and a real database (both backends)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from assistant.bootstrap import bootstrap
from assistant.cli import app as cli_app
from assistant.clock import FixedClock
from assistant.settings import Settings


@pytest.fixture
def client(settings: Settings, clock: FixedClock) -> Iterator[TestClient]:
    q = bootstrap(settings, clock=clock)  # the default engine: rules
    assert q.engine.name == "rules"
    with TestClient(create_app(q, start_worker=False)) as c:
        for body in (
            {"display_name": "张三", "aliases": ["老张"], "role": "pm"},
            {"display_name": "王磊", "aliases": ["小王"]},
            {"display_name": "李四", "aliases": ["老李"]},
            {"display_name": "陈静", "aliases": ["陈经理"], "role": "admin"},
        ):
            c.post("/members", json=body)
        yield c
    q.close()


def say(client: TestClient, sender: str, text: str) -> dict:  # type: ignore[type-arg]
    r = client.post("/messages", json={"chat": "官网改版群", "sender": sender, "text": text})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_a_week_in_the_group(client: TestClient) -> None:
    out = say(client, "陈静", "新建项目【官网改版】，负责人陈经理，12月20号上线")
    assert out["results"][0]["ok"], out
    assert out["results"][0]["record"]["deadline"] == "2026-12-20T18:00:00+08:00"

    out = say(client, "张三", "明天开个会讨论首页改版")
    meeting = out["results"][0]["record"]
    assert meeting["start"] == "2026-11-26T10:00:00+08:00" and meeting["agenda"] == ["首页改版"]
    assert "首页改版" in out["cards"][0]["text"]

    out = say(client, "张三", "@小王 周五前把登录页设计稿出了")
    task = out["results"][0]["record"]
    assert (task["assignee"], task["due"]) == ("王磊", "2026-11-27T18:00:00+08:00")

    out = say(client, "李四", "支付接口我来跟，尽快")
    assert out["results"][0]["record"]["assignee"] == "李四"

    out = say(client, "王磊", "我还有哪些任务")
    assert "出登录页设计稿" in out["cards"][0]["text"]

    assert say(client, "王磊", "好的收到，谢谢老张")["cards"] == []
    assert say(client, "李四", "我明天请假")["actions"] == []

    out = say(client, "王磊", "登录页搞定了")
    assert out["results"][0]["record"]["status"] == "done"

    out = say(client, "张三", "会改到周四下午")
    assert out["results"][0]["ok"], out["results"]
    assert out["results"][0]["record"]["start"] == "2026-11-26T14:00:00+08:00"

    out = say(client, "张三", "项目进度怎么样")
    assert "官网改版" in out["cards"][0]["text"] and "还剩 25 天" in out["cards"][0]["text"]

    tasks = client.get("/tasks", params={"open": False}).json()
    assert [t["title"] for t in tasks["items"]] == ["出登录页设计稿"]


def test_ambiguous_update_asks_back(client: TestClient) -> None:
    say(client, "张三", "@小王 周五前把登录页设计稿出了")
    say(client, "张三", "@老李 下周一前把登录页联调做完")
    out = say(client, "张三", "登录页搞定了")
    assert not out["results"][0]["ok"]
    assert out["cards"][0]["kind"] == "question" and "#1" in out["cards"][0]["text"]


def test_qunmi_say_uses_the_rule_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUNMI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("QUNMI_DATABASE_URL", raising=False)
    monkeypatch.delenv("QUNMI_ENGINE", raising=False)
    monkeypatch.delenv("QUNMI_LLM__BASE_URL", raising=False)
    monkeypatch.delenv("QUNMI_LLM__API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    runner.invoke(cli_app, ["members", "add", "王磊", "--alias", "小王"])
    result = runner.invoke(
        cli_app,
        [
            "say",
            "--chat",
            "g",
            "--sender",
            "张三",
            "--json",
            "@小王 下周五前把登录页设计稿出了，紧急",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["engine"] == "rules"
    record = out["results"][0]["record"]
    assert record["assignee"] == "王磊" and record["priority"] == "urgent"
    listed = runner.invoke(cli_app, ["tasks", "list", "--json"])
    assert [t["title"] for t in json.loads(listed.output)] == [record["title"]]
