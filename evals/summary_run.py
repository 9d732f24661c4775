"""``qunmi eval summary``: VCSum ROUGE-L (char and jieba-word) of the overall summary and the
segment headlines beside the lead-250 and centroid baselines; decisions, action items and open
questions on gold meetings (precision / recall / F1, owner and due accuracy); floors."""

from __future__ import annotations

import json
import statistics
from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.insight.summaries.model import MeetingContext, TranscriptLine
from assistant.insight.summaries.offline import OfflineMinutesEngine
from assistant.insight.summaries.ranking import SentenceRanker, headline
from assistant.insight.summaries.spoken import split_transcript
from evals.minutes_eval import load_meetings, score_minutes
from evals.summary_eval import (
    VCSumMeeting,
    centroid_baseline,
    lead_baseline,
    load_vcsum,
    score_headlines,
    score_summaries,
)

__all__ = ["DEFAULT_CASES", "DEFAULT_VCSUM", "FLOORS", "main"]

REPO = Path(__file__).resolve().parents[1]
DEFAULT_VCSUM = REPO.parent / "shared" / "corpora" / "vcsum" / "vcsum_test_meetings.jsonl"
DEFAULT_CASES = Path(__file__).resolve().parent / "cases" / "minutes_dev.jsonl"
FLOORS = Path(__file__).resolve().parent / "floors" / "summary.json"
_VCSUM_NOW = datetime.fromisoformat("2026-01-05T10:00:00+08:00")


def _vcsum_lines(meeting: VCSumMeeting) -> list[TranscriptLine]:
    return [TranscriptLine(s, t) for s, t in meeting.paragraphs]


def _headlines(engine: OfflineMinutesEngine) -> Any:
    def run(meeting: VCSumMeeting) -> list[str]:
        lines = _vcsum_lines(meeting)
        sentences = split_transcript(lines)
        ranker = SentenceRanker(sentences)
        out = []
        for seg in meeting.segments:
            a, b = seg["paragraph_start"], seg["paragraph_end"]
            indexes = [i for i, s in enumerate(sentences) if a <= s.line <= b]
            out.append(headline(ranker, indexes) if indexes else "")
        return out

    return run


def main(
    *,
    vcsum: Path | None = None,
    cases: Path | None = None,
    check_floors: bool = False,
    floors: Path | None = None,
    skip_vcsum: bool = False,
    learned: bool = True,
) -> int:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    engine = OfflineMinutesEngine(learned=learned)
    figures: dict[str, float] = {}
    vcsum_path = vcsum or DEFAULT_VCSUM
    if skip_vcsum:
        pass
    elif not vcsum_path.is_file():
        console.print(f"找不到 VCSum：{vcsum_path}，跳过摘要 ROUGE 评测（--vcsum PATH 指定）。")
    else:
        meetings = load_vcsum(vcsum_path)

        def ours(m: VCSumMeeting) -> str:
            return engine.minutes(_vcsum_lines(m), MeetingContext(start=_VCSUM_NOW)).summary

        scores = score_summaries(
            meetings,
            {
                "lead-250（基线）": lead_baseline,
                "centroid（基线）": centroid_baseline,
                "Qunmi 离线": ours,
            },
        )
        table = Table(
            title=f"VCSum 整体摘要（{vcsum_path.name}） ROUGE-L F1（{len(meetings)} 场会议）"
        )
        for col in ("系统", "字级 ROUGE-L", "词级 ROUGE-L（jieba）", "摘要长度中位数（字）"):
            table.add_column(col, justify="right")
        for s in scores:
            name, char, word, length = s.row()
            table.add_row(name, f"{char:.1f}", f"{word:.1f}", f"{length:.0f}")
        console.print(table)
        console.print("参照（LongBench，jieba 词级）：GPT-3.5-Turbo-16k 16.0，ChatGLM3-6B-32k 17.8")
        _, char, word, _ = scores[-1].row()
        figures["vcsum_rouge_l_char"] = char
        figures["vcsum_rouge_l_word"] = word
        h_char, h_word, n = score_headlines(meetings, _headlines(engine))
        console.print(
            f"分段标题 ROUGE-L（{n} 段，按参考分段）：字级 {h_char:.1f}，词级 {h_word:.1f}"
        )
        figures["headline_rouge_l_char"] = h_char
    cases_path = cases or DEFAULT_CASES
    gold = load_meetings(cases_path)

    def minutes_of(m: Any) -> dict[str, Any]:
        lines = [TranscriptLine(s, t) for s, t in m.transcript]
        return engine.minutes(
            lines, MeetingContext(start=m.start, members=m.members, title=m.title)
        ).to_dict()

    report = score_minutes(gold, minutes_of)
    layer = "学习层开" if learned else "仅提示语法"
    table = Table(title=f"会议纪要要素（{cases_path.name}，{len(gold)} 场会议，{layer}）")
    for col in ("要素", "gold", "预测", "匹配", "precision", "recall", "F1"):
        table.add_column(col, justify="right")
    names = {"decisions": "决定", "action_items": "待办", "open_questions": "遗留问题"}
    for kind, ks in report.totals.items():
        table.add_row(
            names[kind],
            str(ks.gold),
            str(ks.predicted),
            str(ks.matched),
            f"{ks.precision:.2f}",
            f"{ks.recall:.2f}",
            f"{ks.f1:.2f}",
        )
        figures[f"{kind}_f1"] = ks.f1
    console.print(table)
    console.print(
        f"待办负责人正确率 {report.owner_accuracy:.2f}，截止时间正确率 {report.due_accuracy:.2f}"
        f"（在匹配上的待办里）；每场耗时中位数 {statistics.median(r.seconds for r in report.meetings):.2f} 秒"
    )
    figures["owner_accuracy"] = report.owner_accuracy
    figures["due_accuracy"] = report.due_accuracy
    if not check_floors:
        return 0
    limits = json.loads((floors or FLOORS).read_text(encoding="utf-8"))
    problems = [
        f"{key} {figures[key]:.3f} 低于底线 {limit}"
        for key, limit in limits.items()
        if not key.startswith("_") and key in figures and figures[key] < limit
    ]
    for p in problems:
        console.print(f"[red]✗[/red] {p}")
    return 1 if problems else 0
