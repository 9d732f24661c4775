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
    InvalidInput,
    ModelError,
    NotFound,
    PermissionDenied,
    QunmiError,
    TranscriptionError,
)
from tools.validation import describe_all

STATUS_BY_CODE: dict[str, int] = {
    InvalidInput.code: 422,
    NotFound.code: 404,
    Ambiguous.code: 409,
    Conflict.code: 409,
    PermissionDenied.code: 403,
    ModelError.code: 502,
    TranscriptionError.code: 422,
    ChannelError.code: 400,
}


def status_for(error: dict[str, Any] | None) -> int:
    return STATUS_BY_CODE.get((error or {}).get("code", ""), 400)


def _validation_reason(exc: RequestValidationError) -> str:
    return describe_all(exc.errors())


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(QunmiError)
    async def _qunmi_error(_: Request, exc: QunmiError) -> JSONResponse:
        return JSONResponse(status_code=status_for({"code": exc.code}), content=exc.to_dict())

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(x) for x in e.get("loc", ())], "type": e.get("type")} for e in exc.errors()
        ]
        return JSONResponse(
            status_code=422,
            content={
                "code": "invalid_input",
                "reason": _validation_reason(exc),
                "details": {"errors": errors},
            },
        )
