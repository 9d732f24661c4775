"""Text in pictures (设计稿 PNG/JPG), read offline with RapidOCR's bundled PP-OCR models
(``rapidocr-onnxruntime``, Apache-2.0; the models inside the wheel, nothing downloaded at run
time) so that a picture is found by the words on it.

Optional: ``pip install 'qunmi[ocr]'``. Without the package, pictures are kept and found by
their name only (``available()`` says which). The engine loads once per process, on first use.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import threading
from typing import Any

__all__ = ["ImageReader", "available"]

log = logging.getLogger(__name__)

_MAX_SIDE = 2000  # larger pictures are scaled down first (OCR time grows with the pixels)
_MAX_PIXELS = 64_000_000  # past this a picture is not decoded at all (a decompression bomb)
_MIN_SCORE = 0.5


def available() -> bool:
    """Whether the OCR package is installed."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


class ImageReader:
    """``reader(data) -> text``: the lines of text in a picture, top to bottom, left to right;
    ``""`` when it has none or cannot be decoded."""

    def __init__(self, *, min_score: float = _MIN_SCORE, max_side: int = _MAX_SIDE) -> None:
        self._min_score = min_score
        self._max_side = max_side
        self._engine: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._engine is None:
                from rapidocr_onnxruntime import RapidOCR

                self._engine = RapidOCR()
            return self._engine

    def __call__(self, data: bytes) -> str:
        import numpy as np
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as opened:
                width, height = opened.size
                if width * height > _MAX_PIXELS:
                    return ""
                picture = opened.convert("RGB")
        except (OSError, ValueError, Image.DecompressionBombError) as exc:
            log.info("picture not readable for OCR: %s", exc)
            return ""
        longest = max(picture.size)
        if longest > self._max_side:
            scale = self._max_side / longest
            picture = picture.resize(
                (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
            )
        # RapidOCR takes OpenCV's channel order (BGR).
        pixels = np.ascontiguousarray(np.asarray(picture)[:, :, ::-1])
        engine = self._load()
        with self._lock:  # one inference at a time: the engine is not documented thread-safe
            found, _ = engine(pixels)
        lines: list[tuple[float, float, str]] = []
        for box, text, score in found or []:
            if float(score) < self._min_score or not str(text).strip():
                continue
            top = min(point[1] for point in box)
            left = min(point[0] for point in box)
            lines.append((float(top), float(left), str(text).strip()))
        # Reading order: rows (within half a line's height) top to bottom, then left to right.
        lines.sort(key=lambda item: (round(item[0] / 12), item[1]))
        return "\n".join(text for _, _, text in lines)
