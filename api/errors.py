"""One place that maps the error tree onto HTTP status codes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from assistant.errors import (
    Ambiguous,
    ChannelError,
    Conflict,
    HistoryUnavailable,
    InvalidInput,
    ModelError,
    NotFound,
    PermissionDenied,
    QunmiError,
    TranscriptionError,
)

STATUS_BY_CODE: dict[str, int] = {
    InvalidInput.code: 422,
    NotFound.code: 404,
    Ambiguous.code: 409,
    Conflict.code: 409,
    PermissionDenied.code: 403,
    ModelError.code: 502,
    TranscriptionError.code: 422,
    ChannelError.code: 400,
    HistoryUnavailable.code: 503,
}


def status_for(error: dict[str, Any] | None) -> int:
    return STATUS_BY_CODE.get((error or {}).get("code", ""), 400)


def _validation_reason(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
        kind = err.get("type", "")
        if kind == "missing":
            parts.append(f"缺少字段 {loc}")
        elif kind == "json_invalid":
            parts.append("请求体不是合法的 JSON")
        elif kind == "extra_forbidden":
            parts.append(f"不认识的字段 {loc}")
        else:
            parts.append(f"字段 {loc} 的类型或取值不对（{err.get('msg', '')}）")
    return "；".join(dict.fromkeys(parts)) or "请求不合法"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QunmiError)
    async def _qunmi_error(_: Request, exc: QunmiError) -> JSONResponse:
        return JSONResponse(status_code=status_for({"code": exc.code}), content=exc.to_dict())

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(x) for x in e.get("loc", ())], "type": e.get("type"), "msg": e.get("msg")}
            for e in exc.errors()
        ]
        return JSONResponse(
            status_code=422,
            content={
                "code": "invalid_input",
                "reason": _validation_reason(exc),
                "details": {"errors": errors},
            },
        )
