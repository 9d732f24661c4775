"""The dashboard views of the console in a real headless Chromium against a real server:
layout at desktop (1280 px) and phone (390 px) width, what a first-time user tripped over,
the board, calendar, Gantt, projects and members, and that no page asks another host."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.test_console import ARGS, CHROMIUM, _serve

pytestmark = pytest.mark.slow

TZ = ZoneInfo("Asia/Shanghai")
# Cards link to the console under this address; the console must open them itself.
CONSOLE_URL = "http://qunmi.example:8000"
VIEWS = ("chat", "board", "calendar", "gantt", "projects", "members")
SHOTS = Path(tempfile.gettempdir()) / "qunmi-console-shots"

# Every visible element inside the viewport horizontally, and no horizontal scrolling.
LAYOUT_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const bad = [];
  if (document.documentElement.scrollWidth > vw + 1) bad.push(`page ${document.documentElement.scrollWidth} > ${vw}`);
  for (const n of document.querySelectorAll("body *")) {
    if (n.closest("[hidden], dialog:not([open]), script")) continue;
    const r = n.getBoundingClientRect();
    if (!r.width || !r.height || getComputedStyle(n).visibility === "hidden") continue;
    if (r.left < -1 || r.right > vw + 1) bad.push(`${n.tagName}.${n.className} ${Math.round(r.left)}..${Math.round(r.right)}`);
  }
  return bad.slice(0, 10);
}"""


def _at(days: int, hour: int) -> str:
    day = datetime.now(TZ) + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()


def _call(base: str, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.request(method, base + path, json=body, timeout=30)
    assert response.status_code < 300, response.text
    out: dict[str, Any] = response.json()
    return out


def _task(base: str, title: str, who: str, due: str | None, project: str = "官网改版") -> int:
    body = {"actor": "张三", "title": title, "assignee": who, "due": due, "project": project}
    return int(_call(base, "POST", "/tasks", {k: v for k, v in body.items() if v})["id"])


def _meeting(base: str, title: str, hour: int) -> int:
    body = {"actor": "张三", "title": title, "start": _at(1, hour), "attendees": ["王磊"]}
    return int(_call(base, "POST", "/meetings", body)["id"])


def _seed(base: str) -> dict[str, Any]:
    """Tasks in every column (one overdue), a milestone, a meeting and a cancelled one, a
    second project with a budget and a task of its own."""
    ids: dict[str, Any] = {"base": base}
    ids["overdue"] = _task(base, "写接口文档", "李四", _at(-1, 10))
    ids["doing"] = _task(base, "联调支付", "王磊", _at(3, 18))
    ids["blocked"] = _task(base, "等设计确认", "王磊", _at(5, 18))
    _call(base, "PATCH", f"/tasks/{ids['doing']}", {"actor": "王磊", "status": "in_progress"})
    _call(base, "PATCH", f"/tasks/{ids['blocked']}", {"actor": "王磊", "status": "blocked"})
    milestone = {"title": "提测", "due": _at(7, 10), "project": "官网改版"}
    _call(base, "POST", "/tools/create_milestone", {"actor": "张三", "args": milestone})
    ids["meeting"] = _meeting(base, "周会同步", 10)
    ids["cancelled"] = _meeting(base, "评审会", 16)
    _call(base, "POST", f"/meetings/{ids['cancelled']}/cancel", {"actor": "张三"})
    _call(base, "POST", "/projects", {"actor": "张三", "name": "小程序", "budget": 50000})
    ids["other"] = _task(base, "小程序登录", "李四", None, project="小程序")
    # Text from the team is text: markup in a title must not load or run anything.
    ids["markup"] = _task(base, '<img src="http://evil.example/x.png">标题', "李四", None)
    return ids


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One seeded server for the module's tests."""
    tmp = tmp_path_factory.mktemp("dash")
    for base in _serve(tmp, {}, ("--console-url", CONSOLE_URL)):
        yield _seed(base)


class Browser:
    """A Chromium page of a given width that records every URL it requests."""

    def __init__(self, pw: Any, base: str, width: int) -> None:
        self.base = base
        self.width = width
        self.browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        height = 844 if width < 500 else 800
        self.page = self.browser.new_page(
            viewport={"width": width, "height": height}, timezone_id="America/New_York"
        )
        self.page.set_default_timeout(15_000)
        self.requested: list[str] = []
        self.page.on("request", lambda r: self.requested.append(r.url))

    def open(self, view: str, me: str = "张三") -> Any:
        from playwright.sync_api import expect

        page = self.page
        if not page.url.startswith(self.base):
            page.goto(f"{self.base}/#{view}")
            expect(page.locator("#me option")).to_have_count(4)
        page.select_option("#me", me)
        page.evaluate(f"location.hash = '#{view}'")
        expect(page.locator(f"#view-{view}")).to_be_visible()
        for other in VIEWS:
            if other != view:
                expect(page.locator(f"#view-{other}")).to_be_hidden()
        expect(page.locator("#status")).to_have_text("已连接")
        return page

    def check_layout(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}-{self.width}.png"), full_page=True)
        assert self.page.evaluate(LAYOUT_JS) == [], f"{name} at {self.width}px"

    def foreign(self) -> list[str]:
        return [u for u in self.requested if not u.startswith(self.base)]

    def close(self) -> None:
        self.browser.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_every_view_fits_the_screen_and_stays_local(dash: dict[str, Any], width: int) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        b = Browser(pw, dash["base"], width)
        try:
            page = b.open("chat")
            expect(page.locator("#tasks li", has_text="写接口文档")).to_be_visible()
            expect(page.locator("#tasks li", has_text='<img src="http')).to_be_visible()
            b.check_layout("chat")

            page = b.open("board")
            expect(page.locator(".column")).to_have_count(4)
            expect(page.locator(".column h3")).to_have_text(
                [re_start("待办"), re_start("进行中"), re_start("受阻"), re_start("已完成")]
            )
            late = page.locator(f".tcard[data-task-id='{dash['overdue']}']")
            expect(late).to_have_class(re_word("overdue"))
            expect(late).to_contain_text("已逾期")
            expect(page.locator(".column[data-status='blocked']")).to_contain_text("等设计确认")
            b.check_layout("board")

            page = b.open("calendar")
            if (datetime.now(TZ) + timedelta(days=1)).weekday() == 0:
                page.click("#cal-next")  # tomorrow starts the next week
            expect(page.locator(".mtg", has_text="周会同步")).to_be_visible()
            expect(page.locator(".mtg", has_text="评审会")).to_have_count(0)
            b.check_layout("calendar-week")
            page.click("#cal-month")
            expect(page.locator(".calendar.month .day")).to_have_count(42)
            b.check_layout("calendar-month")

            page = b.open("gantt")
            expect(page.locator("#gantt-chart canvas")).to_be_visible()
            expect(page.locator("#gantt-summary")).to_contain_text("1 个里程碑")
            b.check_layout("gantt")

            page = b.open("projects")
            expect(page.locator("#projects li")).to_have_count(2)
            expect(page.locator("#project-chart canvas")).to_be_visible()
            b.check_layout("projects")

            page = b.open("members")
            expect(page.locator("#members li")).to_have_count(4)
            expect(page.locator("#members li", has_text="李四")).to_contain_text("逾期 1")
            b.check_layout("members")
            assert b.foreign() == []
        finally:
            b.close()


def re_start(text: str) -> Any:
    import re

    return re.compile("^" + re.escape(text))


def re_word(word: str) -> Any:
    import re

    return re.compile(rf"(^|\s){re.escape(word)}(\s|$)")


def test_what_a_first_time_user_tripped_over(dash: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = dash["base"]
    # The same group reached through another channel: one entry in the picker, one view.
    _call(
        base,
        "POST",
        "/messages",
        {"channel": "api", "chat": "官网改版群", "sender": "李四", "text": "接口文档今天补上"},
    )
    with sync_playwright() as pw:
        b = Browser(pw, base, 1280)
        try:
            page = b.open("chat")
            expect(page.locator("#chat option", has_text="官网改版群")).to_have_count(1)
            expect(page.locator(".msg .bubble", has_text="接口文档今天补上")).to_be_visible()

            # The side lists keep to the group's project; cancelled meetings are gone.
            expect(page.locator("#task-scope")).to_have_text("项目「官网改版」")
            expect(page.locator("#tasks li", has_text="写接口文档")).to_be_visible()
            expect(page.locator("#tasks li", has_text="小程序登录")).to_have_count(0)
            expect(page.locator("#meetings li", has_text="周会同步")).to_be_visible()
            expect(page.locator("#meetings li", has_text="评审会")).to_have_count(0)

            def say(text: str) -> Any:
                page.fill("#text", text)
                page.click("#send")
                msg = page.locator(".msg", has=page.locator(".bubble", has_text=text))
                expect(msg.locator(".card").first).to_be_visible()
                return msg

            first = say("@小王 周五前把登录页设计稿出了")
            second = say("@小王 下周一前把登录页切图做了")
            # Undo is a button on the sender's latest change only: it sends "撤销".
            expect(first.locator("button.reply")).to_have_count(0)
            expect(second.locator("button.reply", has_text="撤销")).to_be_visible()

            # The card's link (to the configured console host) opens the task here.
            link = first.locator("a[data-link^='#task-']").first
            task_id = int(str(link.get_attribute("data-link")).split("-")[1])
            link.click()
            expect(page.locator("#detail")).to_be_visible()
            expect(page.locator("#detail-title")).to_contain_text("出登录页设计稿")
            expect(page.locator("#history li").first).to_contain_text("创建了任务")
            page.click("#detail-close")
            expect(page.locator("#detail")).to_be_hidden()

            # Saying it again: the question links to the task that already exists.
            page.fill("#text", "@小王 周五前把登录页设计稿出了")
            page.click("#send")
            question = page.locator(".msg").last.locator(".card.question")
            expect(question).to_contain_text("很像")
            question.locator(f"a[data-link='#task-{task_id}']").click()
            expect(page.locator("#detail-title")).to_contain_text(f"#{task_id}")
            page.click("#detail-close")

            # "是哪一个？" comes with a button per candidate; picking applies the change.
            page.select_option("#me", "王磊")
            question = say("登录页搞定了")
            picks = question.locator(".card.question button.pick")
            expect(picks).to_have_count(2)
            question.locator("button.pick", has_text="出登录页设计稿").click()
            expect(question.locator(".picked")).to_contain_text("已完成")
            done = httpx.get(f"{base}/tasks/{task_id}", timeout=10).json()
            assert done["status"] == "done"
            expect(picks.first).to_be_disabled()
            page.reload()  # the answer picked stays picked
            expect(question.locator(".picked")).to_contain_text("已完成")
            expect(picks.first).to_be_disabled()

            # The history shows the change and who made it.
            page.evaluate(f"location.hash = '#task-{task_id}'")
            expect(page.locator("#history li", has_text="王磊")).to_contain_text("已完成")
            page.click("#detail-close")

            page.select_option("#me", "张三")
            undo = second.locator("button.reply", has_text="撤销")
            undo.click()
            expect(page.locator(".msg .bubble", has_text="撤销")).to_be_visible()
            expect(page.locator("#tasks li", has_text="做登录页切图")).to_have_count(0)
            assert b.foreign() == []
        finally:
            b.close()


def test_chat_column_keeps_its_room_at_phone_width(dash: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        b = Browser(pw, dash["base"], 390)
        try:
            page = b.open("chat")
            page.fill("#text", "大家早")
            page.click("#send")
            expect(page.locator(".msg .bubble", has_text="大家早")).to_be_visible()
            box = page.locator("#messages").bounding_box()
            assert box is not None and box["width"] >= 300 and box["height"] >= 250, box
            composer = page.locator("#composer").bounding_box()
            assert composer is not None and composer["x"] + composer["width"] <= 391
            b.check_layout("chat-phone")
            page.evaluate(f"location.hash = '#task-{dash['overdue']}'")
            expect(page.locator("#history li").first).to_contain_text("创建了任务")
            b.check_layout("task-phone")
            assert b.foreign() == []
        finally:
            b.close()


def test_board_moves_through_the_tool_calendar_gantt_and_budgets(dash: dict[str, Any]) -> None:
    from playwright.sync_api import expect, sync_playwright

    base = dash["base"]
    with sync_playwright() as pw:
        b = Browser(pw, base, 1280)
        try:
            # Moving a card is update_task as the person picked: someone else's task is refused.
            page = b.open("board", me="李四")
            card = page.locator(f".tcard[data-task-id='{dash['doing']}']")
            card.locator("select.move").select_option("done")
            expect(page.locator("#toast")).to_contain_text("不是你的任务")
            assert httpx.get(f"{base}/tasks/{dash['doing']}").json()["status"] == "in_progress"

            page = b.open("board", me="王磊")
            card = page.locator(f".tcard[data-task-id='{dash['doing']}']")
            card.locator("select.move").select_option("done")
            done_column = page.locator(".column[data-status='done']")
            expect(done_column.locator(f".tcard[data-task-id='{dash['doing']}']")).to_be_visible()
            assert httpx.get(f"{base}/tasks/{dash['doing']}").json()["status"] == "done"
            # Dragging works too.
            late = page.locator(f".tcard[data-task-id='{dash['blocked']}']")
            late.drag_to(page.locator(".column[data-status='in_progress']"))
            doing = page.locator(".column[data-status='in_progress']")
            expect(doing.locator(f".tcard[data-task-id='{dash['blocked']}']")).to_be_visible()
            # Filters: the group's project first, then everyone's.
            page.select_option("#board-assignee", "李四")
            expect(page.locator(".tcard")).to_have_count(2)
            page.select_option("#board-project", "")
            expect(page.locator(".tcard")).to_have_count(3)

            # A meeting link opens the calendar at that meeting, with its details.
            page.evaluate(f"location.hash = '#meeting-{dash['meeting']}'")
            expect(page.locator("#detail-title")).to_contain_text("周会同步")
            expect(page.locator("#view-calendar")).to_be_visible()
            page.click("#detail-close")
            expect(page.locator(f".mtg.focus[data-meeting-id='{dash['meeting']}']")).to_be_visible()

            # The Gantt chart holds every open task of the project and its milestone.
            page = b.open("gantt")
            tasks = httpx.get(f"{base}/tasks", params={"project_id": 1, "limit": 200}).json()
            live = [t for t in tasks["items"] if t["status"] != "cancelled"]
            page.select_option("#gantt-project", label="官网改版")
            summary = f"{len(live)} 个任务 · 1 个里程碑"
            expect(page.locator("#gantt-summary")).to_contain_text(summary)
            counts = page.evaluate(
                """() => { const o = echarts.getInstanceByDom(document.getElementById('gantt-chart')).getOption();
                 return [o.series[0].data.length, o.series[1].data.length, o.yAxis[0].data]; }"""
            )
            assert counts[0] == len(live) and counts[1] == 1
            assert "小程序登录" not in " ".join(counts[2])

            # Budgets: for a PM, not for a member (fetched again, never cached).
            page = b.open("projects", me="张三")
            small = page.locator("#projects li", has_text="小程序")
            expect(small).to_contain_text("预算 50000")
            page = b.open("projects", me="王磊")
            expect(page.locator("#projects li").first).to_be_visible()
            expect(page.locator("#view-projects")).not_to_contain_text("预算")
            page.select_option("#project-status", "paused")
            expect(page.locator("#projects li")).to_have_count(0)
            assert b.foreign() == []
        finally:
            b.close()
