"""The LLM path with vocabulary 2: the latest prompt teaches the new tools, and a recurring
meeting the scripted model asks for lands in the real database through the real executor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.bootstrap import Qunmi
from assistant.clock import FixedClock
from assistant.settings import Settings
from prompts import load_prompt, prompt_versions
from tests.doubles import RecordingNotifier
from tests.integration.agent_harness import make_app, say
from tests.openai_server import ScriptedOpenAIServer, call, scripted_server, text_reply, tool_reply


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with scripted_server() as s:
        yield s


@pytest.fixture
def app(
    settings: Settings, clock: FixedClock, server: ScriptedOpenAIServer
) -> Iterator[tuple[Qunmi, RecordingNotifier]]:
    q, notifier = make_app(settings, clock, server, "llm")
    yield q, notifier
    q.close()


def test_latest_prompt_covers_vocabulary_2() -> None:
    assert max(prompt_versions("agent_system")) >= 3
    text = load_prompt("agent_system")
    for needle in (
        "recurrence",
        "shift_minutes",
        "update_meeting",
        "occurrence",
        "due_soon",
        "since",
        "ask",
        "summarize",
        "report",
        "set_reminders",
        "update_project",
        "create_milestone",
        "budget",
        "「群秘」「小秘」「机器人」是你自己",
    ):
        assert needle in text, needle


def test_recurring_meeting_from_the_model_is_stored(
    app: tuple[Qunmi, RecordingNotifier], server: ScriptedOpenAIServer
) -> None:
    q, _ = app
    server.push(
        tool_reply(
            call(
                "create_meeting",
                {
                    "title": "例会",
                    "start": "2026-11-30T10:00:00+08:00",
                    "recurrence": "FREQ=WEEKLY;BYDAY=MO",
                    "attendees": "all",
                    "remind_before_minutes": 15,
                },
            )
        ),
        text_reply("例会已安排，每周一 10:00。"),
    )
    outcome = say(q, "张三", "每周一上午10点例会")
    assert outcome.engine == "llm"
    system = server.requests[0]["messages"][0]["content"]
    assert "FREQ=WEEKLY;BYDAY=MO" in system  # the v3 prompt went to the model
    with q.uow_factory() as uow:
        meetings = uow.meetings.list(limit=10).items
    (meeting,) = meetings
    assert meeting.title == "例会" and meeting.recurrence == "FREQ=WEEKLY;BYDAY=MO"
