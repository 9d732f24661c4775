"""Audio in: any voice note or recording to 16 kHz mono float32, streamed in bounded chunks.

Containers and codecs (WAV, MP3, M4A/AAC, OGG/Opus, WeCom's AMR-NB, FLAC, video with sound)
are demuxed and decoded by PyAV, which bundles its own FFmpeg libraries, so no system
``ffmpeg`` is needed. Personal WeChat voice notes are SILK v3 and are decoded by
``silk-python``. Nothing here holds a whole long recording in memory: decoding yields chunks,
the duration is checked against a cap before and while decoding, and the SILK path spills to a
temporary file.

Every failure is a :class:`~assistant.errors.TranscriptionError` with a Chinese reason.
"""

from __future__ import annotations

import io
import logging
import struct
import tempfile
import wave
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import numpy.typing as npt

from assistant.errors import TranscriptionError

__all__ = [
    "check_audio",
    "SAMPLE_RATE",
    "AudioFormat",
    "AudioWindow",
    "decode_audio",
    "iter_audio_chunks",
    "iter_windows",
    "probe_duration",
    "sniff_format",
    "to_wav_bytes",
]

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
"""What Whisper listens at."""

AudioFormat = Literal["silk", "av"]
Samples = npt.NDArray[np.float32]

_SILK_MAGIC = b"#!SILK_V3"
_SILK_FRAME_SECONDS = 0.02
_MIN_INPUT_RATE = 2_000
_MAX_INPUT_RATE = 384_000
_SPILL_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class AudioWindow:
    """A piece of a recording: where it starts (seconds) and its samples."""

    offset: float
    samples: Samples

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def sniff_format(head: bytes) -> AudioFormat:
    """SILK needs its own decoder; everything else goes to FFmpeg's probing."""
    if head.startswith(_SILK_MAGIC) or head[1:].startswith(_SILK_MAGIC):
        return "silk"
    return "av"


def probe_duration(audio: Path | bytes) -> float | None:
    """The duration in seconds the file announces, or ``None`` if it does not say."""
    head = _head(audio)
    if sniff_format(head) == "silk":
        return _silk_packet_count(_read_all(audio)) * _SILK_FRAME_SECONDS
    container = _open_container(audio)
    try:
        stream = _audio_stream(container)
        return _announced_duration(container, stream)
    finally:
        container.close()


def iter_audio_chunks(
    audio: Path | bytes,
    *,
    max_seconds: float,
    chunk_seconds: float = 30.0,
) -> Generator[Samples, None, None]:
    """Decode ``audio`` to 16 kHz mono float32 in chunks of ``chunk_seconds`` (the last shorter).

    Raises :class:`TranscriptionError` when the input is missing, empty, not audio, longer than
    ``max_seconds`` (checked on the header first, then while decoding) or has no sound at all.
    A truncated file yields what could be decoded before the damage.
    """
    chunk = max(1, round(chunk_seconds * SAMPLE_RATE))
    limit = round(max_seconds * SAMPLE_RATE)
    head = _head(audio)
    source = _decode_silk(audio, max_seconds) if sniff_format(head) == "silk" else None
    pieces = source if source is not None else _decode_av(audio, max_seconds)
    total = 0
    for piece in _rechunk(pieces, chunk):
        total += len(piece)
        if total > limit:
            raise _too_long(total / SAMPLE_RATE, max_seconds)
        yield piece
    if total == 0:
        raise TranscriptionError("音频里没有可解码的声音（文件为空或已损坏）。")


def check_audio(audio: Path | bytes, *, max_seconds: float) -> None:
    """Refuse at once, with a reason, what would only fail later: not audio, no audio track,
    nothing decodable, or longer than ``max_seconds`` by its header. Decodes the first second
    only, so a long recording costs no more than a short note."""
    chunks = iter_audio_chunks(audio, max_seconds=max_seconds, chunk_seconds=1.0)
    try:
        next(chunks)
    except StopIteration:  # pragma: no cover - iter_audio_chunks raises on empty input
        raise TranscriptionError("音频里没有可解码的声音（文件为空或已损坏）。") from None
    finally:
        chunks.close()


def decode_audio(audio: Path | bytes, *, max_seconds: float) -> Samples:
    """The whole of a short clip as one array; use :func:`iter_audio_chunks` for recordings."""
    chunks = list(iter_audio_chunks(audio, max_seconds=max_seconds, chunk_seconds=60.0))
    return np.concatenate(chunks) if len(chunks) > 1 else chunks[0]


def iter_windows(
    chunks: Iterable[Samples],
    *,
    window_seconds: float,
    search_seconds: float = 5.0,
) -> Iterator[AudioWindow]:
    """Regroup decoded chunks into windows of about ``window_seconds``, cut at a quiet moment.

    Each cut is placed at the quietest 100 ms within the last ``search_seconds`` of a window, so
    a word is rarely split between two windows; the rest is carried into the next window.
    Memory stays at about one window plus one chunk.
    """
    target = max(SAMPLE_RATE, round(window_seconds * SAMPLE_RATE))
    search = min(target // 2, round(search_seconds * SAMPLE_RATE))
    buffer: list[Samples] = []
    buffered = 0
    offset = 0
    for chunk in chunks:
        buffer.append(chunk)
        buffered += len(chunk)
        while buffered >= target:
            joined = np.concatenate(buffer)
            cut = _quiet_cut(joined[target - search : target]) + target - search
            yield AudioWindow(offset=offset / SAMPLE_RATE, samples=joined[:cut])
            offset += cut
            rest = joined[cut:]
            buffer = [rest] if len(rest) else []
            buffered = len(rest)
    if buffered:
        yield AudioWindow(offset=offset / SAMPLE_RATE, samples=np.concatenate(buffer))


def to_wav_bytes(samples: Samples) -> bytes:
    """16-bit PCM WAV at 16 kHz mono, the form every speech API accepts."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm.tobytes())
    return out.getvalue()


# --- internals ---------------------------------------------------------------------------


def _head(audio: Path | bytes) -> bytes:
    if isinstance(audio, bytes | bytearray | memoryview):
        data = bytes(audio[:16])
    else:
        try:
            with Path(audio).open("rb") as fh:
                data = fh.read(16)
        except FileNotFoundError as exc:
            raise TranscriptionError(
                f"找不到音频文件：{audio}", details={"path": str(audio)}
            ) from exc
        except OSError as exc:
            raise TranscriptionError(
                f"无法读取音频文件：{audio}", details={"path": str(audio)}
            ) from exc
    if not data:
        raise TranscriptionError("音频文件是空的。")
    return data


def _read_all(audio: Path | bytes) -> bytes:
    return bytes(audio) if not isinstance(audio, Path) else audio.read_bytes()


def _too_long(seconds: float, max_seconds: float) -> TranscriptionError:
    return TranscriptionError(
        f"音频太长：约 {seconds / 60:.0f} 分钟，超过上限 {max_seconds / 60:.0f} 分钟"
        "（可调 QUNMI_WHISPER__MAX_AUDIO_SECONDS）。",
        details={"seconds": round(seconds, 1), "max_seconds": max_seconds},
    )


def _rechunk(pieces: Iterable[Samples], size: int) -> Iterator[Samples]:
    pending: list[Samples] = []
    count = 0
    for piece in pieces:
        if not len(piece):
            continue
        pending.append(piece)
        count += len(piece)
        if count >= size:
            joined = np.concatenate(pending)
            whole = (len(joined) // size) * size
            for start in range(0, whole, size):
                yield joined[start : start + size]
            rest = joined[whole:]
            pending = [rest] if len(rest) else []
            count = len(rest)
    if count:
        yield np.concatenate(pending)


def _quiet_cut(region: Samples) -> int:
    """Index inside ``region`` at the centre of its quietest 100 ms."""
    step = SAMPLE_RATE // 10
    if len(region) < 2 * step:
        return len(region)
    frames = len(region) // step
    energy = np.square(region[: frames * step].reshape(frames, step)).mean(axis=1)
    return int(np.argmin(energy)) * step + step // 2


# PyAV --------------------------------------------------------------------------------------


def _open_container(audio: Path | bytes) -> Any:
    import av

    source: str | IO[bytes] = str(audio) if isinstance(audio, Path) else io.BytesIO(audio)
    try:
        return av.open(source, mode="r", metadata_errors="ignore")
    except av.FFmpegError as exc:
        raise TranscriptionError(
            "无法识别的音频格式（不是音频文件，或文件已损坏）。",
            details={"error": str(exc)},
        ) from exc


def _audio_stream(container: Any) -> Any:
    streams = list(container.streams.audio)
    if not streams:
        raise TranscriptionError("文件里没有音频轨。")
    stream = streams[0]
    rate = stream.codec_context.sample_rate or stream.rate or 0
    if not _MIN_INPUT_RATE <= rate <= _MAX_INPUT_RATE:
        raise TranscriptionError(f"音频采样率异常：{rate} Hz。", details={"sample_rate": rate})
    return stream


def _announced_duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / 1_000_000
    return None


def _decode_av(audio: Path | bytes, max_seconds: float) -> Iterator[Samples]:
    import av

    container = _open_container(audio)
    try:
        stream = _audio_stream(container)
        announced = _announced_duration(container, stream)
        # A header may lie either way; it only lets us refuse a long file before decoding it.
        if announced is not None and announced > max_seconds + 1.0:
            raise _too_long(announced, max_seconds)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        produced = False
        try:
            for packet in container.demux(stream):
                for frame in packet.decode():
                    for out in resampler.resample(frame):
                        produced = True
                        yield _frame_samples(out)
        except av.FFmpegError as exc:
            if not produced:
                raise TranscriptionError(
                    "音频解码失败（文件已损坏或格式不受支持）。",
                    details={"error": str(exc)},
                ) from exc
            log.warning("audio truncated or damaged, keeping what decoded: %s", exc)
        for out in resampler.resample(None):
            yield _frame_samples(out)
    finally:
        container.close()


def _frame_samples(frame: Any) -> Samples:
    array = frame.to_ndarray()
    return np.ascontiguousarray(array.reshape(-1), dtype=np.float32)


# SILK --------------------------------------------------------------------------------------


def _silk_packet_count(data: bytes) -> int:
    """Count 20 ms packets by walking the length-prefixed packet list (no decoding)."""
    pos = data.find(_SILK_MAGIC)
    if pos < 0:
        return 0
    pos += len(_SILK_MAGIC)
    count = 0
    while pos + 2 <= len(data):
        (length,) = struct.unpack_from("<h", data, pos)
        if length <= 0 or pos + 2 + length > len(data):
            break
        pos += 2 + length
        count += 1
    return count


def _decode_silk(audio: Path | bytes, max_seconds: float) -> Iterator[Samples]:
    import pysilk

    data = _read_all(audio)
    packets = _silk_packet_count(data)
    if packets == 0:
        raise TranscriptionError("SILK 语音文件是空的或已损坏。")
    seconds = packets * _SILK_FRAME_SECONDS
    if seconds > max_seconds + 1.0:
        raise _too_long(seconds, max_seconds)
    return _silk_pcm_chunks(pysilk, data)


def _silk_pcm_chunks(pysilk: Any, data: bytes) -> Iterator[Samples]:
    # Decoded PCM spills to disk beyond a few MB so a long SILK file stays out of memory.
    with tempfile.SpooledTemporaryFile(max_size=_SPILL_BYTES) as pcm:
        try:
            pysilk.decode(io.BytesIO(data), pcm, SAMPLE_RATE)
        except Exception as exc:  # the binding raises its own SilkError or plain errors
            raise TranscriptionError(
                "SILK 语音解码失败（文件已损坏）。", details={"error": str(exc)}
            ) from exc
        pcm.seek(0)
        while block := pcm.read(SAMPLE_RATE * 2 * 10):
            usable = len(block) - len(block) % 2
            ints = np.frombuffer(block[:usable], dtype="<i2")
            yield ints.astype(np.float32) / 32768.0
