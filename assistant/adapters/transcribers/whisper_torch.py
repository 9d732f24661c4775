"""``OpenAIWhisperTranscriber``: the reference ``openai-whisper`` package (PyTorch), optional.

Install it with ``pip install 'qunmi[openai-whisper]'``; it pulls PyTorch, so it is not part of
the default install. ``QUNMI_WHISPER__MODEL`` is a size name (``small``, ``large-v3``...) or a
path to a ``.pt`` checkpoint; ``bundled-base`` is a CTranslate2 model this backend cannot read.
"""

from __future__ import annotations

import importlib
import os
import threading
from pathlib import Path
from typing import Any

from assistant.adapters.audio import AudioWindow
from assistant.adapters.transcribers.base import (
    StreamingTranscriber,
    WindowResult,
    stream_in_windows,
)
from assistant.adapters.transcribers.bundled import BUNDLED_MODEL_NAME
from assistant.adapters.transcribers.text import whisper_prompt
from assistant.errors import TranscriptionError
from assistant.ports import TranscriptSegment, TranscriptStream
from assistant.settings import WhisperSettings

__all__ = ["INSTALL_HINT", "OpenAIWhisperTranscriber"]

INSTALL_HINT = (
    "未安装 openai-whisper：请运行 pip install 'qunmi[openai-whisper]'"
    "（会安装 PyTorch），或改用 QUNMI_WHISPER__BACKEND=faster-whisper。"
)

_MODELS: dict[tuple[str, str], Any] = {}
_MODELS_LOCK = threading.Lock()


class OpenAIWhisperTranscriber(StreamingTranscriber):
    """Speech to text with ``whisper.load_model(name or path)``, imported only when used."""

    name = "openai-whisper"

    def __init__(self, settings: WhisperSettings, *, download_root: Path | None = None) -> None:
        self.settings = settings
        self.download_root = download_root

    def load(self) -> Any:
        whisper = _import_whisper()
        spec = self.settings.model
        if spec == BUNDLED_MODEL_NAME:
            raise TranscriptionError(
                "openai-whisper 不能读取内置的 bundled-base（CTranslate2 格式）："
                "请把 QUNMI_WHISPER__MODEL 设为 base、small 等名称或 .pt 文件路径。",
                details={"model": spec},
            )
        device = "cpu" if self.settings.device == "auto" else self.settings.device
        key = (spec, device)
        with _MODELS_LOCK:
            model = _MODELS.get(key)
            if model is None:
                self._refuse_download(whisper, spec)
                try:
                    root = str(self.download_root) if self.download_root else None
                    model = whisper.load_model(spec, device=device, download_root=root)
                except (RuntimeError, ValueError, OSError) as exc:
                    raise TranscriptionError(
                        f"无法加载 openai-whisper 模型 {spec}：{exc}", details={"model": spec}
                    ) from exc
                _MODELS[key] = model
        return model

    def stream(
        self,
        audio: Path | bytes,
        *,
        language: str | None = None,
        prompt: str | None = None,
        progress: Any | None = None,
    ) -> TranscriptStream:
        """Same contract as :meth:`~.faster.FasterWhisperTranscriber.stream`."""
        value = language or self.settings.language
        lang = None if value == "auto" else value
        initial_prompt = whisper_prompt(prompt, lang)
        s = self.settings

        def run(window: AudioWindow) -> WindowResult:
            model = self.load()
            try:
                result = model.transcribe(
                    window.samples,
                    language=lang,
                    task="transcribe",
                    beam_size=s.beam_size if s.beam_size > 1 else None,
                    initial_prompt=initial_prompt,
                    condition_on_previous_text=False,
                    fp16=s.compute_type == "float16",
                    verbose=None,
                )
            except (RuntimeError, ValueError) as exc:
                raise TranscriptionError("语音识别失败。", details={"error": str(exc)}) from exc
            segments = [
                TranscriptSegment(
                    start=float(seg["start"]), end=float(seg["end"]), text=str(seg["text"])
                )
                for seg in result.get("segments", [])
            ]
            return WindowResult(language=lang or str(result.get("language", "")), segments=segments)

        return stream_in_windows(
            audio,
            settings=s,
            language=lang,
            prompt=initial_prompt,
            model_name=f"openai-whisper:{s.model}",
            transcribe_window=run,
            progress=progress,
        )

    def _refuse_download(self, whisper: Any, spec: str) -> None:
        """``load_model`` silently downloads a missing size name; refuse unless allowed."""
        urls: dict[str, str] = getattr(whisper, "_MODELS", {})
        if self.settings.allow_download or spec not in urls or os.path.isfile(spec):
            return
        root = (
            self.download_root
            or Path(os.getenv("XDG_CACHE_HOME", Path.home() / ".cache")) / "whisper"
        )
        if not (Path(root) / os.path.basename(urls[spec])).is_file():
            raise TranscriptionError(
                f"openai-whisper 模型 {spec} 不在本机缓存（{root}），且运行时不下载："
                "请联网时设 QUNMI_WHISPER__ALLOW_DOWNLOAD=true 运行一次，或给出 .pt 文件路径。",
                details={"model": spec, "download_root": str(root)},
            )


def _import_whisper() -> Any:
    try:
        module = importlib.import_module("whisper")
    except ImportError as exc:
        raise TranscriptionError(INSTALL_HINT, details={"missing": "openai-whisper"}) from exc
    if not hasattr(module, "load_model"):  # another package called "whisper" (e.g. graphite's)
        raise TranscriptionError(INSTALL_HINT, details={"missing": "openai-whisper"})
    return module
