"""A moved meeting keeps its part of the day (docs/conventions.md, "Moving a meeting"): from the
old time said in the message, else from the meeting's record in the chat context."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from assistant.domain import IncomingMessage
from assistant.domain.model import ChatContext
from assistant.engines.rules import RuleEngine

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=TZ)  # a Tuesday morning


def moves(text: str, upcoming: list[str] | None = None) -> list[dict[str, Any]]:
    context = ChatContext(
        now=NOW, sender="周敏", members={"周敏": []}, upcoming_meetings=upcoming or []
    )
    calls = RuleEngine().understand(IncomingMessage(text=text, sender="周敏"), context)
    return [c.args for c in calls if c.tool == "reschedule_meeting"]


def start(text: str, upcoming: list[str] | None = None) -> str:
    found = moves(text, upcoming)
    assert len(found) == 1, found
    return str(found[0]["start"])[:16]


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # A new day with no time: the old part of the day's meeting hour, or the old clock.
        ("周三下午的培训改到周四", "2026-12-03T14:00"),
        ("周三下午3点半的培训改到周四", "2026-12-03T15:30"),
        ("明天晚上的复盘挪到后天", "2026-12-03T19:00"),
        # A bare clock in the half of the day the meeting was in.
        ("晚上的训练赛改到8点", "2026-12-01T20:00"),
        ("周五晚上的会改到周六7点", "2026-12-05T19:00"),
        # What the new time says wins.
        ("周三下午的培训改到周四上午", "2026-12-03T10:00"),
        ("明天上午的会改到下午3点", "2026-12-02T15:00"),
    ],
)
def test_from_the_old_time_in_the_message(text: str, want: str) -> None:
    assert start(text) == want


def test_from_the_meeting_record() -> None:
    upcoming = ["#7 评审会（12-02 19:00）", "#8 周会（12-03 10:00）"]
    # An evening meeting moved to "8点" is 20:00; to another day keeps 19:00.
    assert start("评审会改到8点", upcoming) == "2026-12-01T20:00"
    assert start("评审会改到周四", upcoming) == "2026-12-03T19:00"
    # A morning meeting: the bare-N点 rule stands ("改到3点" = 15:00), 9点 stays 09:00.
    assert start("周会改到9点", upcoming) == "2026-12-01T09:00"
    assert start("评审会改到9点半", upcoming) == "2026-12-01T21:30"
    # No record (or an ambiguous one): the plain conventions.
    assert start("评审会改到9点半") == "2026-12-01T09:30"
    two = ["#7 评审会（12-02 19:00）", "#9 评审会（12-04 10:00）"]
    assert start("评审会改到9点半", two) == "2026-12-01T09:30"
