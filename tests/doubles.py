"""Hand-written doubles at the ports (never of the code under test)."""

from __future__ import annotations

from assistant.domain import ChatContext, IncomingMessage, ToolCall
from assistant.ports import OutgoingCard


class ScriptedEngine:
    """An Engine that answers each text with the tool calls scripted for it, and records what it
    was asked. Unknown texts give no action; a scripted exception is raised."""

    name = "scripted"

    def __init__(self, script: dict[str, list[ToolCall] | Exception] | None = None) -> None:
        self.script: dict[str, list[ToolCall] | Exception] = dict(script or {})
        self.seen: list[tuple[IncomingMessage, ChatContext]] = []

    def understand(self, message: IncomingMessage, context: ChatContext) -> list[ToolCall]:
        self.seen.append((message, context))
        answer = self.script.get(message.text, [])
        if isinstance(answer, Exception):
            raise answer
        return list(answer)


class RecordingNotifier:
    """A Notifier that keeps what it was asked to send in ``sent``."""

    def __init__(self) -> None:
        self.sent: list[OutgoingCard] = []

    def send(self, card: OutgoingCard) -> None:
        self.sent.append(card)
