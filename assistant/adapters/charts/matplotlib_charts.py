"""PNG charts of the weekly report, drawn with matplotlib (Agg, no display) in a CJK font.

Each chart is a plain ``Figure`` (not pyplot: no global state, safe across threads), sized for a
phone screen: about 900 px wide, large type.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from assistant.adapters.charts.fonts import CjkFont, find_cjk_font
from assistant.errors import InvalidInput

__all__ = ["CHART_NAMES", "MatplotlibChartRenderer"]

CHART_NAMES = ("status", "gantt", "burndown", "members")

_STATUS_LABEL = {"todo": "待办", "in_progress": "进行中", "blocked": "受阻", "done": "已完成"}
_STATUS_COLOR = {
    "todo": "#9aa5b1",
    "in_progress": "#3b82f6",
    "blocked": "#f59e0b",
    "done": "#22c55e",
}
_OVERDUE = "#ef4444"
_DPI = 120  # ~800 px wide: sharp on a phone, quick to draw and to send
# matplotlib's font cache and text layout are not safe under concurrent first use.
_draw_lock = threading.Lock()


def _short(text: str, width: int = 14) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _dates() -> Any:
    """``matplotlib.dates`` (untyped: kept behind ``Any``)."""
    import matplotlib.dates

    return matplotlib.dates


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


class MatplotlibChartRenderer:
    """The ``ChartRenderer`` port: ``render(name, report)`` → PNG bytes."""

    names: tuple[str, ...] = CHART_NAMES

    def __init__(self, *, font: Path | None = None) -> None:
        self._font_path = font
        self._font: CjkFont | None = None

    @property
    def font(self) -> CjkFont:
        if self._font is None:
            self._font = find_cjk_font(self._font_path)
        return self._font

    def figure(self, name: str, report: Mapping[str, Any]) -> Any:
        """The matplotlib ``Figure`` of chart ``name`` (drawn in the caller's rc settings)."""
        draw = {
            "status": self._status,
            "gantt": self._gantt,
            "burndown": self._burndown,
            "members": self._members,
        }.get(name)
        if draw is None:
            raise InvalidInput(f"没有叫“{name}”的图表（可选 {'、'.join(CHART_NAMES)}）")
        return draw(report)

    def rc(self) -> dict[str, Any]:
        """matplotlib settings for every chart: the CJK font first."""
        return {
            "font.family": [self.font.family, "DejaVu Sans"],
            "font.size": 12,
            "axes.unicode_minus": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "pdf.fonttype": 42,
        }

    def render(self, name: str, report: Mapping[str, Any]) -> bytes:
        from matplotlib import rc_context
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        if name not in CHART_NAMES:
            raise InvalidInput(f"没有叫“{name}”的图表（可选 {'、'.join(CHART_NAMES)}）")
        rc = self.rc()
        with _draw_lock, rc_context(rc):  # type: ignore[arg-type]
            fig = self.figure(name, report)
            FigureCanvasAgg(fig)
            out = io.BytesIO()
            fig.savefig(out, format="png", dpi=_DPI, pil_kwargs={"compress_level": 3})
        return out.getvalue()

    def render_all(self, report: Mapping[str, Any], out_dir: Path) -> dict[str, Path]:
        """Every chart, written as ``<name>.png`` under ``out_dir``."""
        out_dir.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for name in self.names:
            path = out_dir / f"{name}.png"
            path.write_bytes(self.render(name, report))
            paths[name] = path
        return paths

    # -- the charts -----------------------------------------------------------------------

    @staticmethod
    def _title(report: Mapping[str, Any], what: str) -> str:
        project = report.get("project")
        return f"{project} · {what}" if project else what

    def _status(self, report: Mapping[str, Any]) -> Any:
        from matplotlib.figure import Figure

        counts: Mapping[str, int] = report["tasks"]["status_counts"]
        items = [(k, v) for k, v in counts.items() if v > 0]
        fig = Figure(figsize=(6, 5))
        fig.subplots_adjust(left=0.05, right=0.95, top=0.88, bottom=0.05)
        ax = fig.add_subplot()
        ax.set_title(self._title(report, "任务状态"), fontsize=15)
        if not items:
            ax.text(0.5, 0.5, "暂无任务", ha="center", va="center", fontsize=16)
            ax.axis("off")
            return fig
        total = sum(v for _, v in items)
        ax.pie(
            [v for _, v in items],
            labels=[f"{_STATUS_LABEL.get(k, k)}\n{v}" for k, v in items],
            colors=[_STATUS_COLOR.get(k, "#888888") for k, _ in items],
            autopct=lambda p: f"{p:.0f}%" if p >= 4 else "",
            startangle=90,
            counterclock=False,
            wedgeprops={"width": 0.45, "edgecolor": "white"},
            textprops={"fontsize": 13},
        )
        ax.text(0, 0, f"共 {total}", ha="center", va="center", fontsize=15)
        ax.set_aspect("equal")
        return fig

    def _gantt(self, report: Mapping[str, Any]) -> Any:
        mdates = _dates()
        from matplotlib.figure import Figure

        rows: Sequence[Mapping[str, Any]] = report.get("gantt") or []
        milestones = [m for m in report.get("milestones") or [] if not m.get("done")]
        now = _dt(report["period"]["end"])
        height = max(3.5, 0.3 * len(rows) + 1.6)
        fig = Figure(figsize=(7, height))
        fig.subplots_adjust(left=0.36, right=0.95, top=1 - 0.75 / height, bottom=0.45 / height)
        ax = fig.add_subplot()
        total = report.get("gantt_total", len(rows))
        more = f"（最早到期的 {len(rows)} / {total} 项）" if total > len(rows) else ""
        ax.set_title(self._title(report, "甘特图") + more, fontsize=14)
        if not rows and not milestones:
            ax.text(0.5, 0.5, "暂无有截止时间的任务", ha="center", va="center", fontsize=15)
            ax.axis("off")
            return fig
        labels: list[str] = []
        right = now
        for i, row in enumerate(rows):
            begin = _dt(row["start"])
            end = _dt(row["finished"]) if row.get("finished") else _dt(row["due"])
            if end <= begin:
                end = begin + timedelta(hours=4)
            right = max(right, end)
            color = _OVERDUE if row.get("overdue") else _STATUS_COLOR.get(row["status"], "#888")
            ax.barh(
                i,
                mdates.date2num(end) - mdates.date2num(begin),
                left=mdates.date2num(begin),
                height=0.6,
                color=color,
            )
            who = f"（{row['assignee']}）" if row.get("assignee") else ""
            labels.append(_short(f"#{row['id']} {row['title']}", 12) + who)
        ax.set_yticks(range(len(rows)), labels=labels, fontsize=10)
        ax.invert_yaxis()
        for m in milestones:
            due = mdates.date2num(_dt(m["due"]))
            ax.axvline(due, color="#7c3aed", linestyle="--", linewidth=1.2)
            ax.plot([due], [-0.8], marker="D", color="#7c3aed", markersize=8, clip_on=False)
            ax.annotate(
                _short(m["title"], 8),
                (due, -0.8),
                xytext=(4, 0),
                textcoords="offset points",
                color="#7c3aed",
                fontsize=10,
                va="center",
            )
        for m in milestones:
            right = max(right, _dt(m["due"]))
        # Long-running tasks start weeks back: the chart shows from two weeks before the period.
        left = _dt(report["period"]["start"]) - timedelta(days=14)
        ax.set_xlim(mdates.date2num(left), mdates.date2num(right + timedelta(days=4)))
        ax.axvline(mdates.date2num(now), color="#111827", linewidth=1)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d", tz=now.tzinfo))
        ax.xaxis.set_major_locator(mdates.AutoDateLocator(maxticks=8))
        ax.grid(axis="x", alpha=0.3)
        return fig

    def _burndown(self, report: Mapping[str, Any]) -> Any:
        mdates = _dates()
        from matplotlib.figure import Figure

        points: Sequence[Mapping[str, Any]] = report.get("burndown") or []
        fig = Figure(figsize=(6.5, 4.5))
        fig.subplots_adjust(left=0.13, right=0.96, top=0.9, bottom=0.1)
        ax = fig.add_subplot()
        ax.set_title(self._title(report, "燃尽图（剩余未完成任务）"), fontsize=14)
        if not points:
            ax.text(0.5, 0.5, "暂无数据", ha="center", va="center", fontsize=15)
            ax.axis("off")
            return fig
        start = _dt(report["period"]["start"])
        xs = [mdates.date2num(_dt(p["at"])) for p in points]
        remaining = [p["remaining"] for p in points]
        ax.plot(xs, remaining, marker="o", color="#3b82f6", linewidth=2.2, label="剩余")
        deadline = report.get("deadline")
        if deadline and _dt(deadline) > start:
            end = _dt(deadline)
            ax.plot(
                [mdates.date2num(start), mdates.date2num(end)],
                [remaining[0], 0],
                linestyle="--",
                color="#9aa5b1",
                label=f"理想（{end.month}月{end.day}日完成）",
            )
            ax.set_xlim(mdates.date2num(start), xs[-1] + 0.3)
        for x, y in zip(xs, remaining, strict=True):
            ax.annotate(str(y), (x, y), xytext=(0, 6), textcoords="offset points", ha="center")
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d", tz=start.tzinfo))
        ax.set_ylabel("任务数")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(loc="lower left")
        return fig

    def _members(self, report: Mapping[str, Any], top: int = 12) -> Any:
        from matplotlib.figure import Figure

        members = [m for m in report.get("members") or [] if m["tasks_done"] or m["messages"]]
        members = members[:top]
        height = max(3.5, 0.42 * len(members) + 1.6)
        fig = Figure(figsize=(7, height))
        fig.subplots_adjust(
            left=0.16, right=0.96, top=1 - 0.95 / height, bottom=0.4 / height, wspace=0.12
        )
        title = self._title(report, "成员本周活跃度")
        if not members:
            ax = fig.add_subplot()
            ax.set_title(title, fontsize=14)
            ax.text(0.5, 0.5, "本周暂无成员活动", ha="center", va="center", fontsize=15)
            ax.axis("off")
            return fig
        fig.suptitle(title, fontsize=14)
        done_ax, msg_ax = fig.subplots(1, 2, sharey=True)
        ys = range(len(members))
        names = [_short(m["name"], 8) for m in members]
        done = [m["tasks_done"] for m in members]
        done_ax.barh(ys, done, color="#22c55e")
        done_ax.set_yticks(list(ys), labels=names)
        done_ax.invert_yaxis()
        done_ax.set_title("完成任务（准时率）", fontsize=12)
        for y, m in zip(ys, members, strict=True):
            rate = m.get("on_time_rate")
            label = f"{m['tasks_done']}" + (f"（{rate * 100:.0f}%）" if rate is not None else "")
            done_ax.annotate(
                label, (m["tasks_done"], y), xytext=(3, 0), textcoords="offset points", va="center"
            )
        done_ax.set_xlim(0, max(done) * 1.6 + 1)
        msg_ax.barh(ys, [m["messages"] for m in members], color="#3b82f6")
        msg_ax.set_title("群内发言", fontsize=12)
        for y, m in zip(ys, members, strict=True):
            msg_ax.annotate(
                str(m["messages"]),
                (m["messages"], y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
            )
        msg_ax.set_xlim(0, max(m["messages"] for m in members) * 1.3 + 1)
        return fig
