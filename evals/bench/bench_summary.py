"""Minutes of a 45,000-character transcript with the offline engine: median and spread of
five runs (the longest VCSum test meeting when ../shared/corpora is present, else the
development meetings repeated to that length)."""

from __future__ import annotations

import statistics
import sys
import time
from datetime import datetime

from assistant.insight.summaries.model import MeetingContext, TranscriptLine
from assistant.insight.summaries.offline import OfflineMinutesEngine
from evals.minutes_eval import load_meetings
from evals.summary_run import DEFAULT_CASES, DEFAULT_VCSUM

TARGET = 45_000


def _transcript() -> tuple[str, list[TranscriptLine], dict[str, list[str]]]:
    if DEFAULT_VCSUM.is_file():
        from evals.summary_eval import load_vcsum

        longest = max(load_vcsum(DEFAULT_VCSUM), key=lambda m: m.chars)
        return f"VCSum {longest.id}", [TranscriptLine(s, t) for s, t in longest.paragraphs], {}
    meetings = load_meetings(DEFAULT_CASES)
    lines: list[TranscriptLine] = []
    members: dict[str, list[str]] = {}
    while sum(len(ln.text) for ln in lines) < TARGET:
        for m in meetings:
            lines.extend(TranscriptLine(s, t) for s, t in m.transcript)
            members.update(m.members)
    return "development meetings repeated", lines, members


def main() -> None:
    name, lines, members = _transcript()
    chars = sum(len(ln.text) for ln in lines)
    learned = "--no-learned" not in sys.argv[1:]
    engine = OfflineMinutesEngine(learned=learned)
    context = MeetingContext(
        start=datetime.fromisoformat("2026-11-16T10:00:00+08:00"), members=members
    )
    began = time.perf_counter()
    engine.minutes(lines[:3], context)  # loads the jieba dictionary once
    warm = time.perf_counter() - began
    runs = []
    for _ in range(5):
        began = time.perf_counter()
        draft = engine.minutes(lines, context)
        runs.append(time.perf_counter() - began)
    print(
        f"minutes offline ({'learned layer on' if learned else 'cue grammars only'}), {name}: {chars} characters, {len(lines)} turns"
    )
    print(f"  dictionary load {warm:.2f} s (once per process)")
    print(
        f"  per run: median {statistics.median(runs):.2f} s, min {min(runs):.2f} s, max {max(runs):.2f} s"
        f" (goal ≤ 5 s); {len(draft.action_items)} action items, {len(draft.topics)} topics"
    )


if __name__ == "__main__":
    main()
