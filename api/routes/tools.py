"""The tool vocabulary over HTTP: list the schemas, apply a call."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.deps import PrincipalDep, QunmiDep, acting_as
from api.routes.common import run_tool
from api.schemas import ToolCallRequest
from assistant.services.dialogue import close_question
from tools.vocabulary import VOCABULARY_VERSION, tool_schemas

router = APIRouter(tags=["tools"])


@router.get("/tools")
def list_tools() -> dict[str, Any]:
    return {"version": VOCABULARY_VERSION, "tools": tool_schemas()}


@router.post("/tools/{tool}")
def call_tool(
    q: QunmiDep, who: PrincipalDep, tool: Annotated[str, Path(max_length=60)], body: ToolCallRequest
) -> dict[str, Any]:
    """Apply one tool call as the authenticated person; errors come back as 4xx with a reason."""
    actor = acting_as(q, who, body.actor)
    result = run_tool(
        q, tool, body.args, actor=actor, chat_id=body.chat_id, idempotency_key=body.idempotency_key
    )
    if body.chat_id is not None:
        # A call made for a chat (the console's "是哪一个？" buttons) answers that person's open
        # question there, as a chat message would.
        with q.uow_factory() as uow:
            member = q.executor.find_actor(uow, actor)
            if member.id is not None:
                close_question(uow, body.chat_id, member.id, q.clock.now())
                uow.commit()
    return result.to_dict()
