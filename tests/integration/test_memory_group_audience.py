"""An answer given in a group chat is read by everyone in it, so it stands only on files all of
them may read; the asker is told when more was kept back and gets it in a one-person chat (real
SQL on SQLite and PostgreSQL, the real bundled e5 model, real embedded Chroma)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.bootstrap import bootstrap
from assistant.clock import FixedClock
from assistant.domain import Chat, Member, Project, Role, ToolCall
from assistant.settings import ChromaSettings, Settings
from tests.conftest import NOW
from tools.executor import CallContext

SPEC = "# 支付回调接口说明\n微信支付回调地址 /pay/notify，签名校验用 HMAC-SHA256，超时 5 秒重试三次"
QUESTION = "支付回调接口说明在哪"


def test_group_answers_stand_on_what_everyone_in_the_group_may_read(
    settings: Settings, clock: FixedClock, e5_embedder: Any, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"chroma": ChromaSettings(path=tmp_path / "chroma")})
    q = bootstrap(settings, clock=clock, embedder=e5_embedder)
    try:
        with q.uow_factory() as uow:
            wang = uow.members.add(Member(display_name="王磊", created_at=NOW))
            zhao = uow.members.add(Member(display_name="赵六", created_at=NOW))
            lisi = uow.members.add(Member(display_name="李四", created_at=NOW))
            uow.members.add(Member(display_name="张伟", role=Role.ADMIN, created_at=NOW))
            pay = uow.projects.add(
                Project(
                    name="支付对接", owner_id=wang.id, member_ids=[zhao.id or 0], created_at=NOW
                )
            )
            other = uow.projects.add(Project(name="官网改版", owner_id=lisi.id, created_at=NOW))
            ids = [m.id or 0 for m in (wang, zhao, lisi)]

            def chat(
                name: str, channel: str, external: str, members: list[int], project: Any
            ) -> int:
                made = uow.chats.add(
                    Chat(
                        name=name,
                        channel=channel,
                        external_id=external,
                        member_ids=members,
                        project_id=project.id if project is not None else None,
                        created_at=NOW,
                    )
                )
                assert made.id is not None
                return made.id

            chats = {
                # A console room with someone outside the project.
                "mixed": chat("混合群", "console", "g-mixed", ids, None),
                # A console room of the project's people only.
                "team": chat("支付小组", "console", "g-team", ids[:2], None),
                # WeCom groups: the project's own group, and one linked to another project.
                "own_group": chat("支付对接群", "wecom", "wr-pay", ids[:2], pay),
                "other_group": chat("官网群", "wecom", "wr-home", ids[:2], other),
                "private": chat("私信·王磊", "console", f"private:{ids[0]}", ids[:1], None),
            }
            uow.commit()
        lib = q.documents
        assert lib is not None and q.memory is not None
        document, _ = lib.add(
            lib.stage([SPEC.encode()]),
            name="支付回调接口说明.md",
            uploader="王磊",
            project="支付对接",
        )
        assert q.memory.indexer.drain().vector_error is None

        def ask(where: str | None, actor: str = "王磊") -> dict[str, Any]:
            result = q.executor.execute(
                ToolCall("ask", {"question": QUESTION}),
                CallContext(actor=actor, chat_id=chats[where] if where else None),
            )
            assert result.ok, result.error
            assert result.summary is not None
            return result.summary

        def cites(summary: dict[str, Any]) -> bool:
            return f"/files/{document.id}" in json.dumps(summary, ensure_ascii=False)

        # Where everyone may read the project's files, the asker gets the file as before.
        for where in ("team", "own_group", "private", None):
            answer = ask(where)
            assert answer["found"] and cites(answer), where
            assert "withheld" not in answer and "🔒" not in answer["answer"]
        # Where someone may not, the group is not shown it, and the asker is told why.
        for where in ("mixed", "other_group"):
            answer = ask(where)
            assert not cites(answer) and "HMAC" not in json.dumps(answer, ensure_ascii=False)
            assert answer["withheld"] == 1, answer
            assert "只给项目成员看的文件" in answer["answer"] and "私聊" in answer["answer"]
        # Someone who may not read the file is not told it exists, in a group or alone.
        for where in ("mixed", None):
            answer = ask(where, actor="李四")
            assert not cites(answer) and "withheld" not in answer
    finally:
        q.close()
