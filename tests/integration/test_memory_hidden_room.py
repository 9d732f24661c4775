"""Passages a reader may not see are taken out before the best ten are chosen, so they leave
room for the next ones (real SQL on SQLite and PostgreSQL, the real bundled e5 model, real
embedded Chroma)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.bootstrap import bootstrap
from assistant.clock import FixedClock
from assistant.domain import Member, Project
from assistant.memory.ports import DocFilter
from assistant.services.inbox import Inbound
from assistant.settings import ChromaSettings, Settings
from tests.conftest import NOW


def test_hidden_passages_leave_room_for_the_ones_the_reader_may_see(
    settings: Settings, clock: FixedClock, e5_embedder: Any, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"chroma": ChromaSettings(path=tmp_path / "chroma")})
    q = bootstrap(settings, clock=clock, embedder=e5_embedder)
    try:
        with q.uow_factory() as uow:
            wang = uow.members.add(Member(display_name="王磊", created_at=NOW))
            lisi = uow.members.add(Member(display_name="李四", created_at=NOW))
            uow.projects.add(Project(name="支付对接", owner_id=wang.id, created_at=NOW))
            uow.commit()
        lib = q.documents
        assert lib is not None and q.memory is not None
        # Fifteen files of a project 李四 is not in, each about the payment callback...
        for i in range(15):
            text = f"# 支付回调说明 第{i + 1}部分\n支付回调的签名校验和重试规则，回调地址 /pay/notify/{i}"
            lib.add(
                lib.stage([text.encode()]),
                name=f"支付回调说明{i + 1}.md",
                uploader="王磊",
                project="支付对接",
            )
        # ...and one thing he may read: a message in a chat he is in.
        message, _ = q.inbox.receive(
            Inbound(
                channel="test",
                chat="技术群",
                sender="李四",
                text="回调签名那块我昨天看过了，没问题",
                received_at=clock.now(),
                sender_id=lisi.id,
            )
        )
        assert message.id is not None
        q.processor.process(message.id)
        assert q.memory.indexer.drain().vector_error is None

        query = "支付回调的签名校验"
        said = ("message", message.id)
        everything = q.memory.search(query, filters=DocFilter(), limit=10)
        # Unfiltered, the files fill the first ten and the message is not among them...
        assert len(everything.hits) == 10
        assert said not in [(h.doc.kind, h.doc.record_id) for h in everything.hits]
        # ...so taking them out after the cut would leave him nothing; before it, the message.
        hide = q.memory.view(lisi)
        seen = q.memory.search(query, filters=DocFilter(), limit=10, hide=hide)
        assert said in [(h.doc.kind, h.doc.record_id) for h in seen.hits]
        assert all(h.doc.kind != "file" for h in seen.hits)
        # The owner of the project still gets the files first.
        own = q.memory.search(query, filters=DocFilter(), limit=10, hide=q.memory.view(wang))
        assert len(own.hits) == 10 and own.hits[0].doc.kind == "file"
    finally:
        q.close()
