"""The weekly report as files for managers who forward it: XLSX (openpyxl) and PDF (matplotlib's
PDF backend: a page of figures, then one page per chart, text in the CJK font)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from assistant.adapters.charts.matplotlib_charts import MatplotlibChartRenderer

__all__ = ["figure_rows", "write_pdf", "write_xlsx"]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def figure_rows(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The headline figures as (label, value) rows, in Chinese."""
    t = report["tasks"]
    period = report["period"]
    rows = [
        ("项目", report.get("project") or "全部项目"),
        ("统计区间", f"{period['start'][:16]} – {period['end'][:16]}"),
        ("任务总数（不含已取消）", str(t["total"])),
        ("已完成", str(t["done"])),
        ("完成率", _pct(t["completion_rate"])),
        ("本周新建", str(t["created"])),
        ("本周完成", str(t["finished"])),
        ("本周准时完成 / 有截止的完成", f"{t['finished_on_time']} / {t['finished_with_due']}"),
        ("准时率", _pct(t["on_time_rate"])),
        ("本周延期（截止在本周却没按时完成）", str(t["delays"])),
        ("改期顺延次数", str(t["slips"])),
        ("改期的任务数", str(t["slipped_tasks"])),
        ("顺延天数合计", f"{t['slip_days']:.1f}"),
        ("当前逾期", str(t["overdue"])),
        ("本周会议", str(report["meetings_held"])),
    ]
    budget = report.get("budget")
    if budget:
        rows.append(("预算", f"{budget['budget']:,.0f}"))
        rows.append(("已花费", f"{budget['spent']:,.0f}（{_pct(budget['spent_rate'])}）"))
    risks = report.get("risks")
    if risks is not None and risks.get("note"):
        rows.append(("风险模型", risks["note"]))
    return rows


def write_xlsx(report: Mapping[str, Any], path: Path) -> Path:
    """Sheets: 概览 (figures), 成员 (per member), 逾期 (overdue tasks), 风险 (top risks)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    overview = wb.active
    assert overview is not None
    overview.title = "概览"
    overview.append(["指标", "数值"])
    for label, value in figure_rows(report):
        overview.append([label, value])
    overview.column_dimensions["A"].width = 36
    overview.column_dimensions["B"].width = 40

    members = wb.create_sheet("成员")
    members.append(["成员", "本周发言", "本周完成", "准时率", "未完成", "逾期"])
    for m in report.get("members") or []:
        rate = m.get("on_time_rate")
        members.append(
            [
                m["name"],
                m["messages"],
                m["tasks_done"],
                None if rate is None else round(rate, 4),
                m["open_tasks"],
                m["overdue"],
            ]
        )
    overdue = wb.create_sheet("逾期")
    overdue.append(["#", "任务", "负责人", "截止", "状态", "优先级"])
    for o in report.get("overdue_tasks") or []:
        overdue.append(
            [o["id"], o["title"], o.get("assignee"), o.get("due"), o["status"], o["priority"]]
        )
    risk_sheet = wb.create_sheet("风险")
    risk_sheet.append(["#", "任务", "负责人", "风险", "等级", "原因"])
    for r in (report.get("risks") or {}).get("tasks", []):
        risk_sheet.append(
            [
                r["task_id"],
                r["title"],
                r.get("assignee"),
                r["risk"],
                r["level"],
                "；".join(r.get("reasons", [])),
            ]
        )
    for sheet in wb.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_pdf(
    report: Mapping[str, Any], path: Path, *, renderer: MatplotlibChartRenderer | None = None
) -> Path:
    """Page 1: the figures table; then one page per chart. Fonts are embedded (Type 42)."""
    from matplotlib import rc_context
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    from assistant.adapters.charts.matplotlib_charts import _draw_lock

    renderer = renderer or MatplotlibChartRenderer()
    path.parent.mkdir(parents=True, exist_ok=True)
    rc: Any = renderer.rc()
    with _draw_lock, rc_context(rc), PdfPages(path) as pdf:
        page = Figure(figsize=(8.27, 11.69))
        ax = page.add_subplot()
        ax.axis("off")
        title = report.get("project") or "全部项目"
        ax.set_title(f"{title} 周报", fontsize=18)
        table = ax.table(
            cellText=[[a, b] for a, b in figure_rows(report)],
            colLabels=["指标", "数值"],
            loc="upper center",
            colWidths=[0.55, 0.45],
        )
        table.auto_set_font_size(False)
        table.set_fontsize(11)
        table.scale(1, 1.6)
        pdf.savefig(page)
        for name in renderer.names:
            pdf.savefig(renderer.figure(name, report))
    return path
