"""Real-time factor of the offline transcriber on a clip of at least 30 s, int8 against float32.

    .venv/bin/python -m evals.bench.bench_asr [--repeats 3]

The clip is the shared Mandarin corpus concatenated (with short pauses) until it lasts 30 s; when
the corpora are absent, the committed test fixtures are used instead. openai-whisper is measured
side by side only when it is importable. Prints load time, median RTF and its spread.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from assistant.adapters.audio import SAMPLE_RATE, decode_audio, to_wav_bytes
from evals.asr import DEFAULT_CORPORA, REPO

MIN_SECONDS = 30.0
_GAP = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)


def bench_clip(corpora: Path = DEFAULT_CORPORA) -> tuple[npt.NDArray[np.float32], str]:
    """At least 30 s of Mandarin speech, and where it came from."""
    shared = sorted((corpora / "zh_speech").glob("*.wav"))
    files = shared or sorted((REPO / "tests" / "fixtures" / "audio").glob("*.ogg"))
    source = (
        "shared/corpora/zh_speech" if shared else "tests/fixtures/audio（语料不在，用测试音频）"
    )
    clips = [decode_audio(path, max_seconds=600) for path in files]
    pieces: list[npt.NDArray[np.float32]] = []
    total = 0
    while total < MIN_SECONDS * SAMPLE_RATE:
        for clip in clips:
            pieces += [clip, _GAP]
            total += len(clip) + len(_GAP)
    return np.concatenate(pieces), source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from assistant.adapters.transcribers.faster import FasterWhisperTranscriber, clear_model_cache
    from assistant.settings import Settings

    samples, source = bench_clip()
    audio = to_wav_bytes(samples)
    duration = len(samples) / SAMPLE_RATE
    settings = Settings()
    print(
        f"音频：{duration:.1f} 秒，来自 {source}；模型 {settings.whisper.model}，beam {settings.whisper.beam_size}"
    )
    for compute_type in ("int8", "float32"):
        whisper = settings.whisper.model_copy(update={"compute_type": compute_type})
        clear_model_cache()
        transcriber = FasterWhisperTranscriber(whisper, data_dir=settings.data_dir)
        started = time.perf_counter()
        transcriber.load()
        load = time.perf_counter() - started
        rtfs = []
        for _ in range(max(1, args.repeats)):
            result = transcriber.transcribe(audio)
            rtfs.append(result.processing_seconds / duration)
        print(
            f"faster-whisper {compute_type:8s} 加载 {load:.2f} 秒  实时率 中位数 {statistics.median(rtfs):.3f}"
            f"（最小 {min(rtfs):.3f}，最大 {max(rtfs):.3f}，{len(rtfs)} 次）"
        )
    if importlib.util.find_spec("whisper") is None:
        print("openai-whisper：跳过（未安装；pip install 'qunmi[openai-whisper]' 后可对比）")
    else:
        from assistant.adapters.transcribers.whisper_torch import OpenAIWhisperTranscriber
        from assistant.errors import TranscriptionError

        model = "base" if settings.whisper.model == "bundled-base" else settings.whisper.model
        torch_transcriber = OpenAIWhisperTranscriber(
            settings.whisper.model_copy(update={"model": model})
        )
        try:
            result = torch_transcriber.transcribe(audio)
            print(f"openai-whisper {model} 实时率 {result.processing_seconds / duration:.3f}")
        except TranscriptionError as exc:
            print(f"openai-whisper：跳过（{exc.reason}）")


if __name__ == "__main__":
    main()
