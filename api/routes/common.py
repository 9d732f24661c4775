"""Helpers shared by the routers."""

from __future__ import annotations

from typing import Any

from fastapi import Response, status
from fastapi.responses import JSONResponse

from api.errors import status_for
from assistant.bootstrap import Qunmi
from assistant.domain import Message, ToolCall
from assistant.services.inbox import Outcome
from tools.executor import CallContext, ToolResult

WAIT_FOR_WORKER_SECONDS = 60.0


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


def answer_message(
    qunmi: Qunmi, message: Message, is_new: bool, *, wait: bool, response: Response
) -> dict[str, Any]:
    """What an intake route answers once the message is stored: with ``wait``, what was done;
    without, a 202 at once and the worker takes it from there."""
    assert message.id is not None
    if not wait:
        worker = qunmi.extras.get("worker")
        if worker is not None:
            worker.notify()
        response.status_code = status.HTTP_202_ACCEPTED
        return Outcome(message_id=message.id, state=message.state, duplicate=not is_new).to_dict()
    # The background worker may have claimed the message first: wait for its outcome rather
    # than answer "nothing done" while it is being done.
    outcome = qunmi.processor.process(message.id, wait_seconds=WAIT_FOR_WORKER_SECONDS)
    outcome.duplicate = not is_new
    return outcome.to_dict()


def tool_failed_response(exc: ToolFailed) -> JSONResponse:
    error = exc.result.error or {"code": "error", "reason": "操作失败"}
    return JSONResponse(status_code=status_for(error), content=error)
