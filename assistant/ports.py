"""Ports: the capabilities the core needs from the outside world, as Protocols.

Only ``assistant.bootstrap`` knows which adapter stands behind each port.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable

from assistant.domain import ChatContext, IncomingMessage, ToolCall

__all__ = [
    "ActingEngine",
    "AgentOutcome",
    "AppliedCall",
    "ApplyCall",
    "ChatModel",
    "ChatTurn",
    "Clock",
    "Delivery",
    "Embedder",
    "Engine",
    "Lease",
    "ModelReply",
    "ModelToolCall",
    "Notifier",
    "OutgoingCard",
    "PlannedApply",
    "SegmentCallback",
    "RoutingNotifier",
    "Transcriber",
    "Transcript",
    "TranscriptSegment",
    "TranscriptStream",
    "Usage",
]


@runtime_checkable
class Clock(Protocol):
    """Tells the time, timezone-aware."""

    def now(self) -> datetime: ...


@runtime_checkable
class Engine(Protocol):
    """Turns one chat message into tool calls from the vocabulary in ``tools``."""

    name: str

    def understand(self, message: IncomingMessage, context: ChatContext) -> list[ToolCall]: ...


class AppliedCall(Protocol):
    """What applying one tool call reports back (``tools.executor.ToolResult`` is one)."""

    @property
    def ok(self) -> bool: ...

    def to_dict(self) -> dict[str, Any]: ...


ApplyCall = Callable[[ToolCall], AppliedCall]
"""Applies one call as the message's sender, through the executor, and reports the result."""


@runtime_checkable
class PlannedApply(Protocol):
    """An ``ApplyCall`` that can be told, before a model turn's calls are applied one by one,
    which calls the turn holds — so that a bulk change asked for in one turn waits for
    confirmation from its first call on."""

    def __call__(self, call: ToolCall) -> AppliedCall: ...

    def expect(self, calls: Sequence[ToolCall]) -> None: ...


@dataclass(slots=True)
class AgentOutcome:
    """What an agent engine did with one message.

    ``route`` names who understood it: ``llm``, ``rules`` (hybrid, sure enough), or
    ``rules-fallback`` (the model failed and the rule engine took over). ``retry_llm`` marks a
    message the model failed on; ``requeue`` asks the caller to put it back in the queue
    because nothing at all was done with it. ``record`` is the debugging record of the LLM
    exchanges, stored with the message.
    """

    route: str
    reply: str = ""
    retry_llm: bool = False
    requeue: bool = False
    error: str | None = None
    record: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class ActingEngine(Protocol):
    """An engine that applies the calls it makes itself, because it feeds their results back
    to a model. The caller supplies ``apply``, bound to the sender and the message, so the
    engine can never choose who acts."""

    name: str

    def understand(self, message: IncomingMessage, context: ChatContext) -> list[ToolCall]: ...

    def run(
        self, message: IncomingMessage, context: ChatContext, apply: ApplyCall
    ) -> AgentOutcome: ...


@dataclass(frozen=True, slots=True)
class ModelToolCall:
    """One tool call a model asked for. ``arguments`` is ``None`` when the model sent
    arguments that are not a JSON object; ``raw_arguments`` and ``error`` then say why."""

    id: str
    name: str
    arguments: dict[str, Any] | None
    raw_arguments: str = ""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """One message of a chat-model conversation."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str = ""
    tool_calls: tuple[ModelToolCall, ...] = ()
    tool_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens as the server reported them (``None`` when it did not say)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class ModelReply:
    """A model's answer: text and/or tool calls, with what it cost."""

    text: str
    tool_calls: tuple[ModelToolCall, ...] = ()
    usage: Usage = field(default_factory=Usage)
    latency_seconds: float = 0.0
    attempts: int = 1
    model: str = ""
    finish_reason: str | None = None


class ChatModel(Protocol):
    """A chat-completions model that can call tools. Raises ``ModelError`` when the endpoint
    fails, times out or answers with something that is not a chat completion."""

    name: str

    def complete(
        self,
        turns: Sequence[ChatTurn],
        *,
        tools: Sequence[Mapping[str, Any]] = (),
        timeout_seconds: float | None = None,
    ) -> ModelReply: ...


@runtime_checkable
class Embedder(Protocol):
    """Text to dense vectors (one per text, all of the same length), for similarity.

    The summaries rank sentences by centrality with it when one is configured; the team memory
    indexes with it. Raises ``ModelError`` when the model or endpoint fails.
    """

    name: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


@dataclass(frozen=True, slots=True)
class TranscriptSegment:
    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    language: str
    duration: float
    segments: list[TranscriptSegment] = field(default_factory=list)
    model: str = ""
    processing_seconds: float = 0.0


SegmentCallback = Callable[[TranscriptSegment], None]
"""Called with each finished segment, in order, while a recording is still being transcribed."""


class TranscriptStream:
    """The segments of one recording, delivered as each is finished.

    Iterate it once (``for segment in stream``) to consume segments while the rest of the
    recording is still being decoded: a summarizer can work through a two-hour meeting as it is
    heard. :meth:`result` gives the whole :class:`Transcript` (it drains what is left first).
    ``language`` is known after the first window; ``duration`` and ``processing_seconds`` grow
    as audio is consumed and are final once the stream is exhausted.
    """

    def __init__(self, *, model: str, language: str = "", joiner: str = "") -> None:
        self.model = model
        self.language = language
        self.joiner = joiner
        self.duration = 0.0
        self.processing_seconds = 0.0
        self.segments: list[TranscriptSegment] = []
        self._source: Iterator[TranscriptSegment] | None = None
        self._done = False

    def attach(self, source: Iterator[TranscriptSegment]) -> TranscriptStream:
        """Set the generator that produces segments (adapters call this once)."""
        self._source = source
        return self

    def __iter__(self) -> Iterator[TranscriptSegment]:
        if self._source is None:
            raise RuntimeError("TranscriptStream has no source")
        if self._done:
            return
        for segment in self._source:
            self.segments.append(segment)
            yield segment
        self._done = True

    @property
    def done(self) -> bool:
        return self._done

    def result(self) -> Transcript:
        """The whole transcript; consumes any segments not yet read."""
        for _ in self:
            pass
        return Transcript(
            text=self.joiner.join(s.text for s in self.segments).strip(),
            language=self.language,
            duration=round(self.duration, 3),
            segments=list(self.segments),
            model=self.model,
            processing_seconds=round(self.processing_seconds, 3),
        )


class Transcriber(Protocol):
    """Speech to text. ``prompt`` biases the decoder towards names and project terms.

    ``stream`` is the primitive: segments come out as they are decoded, in bounded memory, so
    a long recording can be read (or summarized) while it is being transcribed. ``transcribe``
    is the same run collected into one :class:`Transcript`; ``on_segment`` sees each segment
    as it is finished.
    """

    name: str

    def stream(
        self,
        audio: Path | bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Any | None = None,
    ) -> TranscriptStream: ...

    def transcribe(
        self,
        audio: Path | bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Any | None = None,
        on_segment: SegmentCallback | None = None,
    ) -> Transcript: ...


@dataclass(frozen=True, slots=True)
class OutgoingCard:
    """A message for a chat: short Chinese text (markdown allowed), who to @, where it goes.

    ``mentions`` are WeCom userids where known, else names; ``mention_all`` is @所有人;
    ``images`` are PNG files sent after the text (charts)."""

    text: str
    chat: str | None = None
    mentions: Sequence[str] = ()
    kind: str = "confirm"  # confirm | question | error | answer | reminder | alert | report
    chat_id: int | None = None
    message_id: int | None = None  # the message this answers, when it answers one
    mention_all: bool = False
    images: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a card will leave: the channel, and the limits that channel puts on it.

    ``bucket`` names what a rate limit is counted on (one group robot, one app chat);
    ``per_minute`` and ``max_bytes`` are ``None`` when the channel has no such limit.
    ``external`` is False when nothing leaves the process (console chats read the outbox)."""

    channel: str
    bucket: str | None = None
    per_minute: int | None = None
    max_bytes: int | None = None
    external: bool = True


class Notifier(Protocol):
    """Sends one card to its chat, now; fed only from the stored outbox, which retries.

    Raises ``ChannelError`` when the channel refused the card or is down;
    ``details["retry_after"]`` (seconds) when the channel asked to wait."""

    def send(self, card: OutgoingCard) -> None: ...


@runtime_checkable
class RoutingNotifier(Protocol):
    """A notifier that can say beforehand how a card would leave (for rate limits, splitting
    and coalescing in the outbox)."""

    def send(self, card: OutgoingCard) -> None: ...

    def delivery(self, card: OutgoingCard) -> Delivery: ...


class Lease(Protocol):
    """Leadership among processes: at most one holder at a time, until the lease runs out."""

    def acquire(self, holder: str, seconds: float) -> bool:
        """Take or renew the lease for ``holder``; False while someone else holds it."""
        ...

    def release(self, holder: str) -> None: ...
