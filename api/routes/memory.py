"""Team memory over HTTP: search the history, ask about it, see how far indexing is."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal
from api.deps import PrincipalDep, QunmiDep, acting_as
from assistant.bootstrap import Qunmi
from assistant.errors import HistoryUnavailable, InvalidInput, PermissionDenied
from assistant.memory.privacy import ReaderView

if TYPE_CHECKING:
    from assistant.memory.service import Memory

router = APIRouter(tags=["memory"])

Text = Annotated[str, Query(min_length=1, max_length=500)]


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=500)
    chat: str | None = Field(default=None, max_length=200)
    project: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=20)
    asker: str | None = Field(
        default=None, max_length=200, description="提问人：只能是登录的本人（本机模式下可指定）"
    )
    now: datetime | None = None


def _memory(q: Qunmi) -> Memory:
    if q.memory is None:
        raise HistoryUnavailable("这个实例没有配置团队记忆")
    return q.memory


def _reader(q: Qunmi, who: Principal, claimed: str | None) -> str | int | None:
    """Who reads: the authenticated member (a claimed name must be them); ``None`` when the
    credential is nobody's, who then sees no budget figures."""
    try:
        return acting_as(q, who, claimed)
    except PermissionDenied:
        if claimed is not None:
            raise
        return None


def _view(q: Qunmi, memory: Memory, reader: str | int | None) -> ReaderView:
    """What the reader may read (``assistant.memory.privacy``), as the chat's ``ask`` does:
    no files of projects they are not in, no budget figures they may not see."""
    viewer = None
    if reader is not None:
        with q.uow_factory() as uow:
            viewer = q.executor.find_actor(uow, reader)
    return memory.view(viewer, q.executor.policy)


def _now(q: Qunmi, now: datetime | None) -> datetime:
    if now is None:
        return q.clock.now()
    if now.tzinfo is None:
        raise InvalidInput("now 需要带时区偏移，例如 2026-11-25T10:00:00+08:00")
    return now


@router.get("/search")
def search(
    q: QunmiDep,
    who: PrincipalDep,
    query: Annotated[str, Query(alias="q", min_length=1, max_length=500, description="搜索内容")],
    chat: str | None = None,
    project: str | None = None,
    kind: str | None = None,
    mode: Literal["hybrid", "keyword", "vector"] = "hybrid",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    now: datetime | None = None,
    actor: Annotated[
        str | None,
        Query(max_length=200, description="谁在搜：只能是登录的本人（本机模式下可指定）"),
    ] = None,
) -> dict[str, Any]:
    """Search everything the team said, tasks and meetings; best first. Results as of
    ``now`` (default: now). Passages with budget figures only for the project's PM and admins,
    files of a project only for its members and admins."""
    memory = _memory(q)
    hide = _view(q, memory, _reader(q, who, actor))
    filters = memory.filters(chat=chat, project=project, kind=kind, until=_now(q, now))
    result = memory.search(query, filters=filters, limit=limit, mode=mode, hide=hide)
    from assistant.memory.views import search_record

    return search_record(result, q.settings.tz, memory.answerer)


def _ask(q: Qunmi, who: Principal, body: AskIn) -> dict[str, Any]:
    memory = _memory(q)
    now = _now(q, body.now)
    view = _view(q, memory, _reader(q, who, body.asker))
    asker = view.viewer.display_name if view.viewer is not None else None
    filters = memory.filters(chat=body.chat, project=body.project, kind=body.kind)
    answer = memory.ask(body.question, filters=filters, now=now, asker=asker, hide=view)
    return answer.to_dict()


@router.post("/ask")
def ask(q: QunmiDep, who: PrincipalDep, body: AskIn) -> dict[str, Any]:
    """Answer a question about the past from the history, with sources, or say 没找到."""
    return _ask(q, who, body)


@router.get("/ask")
def ask_get(
    q: QunmiDep,
    who: PrincipalDep,
    question: Annotated[str, Query(alias="q", min_length=1, max_length=500)],
    chat: str | None = None,
    project: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The same as ``POST /ask``, for a link or the console's search box."""
    return _ask(q, who, AskIn(question=question, chat=chat, project=project, now=now))


@router.get("/index/status")
def index_status(q: QunmiDep, now: datetime | None = None) -> dict[str, Any]:
    """How many passages are indexed, how many wait, and the vector store's last error."""
    from assistant.memory.views import stats_record

    memory = _memory(q)
    return stats_record(memory.indexer.stats(), q.settings.tz, now=_now(q, now))
