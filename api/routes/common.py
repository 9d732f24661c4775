"""Helpers shared by the routers."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from api.errors import status_for
from assistant.bootstrap import Qunmi
from assistant.domain import ToolCall
from tools.executor import CallContext, ToolResult


class ToolFailed(Exception):
    def __init__(self, result: ToolResult) -> None:
        self.result = result


def run_tool(
    qunmi: Qunmi,
    tool: str,
    args: dict[str, Any],
    *,
    actor: str | int,
    chat_id: int | None = None,
    idempotency_key: str | None = None,
) -> ToolResult:
    clean = {k: v for k, v in args.items() if v is not None}
    result = qunmi.executor.execute(
        ToolCall(tool, clean),
        CallContext(actor=actor, chat_id=chat_id, idempotency_key=idempotency_key),
    )
    if not result.ok:
        raise ToolFailed(result)
    return result


def tool_failed_response(exc: ToolFailed) -> JSONResponse:
    error = exc.result.error or {"code": "error", "reason": "操作失败"}
    return JSONResponse(status_code=status_for(error), content=error)


def names(qunmi: Qunmi) -> dict[int, str]:
    with qunmi.uow_factory() as uow:
        return {m.id: m.display_name for m in uow.members.all() if m.id is not None}
