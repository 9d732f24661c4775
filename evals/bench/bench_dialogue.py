"""Cost of the dialogue state: ``python -m evals.bench.bench_dialogue [DATABASE_URL]``.

Prints, per message, the rule engine's time on the dialogue dev cases with their state and on an
everyday mix with a busy state (an open question and ten records just touched) against no state,
then the store's load and save of the state on SQLite, or on the empty database given (the
processor does both once a message).
Median and the p10–p90 spread; bounded to a few seconds.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from assistant.domain import (
    Candidate,
    Chat,
    ChatContext,
    DialogueState,
    IncomingMessage,
    Member,
    OpenQuestion,
    ToolCall,
    TouchedRecord,
)
from assistant.engines.rules import RuleEngine
from assistant.services.dialogue import DialogueMemory
from evals.bench.bench_rules import MESSAGES
from evals.dialogue_cases import CASES, NOW
from evals.dialogue_cases import state as _state
from storage.migrate import upgrade
from storage.unit_of_work import make_engine, make_uow_factory
from tools.executor import ToolResult

ROUNDS = 30


def _spread(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    deciles = statistics.quantiles(ms, n=10)
    return f"median {statistics.median(ms):.3f} ms (p10 {deciles[0]:.3f} – p90 {deciles[-1]:.3f})"


def _time(fn: Callable[[], object], rounds: int = ROUNDS) -> list[float]:
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _busy() -> DialogueState:
    question = OpenQuestion(
        tool="update_task",
        args={"task": "登录页", "status": "done"},
        slot="task",
        kind="task",
        candidates=(Candidate(4, "出登录页设计稿"), Candidate(9, "登录页联调")),
        asked_at=NOW,
        asked_of=CASES["sender"],
        written="登录页",
    )
    recent = tuple(
        TouchedRecord(
            kind="meeting" if i % 2 else "task",
            id=100 + i,
            title=f"记录{i}",
            tool="create_task",
            created=True,
            at=NOW,
            by=CASES["sender"],
            fields={"due": NOW.isoformat(), "start": NOW.isoformat()},
        )
        for i in range(10)
    )
    return DialogueState(question=question, recent=recent)


def engine_figures() -> None:
    engine = RuleEngine()

    def per_message(texts: list[str], state: DialogueState) -> list[float]:
        samples: list[float] = []
        ctx = ChatContext(now=NOW, sender=CASES["sender"], members=CASES["members"], dialogue=state)
        for text in texts:
            message = IncomingMessage(text=text, sender=CASES["sender"])
            samples.extend(_time(lambda m=message: engine.analyse(m, ctx), 10))  # type: ignore[misc]
        return samples

    dev: list[float] = []
    for case in CASES["cases"]:
        state = _state(CASES["states"][case["state"]])
        dev.extend(per_message([case["text"]], state))
    print(f"dialogue dev cases with their state ({len(CASES['cases'])} messages): {_spread(dev)}")
    everyday = [m for m in MESSAGES if len(m) < 400]
    print(
        f"everyday mix, no state ({len(everyday)} messages): "
        f"{_spread(per_message(everyday, DialogueState()))}"
    )
    print(f"everyday mix, busy state: {_spread(per_message(everyday, _busy()))}")


def store_figures(url: str | None = None) -> None:
    """On a fresh SQLite file, or on the (empty, throwaway) database at ``url``."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        upgrade(engine)
        uow_factory = make_uow_factory(engine)
        memory = DialogueMemory()
        with uow_factory() as uow:
            member = uow.members.add(Member(display_name="张三", created_at=NOW))
            chat = uow.chats.add(Chat(name="g", created_at=NOW, member_ids=[member.id or 0]))
            uow.commit()
        result = ToolResult(
            tool="create_task",
            ok=True,
            kind="task",
            record={"id": 1, "title": "写周报", "due": NOW.isoformat(), "assignee": "张三"},
        )
        call = ToolCall("create_task", {"title": "写周报"})
        at = [NOW]

        saves: list[float] = []
        loads: list[float] = []
        commits: list[float] = []
        for _ in range(200):
            at[0] += timedelta(seconds=5)
            with uow_factory() as uow:
                # Inside the transaction the processor opens anyway (it has read the sender
                # already): the added cost.
                uow.members.get(member.id or 0)
                t0 = time.perf_counter()
                memory.load(uow, chat.id, member, at[0])
                t1 = time.perf_counter()
                memory.record(
                    uow,
                    chat_id=chat.id,
                    member=member,
                    message_id=None,
                    calls=[call],
                    results=[result],
                    now=at[0],
                )
                t2 = time.perf_counter()
                uow.commit()
                t3 = time.perf_counter()
            loads.append(t1 - t0)
            saves.append(t2 - t1)
            commits.append(t3 - t2)
        engine_name = "SQLite" if engine.dialect.name == "sqlite" else "PostgreSQL"
        engine.dispose()
    where = engine_name
    print(f"{where} load of the state, in the message's transaction: {_spread(loads)}")
    print(
        f"{where} save of one message's state (up to 200 live rows in the chat): {_spread(saves)}"
    )
    print(f"  (for scale: the commit of that transaction: {_spread(commits)})")


def main() -> int:
    engine_figures()
    store_figures(sys.argv[1] if len(sys.argv) > 1 else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
