"""The weekly report end to end on SQLite and PostgreSQL: a constructed week of a project, built
through the executor with the clock moved (so task events are the real ones), whose figures
are worked out by hand below; the card, the charts (real PNGs in a real CJK font, checked
pixel by pixel for tofu), XLSX / PDF, the chat, the scheduler's Monday report, the API and the
CLI."""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from assistant.bootstrap import Qunmi, bootstrap
from assistant.clock import FixedClock
from assistant.domain import (
    Chat,
    Meeting,
    MeetingStatus,
    Member,
    Message,
    MessageKind,
    Milestone,
    Project,
    Role,
    ToolCall,
)
from assistant.insight.reports import render_weekly_card
from assistant.services.cards import render_result
from assistant.settings import Settings
from tests.conftest import TZ
from tests.doubles import RecordingNotifier
from tools.executor import CallContext, ToolResult

REPORT_AT = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)  # Monday 09:00: the period is 11-23 09:00 on


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def call(q: Qunmi, clock: FixedClock, when: datetime, tool: str, actor: str, **args: Any) -> Any:
    clock.at = when
    result = q.executor.execute(ToolCall(tool, dict(args)), CallContext(actor=actor, chat_id=1))
    assert result.ok, result.error
    return result.record["id"] if result.record else None


@pytest.fixture
def week(settings: Settings) -> Iterator[tuple[Qunmi, FixedClock]]:
    """The project's history; the comments give each task's part in the figures."""
    clock = FixedClock(at(20, 10))
    q = bootstrap(settings, clock=clock, notifier=RecordingNotifier())  # the rule engine
    with q.uow_factory() as uow:
        pm = uow.members.add(Member(display_name="张三", role=Role.PM, created_at=clock.at))
        wang = uow.members.add(Member(display_name="王磊", created_at=clock.at))
        li = uow.members.add(Member(display_name="李四", created_at=clock.at))
        ids = [m.id for m in (pm, wang, li) if m.id]
        project = uow.projects.add(
            Project(
                name="官网改版",
                owner_id=pm.id,
                member_ids=ids,
                budget=100_000,
                spent=25_000,
                deadline=datetime(2026, 12, 20, 18, 0, tzinfo=TZ),
                created_at=clock.at,
            )
        )
        chat = uow.chats.add(
            Chat(
                name="官网群",
                channel="api",
                external_id="官网群",
                project_id=project.id,
                member_ids=ids,
                created_at=clock.at,
            )
        )
        other = uow.chats.add(Chat(name="闲聊群", member_ids=ids, created_at=clock.at))
        uow.milestones.add(
            Milestone(
                title="上线",
                due=datetime(2026, 12, 10, 18, 0, tzinfo=TZ),
                project_id=project.id,
                created_at=clock.at,
            )
        )
        # Messages: 王磊 3 in the period in the project's chat (+1 before it), 张三 2 (+1 event,
        # not a message), 李四 1 in another chat (not the project's).
        for n, (sender, chat_id, when, kind) in enumerate(
            [
                (wang, chat.id, at(24, 10), MessageKind.TEXT),
                (wang, chat.id, at(25, 10), MessageKind.TEXT),
                (wang, chat.id, at(29, 10), MessageKind.VOICE),
                (wang, chat.id, at(22, 10), MessageKind.TEXT),
                (pm, chat.id, at(26, 10), MessageKind.TEXT),
                (pm, chat.id, at(27, 10), MessageKind.TEXT),
                (pm, chat.id, at(27, 11), MessageKind.EVENT),
                (li, other.id, at(27, 12), MessageKind.TEXT),
            ]
        ):
            uow.messages.add(
                Message(
                    channel="console",
                    external_id=f"m{n}",
                    text="收到",
                    received_at=when,
                    chat_id=chat_id,
                    sender_id=sender.id,
                    kind=kind,
                )
            )
        # Meetings: one held on 11-25, one cancelled, a weekly one on Mondays 10:00 since 11-16
        # (11-23 10:00 is in the period, 11-30 10:00 after it), one in another chat.
        for title, start, status, rule, chat_id in (
            ("评审会", at(25, 15), MeetingStatus.SCHEDULED, None, chat.id),
            ("取消的会", at(26, 15), MeetingStatus.CANCELLED, None, chat.id),
            ("周会", at(16, 10), MeetingStatus.SCHEDULED, "FREQ=WEEKLY;BYDAY=MO", chat.id),
            ("闲聊会", at(26, 16), MeetingStatus.SCHEDULED, None, other.id),
        ):
            uow.meetings.add(
                Meeting(
                    title=title,
                    start=start,
                    status=status,
                    recurrence=rule,
                    chat_id=chat_id,
                    created_at=at(15, 10),
                )
            )
        uow.commit()
    p = "官网改版"
    # Before the period (11-20).
    t1 = call(q, clock, at(20, 10), "create_task", "张三", title="设计稿", assignee="王磊",
              due=at(24, 18).isoformat(), project=p)  # fmt: skip
    t2 = call(q, clock, at(20, 10, 1), "create_task", "张三", title="接口联调", assignee="王磊",
              due=at(25, 18).isoformat(), project=p)  # fmt: skip
    t3 = call(q, clock, at(20, 10, 2), "create_task", "张三", title="测试用例", assignee="李四",
              due=at(27, 18).isoformat(), project=p)  # fmt: skip
    t4 = call(q, clock, at(20, 10, 3), "create_task", "张三", title="文案", assignee="李四",
              due=at(21, 18).isoformat(), project=p)  # fmt: skip
    t5 = call(q, clock, at(20, 10, 4), "create_task", "张三", title="旧页面下线", assignee="张三",
              due=at(22, 18).isoformat(), project=p)  # fmt: skip
    call(q, clock, at(21, 10), "update_task", "张三", task=t5, status="done")
    call(q, clock, at(22, 10), "update_task", "李四", task=t4, status="blocked")
    # In the period.
    call(q, clock, at(24, 10), "update_task", "王磊", task=t1, status="done")  # on time
    t6 = call(q, clock, at(24, 10, 5), "create_task", "张三", title="性能优化", assignee="张三",
              due=at(28, 18).isoformat(), project=p)  # fmt: skip
    call(q, clock, at(25, 10), "update_task", "李四", task=t3,
         due=datetime(2026, 12, 2, 18, 0, tzinfo=TZ).isoformat())  # fmt: skip  # slip: 5 days
    t7 = call(q, clock, at(25, 10, 5), "create_task", "张三", title="bug修复", assignee="王磊",
              project=p)  # fmt: skip  # no due date
    call(q, clock, at(26, 12), "update_task", "王磊", task=t2, status="done")  # late
    t8 = call(q, clock, at(26, 10), "create_task", "张三", title="废弃需求", assignee="李四",
              project=p)  # fmt: skip
    call(q, clock, at(26, 11), "update_task", "张三", task=t8, status="cancelled")
    t9 = call(q, clock, at(26, 10, 5), "create_task", "张三", title="首页开发", assignee="李四",
              due=at(29, 12).isoformat(), project=p)  # fmt: skip
    call(q, clock, at(26, 15), "update_task", "李四", task=t9,
         due=at(28, 12).isoformat())  # fmt: skip  # moved earlier: not a slip
    call(q, clock, at(27, 10), "update_task", "王磊", task=t7, status="done")
    call(q, clock, at(28, 10), "update_task", "李四", task=t9, status="done")  # on time
    # After the report's time: not in it.
    call(q, clock, at(30, 10), "create_task", "张三", title="下周的事", assignee="王磊",
         due=at(30, 18).isoformat(), project=p)  # fmt: skip
    q.extras["ids"] = {"t2": t2, "t3": t3, "t4": t4, "t6": t6}
    clock.at = REPORT_AT
    yield q, clock
    q.close()


def report(q: Qunmi, **kwargs: Any) -> dict[str, Any]:
    assert q.reports is not None
    return q.reports.weekly(project="官网改版", now=REPORT_AT, **kwargs).data


def test_each_figure_matches_the_hand_count(week: tuple[Qunmi, FixedClock]) -> None:
    q, _ = week
    data = report(q, charts=False)
    ids = q.extras["ids"]
    t = data["tasks"]
    # Not cancelled and created by 11-30 09:00: t1 t2 t3 t4 t5 t6 t7 t9; done: t1 t2 t5 t7 t9.
    assert (t["total"], t["done"], t["cancelled"]) == (8, 5, 1)
    assert t["completion_rate"] == pytest.approx(5 / 8)
    # Created in the period: t6 t7 t8 t9. Finished in it: t1 t2 t7 t9; with a due: t1 t2 t9,
    # on time: t1 t9.
    assert (t["created"], t["finished"]) == (4, 4)
    assert (t["finished_with_due"], t["finished_on_time"]) == (3, 2)
    assert t["on_time_rate"] == pytest.approx(2 / 3, abs=1e-4)
    # Due in the period and not done by then: t2 (done a day late), t6 (still open).
    assert t["delays"] == 2
    assert {d["id"] for d in data["delayed_tasks"]} == {ids["t2"], ids["t6"]}
    # One due date moved later (t3, 11-27 18:00 → 12-02 18:00); t9's moved earlier.
    assert (t["slips"], t["slipped_tasks"], t["slip_days"]) == (1, 1, 5.0)
    # Overdue now: t4 (due 11-21, blocked) and t6 (due 11-28).
    assert t["overdue"] == 2
    assert [o["id"] for o in data["overdue_tasks"]] == [ids["t4"], ids["t6"]]
    assert t["status_counts"] == {"todo": 2, "in_progress": 0, "blocked": 1, "done": 5}
    members = {m["name"]: m for m in data["members"]}
    # 王磊: t1 (on time), t2 (late), t7 (no due); 3 messages in the period in the project chat.
    assert (members["王磊"]["tasks_done"], members["王磊"]["messages"]) == (3, 3)
    assert members["王磊"]["on_time_rate"] == pytest.approx(0.5)
    # 李四: t9 on time; open t3 and t4, t4 overdue; the message in the other chat not counted.
    assert (members["李四"]["tasks_done"], members["李四"]["on_time_rate"]) == (1, 1.0)
    assert (members["李四"]["open_tasks"], members["李四"]["overdue"]) == (2, 1)
    assert members["李四"]["messages"] == 0
    # 张三: t5 was finished before the period; t6 open and overdue; 2 messages (not the event).
    assert (members["张三"]["tasks_done"], members["张三"]["on_time_rate"]) == (0, None)
    assert (members["张三"]["messages"], members["张三"]["overdue"]) == (2, 1)
    assert data["members"][0]["name"] == "王磊"  # most tasks done first
    # Meetings held: 评审会 (11-25) and 周会 of 11-23; not the cancelled one, not other chats'.
    assert data["meetings_held"] == 2
    assert [m["title"] for m in data["meetings"]] == ["周会", "评审会"]
    assert [(m["title"], m["days_left"]) for m in data["milestones"]] == [("上线", 10)]
    # Burndown: open at 11-23 09:00: t1 t2 t3 t4 (t5 done); at the end: t3 t4 t6.
    assert data["burndown"][0]["remaining"] == 4
    assert data["burndown"][-1]["remaining"] == 3
    assert data["burndown"][-1]["at"] == REPORT_AT.isoformat()
    # The risk model is not trained: the prior speaks and says so.
    assert data["risks"]["model"] == "prior"
    assert "先验" in data["risks"]["note"]
    assert data["budget"] is None


def test_a_report_at_an_earlier_time_sees_the_history_as_it_was(
    week: tuple[Qunmi, FixedClock],
) -> None:
    q, _ = week
    assert q.reports is not None
    earlier = q.reports.weekly(project="官网改版", now=at(25, 9), charts=False).data
    t = earlier["tasks"]
    # At 11-25 09:00: t1..t6 exist (t6 created 11-24); done: t5 (11-21), t1 (11-24).
    assert (t["total"], t["done"]) == (6, 2)
    # Period 11-18 09:00 – 11-25 09:00: created t1..t6; finished t5 (on time), t1 (on time).
    assert (t["created"], t["finished"], t["finished_on_time"]) == (6, 2, 2)
    # Due then: t4 (11-21) and t5 (11-22, done 11-21) and t1 (11-24, done): t4 missed it.
    assert t["delays"] == 1
    assert t["overdue"] == 1


def test_the_card_is_chinese_short_and_fits_the_robot(week: tuple[Qunmi, FixedClock]) -> None:
    q, _ = week
    data = report(q, charts=False)
    card = data["card"]
    assert "「官网改版」周报" in card
    assert "完成率 **62%**（5/8）" in card or "完成率 **63%**（5/8）" in card
    assert "（2/3）" in card and "当前逾期 **2** 项" in card
    assert "改期顺延 1 次" in card and "本周开会 2 场" in card
    assert "王磊：完成 3" in card
    assert "预算" not in card
    assert len(card.encode()) <= 4096
    # A huge week still fits: 300 overdue tasks with long titles, 200 active members.
    big = json.loads(json.dumps(data))
    big["overdue_tasks"] = [
        {"id": i, "title": "很长的任务标题" * 20, "assignee": "王磊", "due": REPORT_AT.isoformat()}
        for i in range(300)
    ]
    big["members"] = [
        {"name": f"成员{i}" * 10, "tasks_done": 1, "messages": 1, "on_time_rate": 1.0}
        for i in range(200)
    ]
    assert len(render_weekly_card(big).encode()) <= 4096


def test_budget_only_for_the_pm_and_admins(week: tuple[Qunmi, FixedClock]) -> None:
    q, _ = week

    def as_(actor: str) -> ToolResult:
        return q.executor.execute(
            ToolCall("report", {"kind": "weekly", "project": "官网改版"}),
            CallContext(actor=actor, chat_id=1),
        )

    pm = as_("张三")
    assert pm.ok and pm.summary is not None
    assert pm.summary["budget"] == {"budget": 100_000, "spent": 25_000, "spent_rate": 0.25}
    assert "预算" in pm.summary["card"]
    member = as_("李四")
    assert member.ok and member.summary is not None
    assert member.summary["budget"] is None
    assert "预算" not in member.summary["card"]


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _glyph(font: Any, ch: str) -> Any:
    """``ch`` drawn alone in the charts' font, as a greyscale array."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    fig = Figure(figsize=(1, 1), dpi=64)
    canvas = FigureCanvasAgg(fig)
    props = FontProperties(family=font.family, size=40)
    fig.text(0.5, 0.5, ch, fontproperties=props, ha="center", va="center")
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, 0]


@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_charts_are_pngs_in_a_cjk_font_without_tofu(week: tuple[Qunmi, FixedClock]) -> None:
    from assistant.adapters.charts import CHART_NAMES, find_cjk_font, has_glyphs

    q, _ = week
    assert q.reports is not None
    built = q.reports.weekly(project="官网改版", now=REPORT_AT)
    assert set(built.images) == set(CHART_NAMES)
    for name, path in built.images.items():
        width, height = _png_size(path.read_bytes())
        assert 600 <= width <= 1000 and height >= 400, (name, width, height)
        assert path.stat().st_size > 8_000, name  # drawn, not blank
    font = find_cjk_font()
    assert "CJK" in font.family or "SC" in font.family
    assert has_glyphs(font.path, "周报完成率逾期甘特燃尽成员", index=font.index)
    # Two different characters render differently, each with ink, and neither is the box the
    # font draws for a character it lacks (a private-use code point).
    zhou, bao, missing = _glyph(font, "周"), _glyph(font, "报"), _glyph(font, "\U000f0000")
    assert (zhou < 128).sum() > 50 and (bao < 128).sum() > 50
    assert (zhou != bao).sum() > 50
    assert (zhou != missing).sum() > 50 and (bao != missing).sum() > 50
    # The gantt chart names the tasks: its PNG differs from one drawn without rows.
    renderer = q.reports.renderer
    assert renderer is not None
    empty = dict(built.data, gantt=[], milestones=[])
    assert renderer.render("gantt", empty) != renderer.render("gantt", built.data)


def test_xlsx_and_pdf_exports(week: tuple[Qunmi, FixedClock], tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from assistant.adapters.charts.export import write_pdf, write_xlsx

    q, _ = week
    data = report(q, charts=False, show_budget=True)
    xlsx = write_xlsx(data, tmp_path / "r.xlsx")
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["概览", "成员", "逾期", "风险"]
    overview = {row[0]: row[1] for row in wb["概览"].iter_rows(min_row=2, values_only=True)}
    assert overview["完成率"] == "62.5%"
    assert overview["当前逾期"] == "2"
    assert overview["预算"] == "100,000"
    members = {r[0]: r for r in wb["成员"].iter_rows(min_row=2, values_only=True)}
    assert members["王磊"][1:3] == (3, 3)
    assert len(list(wb["逾期"].iter_rows(min_row=2))) == 2
    pdf = write_pdf(data, tmp_path / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert b"NotoSansCJK" in pdf  # the CJK font is embedded
    # The figures page and one page per chart.
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 5


def test_asking_in_the_chat_gets_the_card_and_the_charts(
    week: tuple[Qunmi, FixedClock],
) -> None:
    q, _ = week
    result = q.executor.execute(
        ToolCall("report", {"kind": "weekly"}), CallContext(actor="王磊", chat_id=1)
    )
    assert result.ok, result.error
    card = render_result(result, tz=TZ, now=REPORT_AT)
    assert card.kind == "report"
    assert "「官网改版」周报" in card.text  # the chat's project
    assert len(card.images) == 4 and all(Path(p).is_file() for p in card.images)


def test_the_rule_engine_reads_the_request() -> None:
    from assistant.domain import ChatContext, IncomingMessage
    from assistant.engines.rules import RuleEngine

    calls = RuleEngine().understand(
        IncomingMessage(text="@群秘 出一下周报", sender="张三"),
        ChatContext(now=REPORT_AT, sender="张三"),
    )
    assert [(c.tool, c.args.get("kind")) for c in calls] == [("report", "weekly")]


def test_the_monday_report_goes_to_the_group_once_with_its_charts(
    week: tuple[Qunmi, FixedClock],
) -> None:
    q, clock = week
    clock.at = REPORT_AT - timedelta(minutes=1)
    assert not [m for m in q.scheduler.tick(force_reconcile=True).sent if m.kind == "report"]
    clock.at = REPORT_AT + timedelta(seconds=30)
    sent = [m for m in q.scheduler.tick(force_reconcile=True).sent if m.kind == "report"]
    assert len(sent) == 1
    message = sent[0]
    assert message.chat_id == 1 and "「官网改版」周报" in message.text
    assert "预算" not in message.text  # a group sees it
    assert len(message.images) == 4
    notifier = q.notifier
    assert isinstance(notifier, RecordingNotifier)
    assert any(c.images for c in notifier.sent)
    clock.at = REPORT_AT + timedelta(minutes=5)
    again = [m for m in q.scheduler.tick(force_reconcile=True).sent if m.kind == "report"]
    assert again == []
    with q.uow_factory() as uow:
        jobs = uow.schedule.list(filters={"kind": "weekly_report"}, limit=50).items
    done = [j for j in jobs if j.state.value == "done"]
    assert len(done) == 1 and done[0].due_at == REPORT_AT


def test_a_chat_can_switch_the_weekly_report_off(week: tuple[Qunmi, FixedClock]) -> None:
    q, clock = week
    clock.at = REPORT_AT - timedelta(hours=1)
    off = q.executor.execute(
        ToolCall("set_reminders", {"what": "weekly_report", "enabled": False}),
        CallContext(actor="张三", chat_id=1),
    )
    assert off.ok, off.error
    clock.at = REPORT_AT + timedelta(minutes=1)
    sent = q.scheduler.tick(force_reconcile=True).sent
    assert not [m for m in sent if m.kind == "report"]


@pytest.fixture
def api(week: tuple[Qunmi, FixedClock]) -> Iterator[TestClient]:
    q, _ = week
    with TestClient(create_app(q, start_worker=False)) as c:
        yield c


def test_the_api_serves_figures_and_charts(api: TestClient) -> None:
    params = {"project": "官网改版", "now": REPORT_AT.isoformat()}
    # The reader is the authenticated person; in local mode the operator names who reads.
    r = api.get("/reports/weekly", params={**params, "actor": "李四"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["tasks"]["total"] == 8 and body["budget"] is None
    assert body["charts"] == ["status", "gantt", "burndown", "members"]
    pm = api.get("/reports/weekly", params={**params, "actor": "张三"}).json()
    assert pm["budget"]["spent_rate"] == 0.25
    assert api.get("/reports/weekly", params={**params, "actor": "李四"}).json()["budget"] is None
    png = api.get("/reports/weekly/charts/burndown.png", params=params)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert _png_size(png.content)[0] >= 600
    bad = api.get("/reports/weekly/charts/pie3d.png", params=params)
    assert bad.status_code == 404 and "图表" in bad.json()["reason"]
    naive = api.get("/reports/weekly", params={"now": "2026-11-30T09:00:00"})
    assert naive.status_code == 422 and "时区" in naive.json()["reason"]
    unknown = api.get("/reports/weekly", params={"project": "不存在的项目", "actor": "李四"})
    assert unknown.status_code == 404 and "找不到项目" in unknown.json()["reason"]


def test_the_cli_prints_and_exports(
    week: tuple[Qunmi, FixedClock], settings: Settings, tmp_path: Path, monkeypatch: Any
) -> None:
    from assistant.cli import app as cli_app

    monkeypatch.setenv("QUNMI_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("QUNMI_DATABASE_URL", settings.resolved_database_url)
    out = tmp_path / "out"
    runner = CliRunner()
    args = ["report", "weekly", "--project", "官网改版", "--now", REPORT_AT.isoformat()]
    result = runner.invoke(
        cli_app,
        [*args, "--json", "--png", str(out), "--xlsx", str(out / "r.xlsx"), "--pdf",
         str(out / "r.pdf")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["tasks"]["overdue"] == 2 and data["budget"] is None
    assert sorted(p.name for p in out.glob("*.png")) == [
        "burndown.png",
        "gantt.png",
        "members.png",
        "status.png",
    ]
    assert (out / "r.xlsx").stat().st_size > 2000
    assert (out / "r.pdf").read_bytes().startswith(b"%PDF")
    as_pm = runner.invoke(cli_app, [*args, "--as", "张三"])
    assert as_pm.exit_code == 0, as_pm.output
    assert "预算" in as_pm.stdout and "周报" in as_pm.stdout
    naive = runner.invoke(cli_app, ["report", "weekly", "--now", "2026-11-30T09:00"])
    assert naive.exit_code != 0 and "时区" in naive.output


def test_png_is_a_real_image_stream() -> None:
    """The renderer's bytes decode as PNG (IHDR, IDAT that inflates, IEND)."""
    from assistant.adapters.charts import MatplotlibChartRenderer

    data = {
        "project": "演示",
        "period": {"start": at(23, 9).isoformat(), "end": REPORT_AT.isoformat()},
        "tasks": {"status_counts": {"todo": 2, "in_progress": 1, "blocked": 0, "done": 3}},
    }
    png = MatplotlibChartRenderer().render("status", data)
    stream = io.BytesIO(png[8:])
    chunks: dict[bytes, bytes] = {}
    while True:
        length = int.from_bytes(stream.read(4), "big")
        kind = stream.read(4)
        chunks[kind] = chunks.get(kind, b"") + stream.read(length)
        stream.read(4)
        if kind == b"IEND":
            break
    assert b"IHDR" in chunks and len(zlib.decompress(chunks[b"IDAT"])) > 100_000


def test_saying_it_in_the_group_sends_the_card_and_the_chart_images(api: TestClient) -> None:
    r = api.post("/messages", json={"chat": "官网群", "sender": "王磊", "text": "出一下周报"})
    assert r.status_code == 200, r.text
    (result,) = r.json()["results"]
    assert result["tool"] == "report" and result["ok"], result
    assert result["summary"]["tasks"]["overdue"] == 2
    outbox = api.get("/outbox", params={"kind": "report"}).json()["items"]
    assert len(outbox) == 1
    assert "「官网改版」周报" in outbox[0]["text"]
    assert [Path(p).name for p in outbox[0]["images"]] == [
        "status.png",
        "gantt.png",
        "burndown.png",
        "members.png",
    ]


def test_the_app_channel_uploads_the_charts_and_sends_them_as_images(
    week: tuple[Qunmi, FixedClock],
) -> None:
    """Through the outbox's own cutting into channel messages: the card, then each chart
    uploaded as temporary media and sent as an image message to the app chat."""
    from assistant.adapters.wecom.client import WeComClient
    from assistant.adapters.wecom.notifier import WeComAppNotifier
    from assistant.ports import OutgoingCard
    from assistant.services.outbox import Outbox
    from tests.wecom_fakes import AGENT_ID, CORP_ID, SECRET, FakeWeComAPI

    q, clock = week
    assert q.reports is not None
    built = q.reports.weekly(project="官网改版", now=REPORT_AT)
    fake = FakeWeComAPI()
    client = WeComClient(
        api_base="https://qyapi.example",
        corp_id=CORP_ID,
        secret=SECRET,
        agent_id=AGENT_ID,
        clock=clock,
        transport=fake.transport(),
    )

    class AppChat:
        def __init__(self) -> None:
            self.app = WeComAppNotifier(client)

        def send(self, card: OutgoingCard) -> None:
            self.app.send_to(card, chat_id="wrk-chat-1")

    outbox = Outbox(uow_factory=q.uow_factory, clock=clock, notifier=AppChat())
    with q.uow_factory() as uow:
        card = OutgoingCard(
            text=built.card,
            chat_id=1,
            kind="report",
            images=tuple(str(p) for p in built.images.values()),
        )
        row = outbox.put(uow, card, now=clock.at, key="test:app-report")
        uow.commit()
    assert row.id is not None
    (sent,) = outbox.deliver([row.id])
    assert sent.state.value == "sent"
    kinds = [m["msgtype"] for m in fake.sent]
    assert kinds == ["markdown", "image", "image", "image", "image"]
    assert all(m["chatid"] == "wrk-chat-1" for m in fake.sent)
    uploaded = {m["image"]["media_id"] for m in fake.sent if m["msgtype"] == "image"}
    assert uploaded == set(fake.uploads) and len(uploaded) == 4
    assert all(b"\x89PNG" in body for body in fake.uploads.values())


def test_old_chart_folders_are_pruned_and_recent_ones_kept(
    week: tuple[Qunmi, FixedClock],
) -> None:
    import os
    import time

    q, _ = week
    assert q.reports is not None
    first = q.reports.weekly(project="官网改版", now=REPORT_AT - timedelta(days=7))
    second = q.reports.weekly(project="官网改版", now=REPORT_AT - timedelta(days=1))
    old_dir = next(iter(first.images.values())).parent
    recent_dir = next(iter(second.images.values())).parent
    month_ago = time.time() - 30 * 86400
    os.utime(old_dir, (month_ago, month_ago))
    third = q.reports.weekly(project="官网改版", now=REPORT_AT)
    assert not old_dir.exists()
    assert recent_dir.is_dir() and all(p.is_file() for p in third.images.values())
