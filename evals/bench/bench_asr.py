"""Real-time factor of the offline transcriber on a clip of at least 30 s, int8 against float32,
and a long recording streamed through it.

    .venv/bin/python -m evals.bench.bench_asr [--repeats 3] [--minutes 30]

``--minutes`` builds a recording of that length from the same speech (clips in random order,
pauses of 0.3–2.5 s and now and then 5–15 s, at a low noise floor), writes it as a WAV file and
transcribes it with ``stream()``: it prints the real-time factor, the time until the first
segment arrives, the number of segments and the process's peak resident memory before and
after (the model included), which shows that memory does not grow with the recording.

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
    parser.add_argument("--minutes", type=float, default=0.0, help="also stream a long recording")
    parser.add_argument("--only-long", action="store_true", help="skip the 30 s clip")
    args = parser.parse_args()
    if args.minutes > 0:
        bench_long(args.minutes, repeats=max(1, args.repeats) if args.only_long else 1)
    if args.only_long:
        return

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


def write_long_recording(path: Path, minutes: float, *, seed: int = 1) -> float:
    """Write ``minutes`` of the shared speech with pauses and a faint noise floor as a 16 kHz
    WAV, piece by piece (never the whole recording in memory); returns its duration."""
    import wave

    rng = np.random.default_rng(seed)
    clips = [
        decode_audio(path, max_seconds=600)
        for path in sorted((DEFAULT_CORPORA / "zh_speech").glob("*.wav"))
    ] or [
        decode_audio(path, max_seconds=600)
        for path in sorted((REPO / "tests" / "fixtures" / "audio").glob("*.ogg"))
    ]
    target = int(minutes * 60 * SAMPLE_RATE)
    filled = 0
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        while filled < target:
            gap = rng.uniform(0.3, 2.5) if rng.random() > 0.1 else rng.uniform(5.0, 15.0)
            noise = (0.002 * rng.standard_normal(int(gap * SAMPLE_RATE))).astype(np.float32)
            for piece in (noise, clips[int(rng.integers(len(clips)))]):
                take = piece[: target - filled]
                wav.writeframes((np.clip(take, -1, 1) * 32767).astype("<i2").tobytes())
                filled += len(take)
    return filled / SAMPLE_RATE


def bench_long(minutes: float, *, repeats: int) -> None:
    import resource
    import tempfile

    from assistant.adapters.transcribers.faster import FasterWhisperTranscriber
    from assistant.settings import Settings

    settings = Settings()
    transcriber = FasterWhisperTranscriber(settings.whisper, data_dir=settings.data_dir)
    transcriber.load()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.wav"
        duration = write_long_recording(path, minutes)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rtfs, firsts = [], []
        count = 0
        for _ in range(repeats):
            started = time.perf_counter()
            first = None
            stream = transcriber.stream(path)
            count = 0
            for _segment in stream:
                count += 1
                if first is None:
                    first = time.perf_counter() - started
            rtfs.append((time.perf_counter() - started) / duration)
            firsts.append(first or 0.0)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"长录音 {duration / 60:.1f} 分钟（流式）：实时率 中位数 {statistics.median(rtfs):.3f}"
        f"（最小 {min(rtfs):.3f}，最大 {max(rtfs):.3f}，{len(rtfs)} 次），"
        f"首段 {statistics.median(firsts):.1f} 秒后到达，{count} 段；"
        f"峰值内存 {before:.0f} MB（模型已加载）→ {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
