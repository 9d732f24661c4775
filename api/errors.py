"""One place that maps the error tree onto HTTP status codes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.limits import allowed_methods
from assistant.errors import (
    Ambiguous,
    ChannelError,
    Conflict,
    HistoryUnavailable,
    InvalidInput,
    LikelyDuplicate,
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
    LikelyDuplicate.code: 409,
    PermissionDenied.code: 403,
    ModelError.code: 502,
    TranscriptionError.code: 422,
    ChannelError.code: 400,
    HistoryUnavailable.code: 503,
    "too_large": 413,  # a file past the upload limit (assistant.files.FileTooLarge)
    "font_missing": 503,  # the charts' CJK font is not installed (assistant.adapters.charts)
}


def status_for(error: dict[str, Any] | None) -> int:
    return STATUS_BY_CODE.get((error or {}).get("code", ""), 400)


def _validation_reason(exc: RequestValidationError) -> str:
    return describe_all(exc.errors())


_HTTP_REASONS = {
    400: "请求无法解析（请检查请求体的格式和 Content-Type）",
    401: "需要令牌",
    403: "没有权限",
    404: "没有这个地址",
    405: "这个地址不支持这种请求方法",
    406: "无法给出要求的格式",
    413: "请求体太大",
    415: "不支持这种请求体格式",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """The framework's own refusals (no such route, a body it cannot parse…) in our shape,
        in Chinese."""
        reason = _HTTP_REASONS.get(exc.status_code, "请求没有被接受")
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            reason = f"{request.url.path} 不支持 {request.method} 请求"
            methods = allowed_methods(request.app.router.routes, request.scope)
            if methods:
                headers = {**(headers or {}), "Allow": ", ".join(sorted(methods | {"OPTIONS"}))}
        code = "not_found" if exc.status_code == 404 else "invalid_input"
        return JSONResponse(
            status_code=exc.status_code, content={"code": code, "reason": reason}, headers=headers
        )

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
