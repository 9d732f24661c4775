"""Audio in: every format Qunmi receives decodes to 16 kHz mono float32; bad audio fails clearly."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest

from assistant.adapters.audio import (
    SAMPLE_RATE,
    decode_audio,
    iter_audio_chunks,
    iter_windows,
    probe_duration,
    sniff_format,
    to_wav_bytes,
)
from assistant.errors import TranscriptionError
from tests.fixtures.audio.codecs import FORMATS, encode, tone

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "audio"


def _wav_header(*, rate: int, channels: int = 1, width: int = 2, data_bytes: int) -> bytes:
    byte_rate = rate * channels * width
    return (
        b"RIFF"
        + struct.pack("<I", 36 + data_bytes)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, 1, channels, rate, byte_rate, channels * width, width * 8)
        + b"data"
        + struct.pack("<I", data_bytes)
    )


@pytest.mark.parametrize("fmt", [*FORMATS, "silk"])
def test_every_format_decodes_to_16k_mono(fmt: str) -> None:
    source = tone(2.0, freq=330.0)
    samples = decode_audio(encode(source, fmt), max_seconds=60)
    assert samples.dtype == np.float32
    assert samples.ndim == 1
    # Codecs pad a frame or two at either end (AMR most).
    assert abs(len(samples) / SAMPLE_RATE - 2.0) < 0.2
    rms = float(np.sqrt(np.mean(np.square(samples))))
    assert 0.1 < rms < 0.35  # the 0.3 sine survives; nothing clipped to noise or silence


def test_fixture_decodes_and_announces_its_duration() -> None:
    path = FIXTURES / "zh_tasks.ogg"
    samples = decode_audio(path, max_seconds=60)
    announced = probe_duration(path)
    assert announced is not None
    assert abs(len(samples) / SAMPLE_RATE - announced) < 0.1


def test_stereo_44k_wav_is_downmixed_and_resampled() -> None:
    t = np.arange(44_100 * 2) / 44_100
    left = (0.2 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    stereo = np.stack([left, left], axis=1)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44_100)
        wav.writeframes(stereo.tobytes())
    samples = decode_audio(out.getvalue(), max_seconds=60)
    assert abs(len(samples) - 2 * SAMPLE_RATE) < 400
    assert 0.1 < float(np.max(np.abs(samples))) < 0.35


def test_silk_is_sniffed_with_and_without_tencent_byte() -> None:
    assert sniff_format(b"\x02#!SILK_V3\x00") == "silk"
    assert sniff_format(b"#!SILK_V3") == "silk"
    assert sniff_format(b"#!AMR\n") == "av"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "空"),
        (b"this is a chat message, not audio " * 50, "无法识别"),
        (b"\x02#!SILK_V3" + b"\xff\xff", "SILK"),
        (_wav_header(rate=16_000, data_bytes=0), "没有可解码"),
        (_wav_header(rate=0, data_bytes=3200) + bytes(3200), ""),
        (_wav_header(rate=1, data_bytes=3200) + bytes(3200), ""),
    ],
    ids=["empty", "text", "silk-garbage", "wav-no-data", "rate-0", "rate-1"],
)
def test_bad_audio_raises_a_clear_error(data: bytes, reason: str) -> None:
    with pytest.raises(TranscriptionError) as caught:
        decode_audio(data, max_seconds=60)
    assert reason in caught.value.reason
    assert caught.value.reason  # always a Chinese sentence for the user


def test_missing_file_is_a_transcription_error(tmp_path: Path) -> None:
    with pytest.raises(TranscriptionError, match="找不到"):
        decode_audio(tmp_path / "nope.amr", max_seconds=60)


@pytest.mark.parametrize("fmt", ["mp3", "amr", "wav", "ogg"])
def test_truncated_file_keeps_what_decodes(fmt: str) -> None:
    data = encode(tone(4.0), fmt)
    cut = data[: len(data) // 2]
    samples = decode_audio(cut, max_seconds=60)
    assert 1.0 < len(samples) / SAMPLE_RATE < 3.2


def test_two_hour_file_is_refused_from_its_header_without_decoding(tmp_path: Path) -> None:
    path = tmp_path / "two_hours.wav"
    data_bytes = 2 * 3600 * 8_000 * 2
    with path.open("wb") as fh:
        fh.write(_wav_header(rate=8_000, data_bytes=data_bytes))
        fh.truncate(44 + data_bytes)  # sparse: no disk or time spent on the zeros
    started = time.perf_counter()
    with pytest.raises(TranscriptionError, match="太长") as caught:
        next(iter_audio_chunks(path, max_seconds=3600))
    assert time.perf_counter() - started < 2.0
    assert caught.value.details["max_seconds"] == 3600


def test_headerless_stream_is_capped_while_decoding() -> None:
    # Raw AMR carries no duration: the cap must bite during decoding.
    data = encode(tone(12.0), "amr")
    with pytest.raises(TranscriptionError, match="太长"):
        decode_audio(data, max_seconds=5)


def test_long_silk_is_refused_before_decoding() -> None:
    data = encode(tone(8.0), "silk")
    with pytest.raises(TranscriptionError, match="太长"):
        decode_audio(data, max_seconds=3)


def test_long_recording_streams_in_bounded_memory(tmp_path: Path) -> None:
    seconds = 15 * 60
    path = tmp_path / "long.wav"
    data_bytes = seconds * 8_000 * 2
    with path.open("wb") as fh:
        fh.write(_wav_header(rate=8_000, data_bytes=data_bytes))
        fh.truncate(44 + data_bytes)
    tracemalloc.start()
    total = 0
    largest = 0
    try:
        for chunk in iter_audio_chunks(path, max_seconds=3600, chunk_seconds=30):
            total += len(chunk)
            largest = max(largest, len(chunk))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == seconds * SAMPLE_RATE
    assert largest == 30 * SAMPLE_RATE
    # The whole recording would be 57.6 MB as float32; a few chunks is all that is held.
    assert peak < 16 * 1024 * 1024


def test_windows_cut_at_a_quiet_moment_and_cover_everything() -> None:
    speechy = tone(1.0, freq=200.0)
    pause = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
    audio = np.concatenate([speechy] * 9 + [pause] + [speechy] * 6)  # pause at 9.0-9.5 s
    chunks = [audio[i : i + 16_000] for i in range(0, len(audio), 16_000)]
    windows = list(iter_windows(chunks, window_seconds=10.0, search_seconds=3.0))
    assert sum(len(w.samples) for w in windows) == len(audio)
    assert 9.0 <= windows[0].duration <= 9.5
    assert windows[1].offset == pytest.approx(windows[0].duration)
    np.testing.assert_array_equal(np.concatenate([w.samples for w in windows]), audio)


def test_wav_bytes_round_trip() -> None:
    source = tone(1.0)
    back = decode_audio(to_wav_bytes(source), max_seconds=10)
    assert len(back) == len(source)
    assert float(np.max(np.abs(back - source))) < 1e-3
