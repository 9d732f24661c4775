"""``LangChainChatModel``: the ``ChatModel`` port on LangChain's ``ChatOpenAI``.

One adapter serves every OpenAI-compatible Chat Completions endpoint: OpenAI, DeepSeek, Qwen
(DashScope compatible mode), vLLM, Ollama. Only the Chat Completions protocol is used (never the
Responses API), streaming is off, and nothing counts tokens locally: the figures are the ones
the server reports, so tiktoken never needs to download an encoding.

Retries are ours, not the SDK's: the SDK is built with ``max_retries=0`` and this adapter retries
timeouts, connection errors, HTTP 429 and 5xx with exponential backoff (honouring a short
``Retry-After``) inside the time budget of the call. Every vendor exception becomes a
``ModelError`` raised ``from`` the original.

The key is only ever sent to the configured ``base_url``: it is passed explicitly, so an
``OPENAI_API_KEY`` or ``OPENAI_BASE_URL`` in the environment can neither leak to a local server
nor redirect our key elsewhere. The key is never logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import SecretStr

from assistant.errors import ModelError
from assistant.ports import ChatTurn, ModelReply, ModelToolCall, Usage
from assistant.settings import LLMSettings

__all__ = ["DEFAULT_BASE_URL", "LangChainChatModel"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_NO_KEY = "not-needed"  # local servers accept any key; the SDK insists on one


class LangChainChatModel:
    """A chat model at an OpenAI-compatible ``base_url``, called through ``ChatOpenAI``."""

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: SecretStr | None = None,
        timeout_seconds: float = 30.0,
        max_retries: int = 2,
        temperature: float = 0.0,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        from langchain_openai import ChatOpenAI

        self.name = model
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.timeout_seconds = timeout_seconds
        self.max_retries = max(0, max_retries)
        self._backoff = backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._sleep = sleep
        self._client = ChatOpenAI(
            model=model,
            base_url=self.base_url,
            api_key=api_key if api_key is not None else SecretStr(_NO_KEY),
            timeout=timeout_seconds,
            max_retries=0,
            temperature=temperature,
            streaming=False,
            stream_usage=False,
            use_responses_api=False,
        )

    @classmethod
    def from_settings(cls, settings: LLMSettings, **overrides: Any) -> LangChainChatModel:
        return cls(
            model=settings.model,
            base_url=settings.base_url,
            api_key=settings.api_key,
            timeout_seconds=settings.timeout_seconds,
            max_retries=settings.max_retries,
            temperature=settings.temperature,
            **overrides,
        )

    def __repr__(self) -> str:
        return f"LangChainChatModel(model={self.name!r}, base_url={self.base_url!r})"

    def complete(
        self,
        turns: Sequence[ChatTurn],
        *,
        tools: Sequence[Mapping[str, Any]] = (),
        timeout_seconds: float | None = None,
    ) -> ModelReply:
        """One chat completion, retried on transient failures within ``timeout_seconds``
        (default: the configured timeout for each attempt, retries on top)."""
        messages = [_to_langchain(turn) for turn in turns]
        kwargs: dict[str, Any] = {}
        if tools:
            kwargs["tools"] = [dict(t) for t in tools]
        started = time.monotonic()
        budget = timeout_seconds
        attempt = 0
        while True:
            attempt += 1
            per_try = self.timeout_seconds
            if budget is not None:
                remaining = budget - (time.monotonic() - started)
                if remaining <= 0:
                    raise ModelError(
                        f"模型在 {budget:.1f} 秒内没有答复",
                        details={"kind": "timeout", "attempts": attempt - 1},
                    )
                per_try = min(per_try, remaining)
            try:
                message = self._client.invoke(messages, timeout=per_try, **kwargs)
            except Exception as exc:  # noqa: BLE001 - every vendor failure is translated below
                error, retryable, wait = _translate(exc, per_try)
                error.details.update(
                    {"attempts": attempt, "latency_seconds": round(time.monotonic() - started, 3)}
                )
                delay = min(max(wait or 0.0, self._backoff * 2 ** (attempt - 1)), self._max_backoff)
                out_of_time = budget is not None and time.monotonic() - started + delay >= budget
                if not retryable or attempt > self.max_retries or out_of_time:
                    log.warning(
                        "model %s failed after %d attempt(s): %s", self.name, attempt, error.reason
                    )
                    raise error from exc
                log.info("model %s: %s; retry %d in %.2fs", self.name, error.reason, attempt, delay)
                self._sleep(delay)
                continue
            try:
                return _reply(
                    message, model=self.name, latency=time.monotonic() - started, attempts=attempt
                )
            except (TypeError, ValueError, KeyError) as exc:
                raise ModelError(
                    "模型返回的内容无法解析", details={"kind": "garbage", "attempts": attempt}
                ) from exc


def _to_langchain(turn: ChatTurn) -> Any:
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

    if turn.role == "system":
        return SystemMessage(content=turn.content)
    if turn.role == "user":
        return HumanMessage(content=turn.content)
    if turn.role == "tool":
        return ToolMessage(content=turn.content, tool_call_id=turn.tool_call_id or "")
    valid = [
        {"name": c.name, "args": c.arguments, "id": c.id, "type": "tool_call"}
        for c in turn.tool_calls
        if c.arguments is not None
    ]
    invalid = [
        {
            "name": c.name,
            "args": c.raw_arguments,
            "id": c.id,
            "error": c.error,
            "type": "invalid_tool_call",
        }
        for c in turn.tool_calls
        if c.arguments is None
    ]
    return AIMessage(content=turn.content, tool_calls=valid, invalid_tool_calls=invalid)


def _reply(message: Any, *, model: str, latency: float, attempts: int) -> ModelReply:
    from langchain_core.messages import AIMessage

    if not isinstance(message, AIMessage):
        raise TypeError(f"expected an AIMessage, got {type(message).__name__}")
    calls: list[ModelToolCall] = []
    for n, call in enumerate(message.tool_calls, start=1):
        args = call.get("args")
        calls.append(
            ModelToolCall(
                id=call.get("id") or f"call_{n}",
                name=call["name"],
                arguments=args if isinstance(args, dict) else None,
                raw_arguments="" if isinstance(args, dict) else str(args),
                error=None if isinstance(args, dict) else "参数不是 JSON 对象",
            )
        )
    for n, bad in enumerate(message.invalid_tool_calls, start=len(calls) + 1):
        calls.append(
            ModelToolCall(
                id=bad.get("id") or f"call_{n}",
                name=bad.get("name") or "",
                arguments=None,
                raw_arguments=str(bad.get("args") or ""),
                error="参数不是合法的 JSON",
            )
        )
    meta = message.response_metadata or {}
    raw_usage = meta.get("token_usage") or {}
    usage = Usage(
        prompt_tokens=raw_usage.get("prompt_tokens"),
        completion_tokens=raw_usage.get("completion_tokens"),
        total_tokens=raw_usage.get("total_tokens"),
    )
    text = message.content if isinstance(message.content, str) else message.text
    return ModelReply(
        text=(text or "").strip(),
        tool_calls=tuple(calls),
        usage=usage,
        latency_seconds=latency,
        attempts=attempts,
        model=str(meta.get("model_name") or model),
        finish_reason=meta.get("finish_reason"),
    )


def _translate(exc: Exception, timeout: float) -> tuple[ModelError, bool, float | None]:
    """A ``ModelError`` for ``exc``, whether it is worth retrying, and the server's wait hint."""
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return (
            ModelError(f"模型响应超时（{timeout:.1f} 秒）", details={"kind": "timeout"}),
            True,
            None,
        )
    if isinstance(exc, openai.APIConnectionError):
        return ModelError("连不上模型服务", details={"kind": "connection"}), True, None
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        wait = _retry_after(exc.response.headers.get("retry-after"))
        details: dict[str, Any] = {"kind": "http", "status": status}
        if status == 429:
            return ModelError("模型服务限流（HTTP 429）", details=details), True, wait
        if status >= 500:
            return ModelError(f"模型服务出错（HTTP {status}）", details=details), True, wait
        if status in (401, 403):
            return ModelError(f"模型服务拒绝了密钥（HTTP {status}）", details=details), False, None
        return ModelError(f"模型服务拒绝了请求（HTTP {status}）", details=details), False, None
    if isinstance(exc, openai.APIError | ValueError | TypeError | KeyError):
        return (
            ModelError(
                "模型返回的内容无法解析", details={"kind": "garbage", "error": type(exc).__name__}
            ),
            False,
            None,
        )
    return (
        ModelError(f"调用模型失败：{type(exc).__name__}", details={"kind": "unknown"}),
        False,
        None,
    )


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header; dates and absurd waits are ignored."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 60 else None
