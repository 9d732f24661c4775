"""ASR evaluation: Qunmi's transcription pipeline side by side with plain faster-whisper.

Reads ``<corpora>/zh_speech/manifest.jsonl`` (one record per clip: ``id``, ``wav``, ``text``).
Reference and hypothesis are normalised the same way before scoring: NFKC, simplified script,
Arabic numerals read as Chinese numerals, and no punctuation, symbols or spaces.

Two systems read every clip with the same loaded model:

- **qunmi** — the configured transcriber exactly as the product runs it (decoding by PyAV,
  windows, the settings' decoding options, silence padding, text cleaning, punctuation);
- **plain** — faster-whisper called directly the way its README does (beam 5, no VAD, no
  prompt, its own audio loading), the text converted to simplified characters.

The table shows per-clip CER, the mean of the clip CERs (every clip counts the same), the
overall CER (every character counts the same, so the long meeting clip weighs most) and the
real-time factor (processing seconds / audio seconds; a short clip costs a whole 30 s context,
so clip RTF is far above that of a long recording, which ``make bench`` measures). With
``--repeats N`` each system runs N times and RTF is given as median and spread.

``qunmi eval asr`` (``--check-floors`` exits 1 when Qunmi's figures are worse than
``evals/floors/asr.json``). A missing corpus is reported and exits 0.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zhconv

__all__ = [
    "ClipScore",
    "Report",
    "cer",
    "default_corpora",
    "edit_distance",
    "main",
    "normalize",
    "run",
]

REPO = Path(__file__).resolve().parents[1]
FLOORS = Path(__file__).resolve().parent / "floors" / "asr.json"
PLAIN_LABEL = "faster-whisper（直接调用：beam 5，无 VAD，无提示词）"

_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def default_corpora() -> Path:
    """``$QUNMI_CORPORA``, else the first ``shared/corpora`` beside the repository or above it
    (a checkout's sibling, or the folder that holds a worktree)."""
    env = os.environ.get("QUNMI_CORPORA")
    if env:
        return Path(env)
    candidates = [parent / "shared" / "corpora" for parent in REPO.parents[:3]]
    return next((c for c in candidates if c.is_dir()), candidates[0])


DEFAULT_CORPORA = default_corpora()


@dataclass(frozen=True, slots=True)
class ClipScore:
    id: str
    duration: float
    reference: str
    hypothesis: str
    errors: int
    ref_chars: int
    seconds: float

    @property
    def cer(self) -> float:
        return self.errors / self.ref_chars if self.ref_chars else 0.0

    @property
    def rtf(self) -> float:
        return self.seconds / self.duration if self.duration else 0.0


@dataclass(frozen=True, slots=True)
class Report:
    """One system's run over the corpus (the last of its repeats) and the RTF of every repeat."""

    model: str
    settings: dict[str, Any]
    clips: list[ClipScore]
    load_seconds: float
    rtfs: tuple[float, ...] = ()

    @property
    def cer(self) -> float:
        """Overall CER: errors over all reference characters."""
        chars = sum(c.ref_chars for c in self.clips)
        return sum(c.errors for c in self.clips) / chars if chars else 0.0

    @property
    def mean_cer(self) -> float:
        """The mean of the clips' CERs."""
        return statistics.fmean(c.cer for c in self.clips) if self.clips else 0.0

    @property
    def rtf(self) -> float:
        """Median real-time factor over the repeats."""
        if self.rtfs:
            return statistics.median(self.rtfs)
        audio = sum(c.duration for c in self.clips)
        return sum(c.seconds for c in self.clips) / audio if audio else 0.0


def normalize(text: str) -> str:
    """The form both sides are compared in: simplified, Chinese numerals, only word characters."""
    out = zhconv.convert(unicodedata.normalize("NFKC", text), "zh-hans").lower()
    out = _NUMBER.sub(_spell_number, out)
    return "".join(ch for ch in out if unicodedata.category(ch)[0] in {"L", "N"})


def edit_distance(reference: str, hypothesis: str) -> int:
    """Levenshtein distance over characters (substitutions, insertions, deletions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref_char in enumerate(reference, 1):
        current = [i]
        for j, hyp_char in enumerate(hypothesis, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_char != hyp_char))
            )
        previous = current
    return previous[-1]


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate after :func:`normalize`."""
    ref = normalize(reference)
    return edit_distance(ref, normalize(hypothesis)) / max(1, len(ref))


Hear = Callable[[Path], tuple[str, float, float]]
"""A system under test: clip path → (text, audio seconds, processing seconds)."""


def run(
    corpus_dir: Path, *, model: str | None = None, repeats: int = 1, plain: bool = True
) -> list[Report]:
    """Score Qunmi's configured transcriber and (``plain``) faster-whisper called directly."""
    from assistant.adapters.transcribers import FasterWhisperTranscriber, build_transcriber
    from assistant.settings import Settings

    settings = Settings()
    whisper = settings.whisper.model_copy(update={"model": model}) if model else settings.whisper
    transcriber = build_transcriber(whisper, data_dir=settings.data_dir, llm=settings.llm)
    started = time.perf_counter()
    if isinstance(transcriber, FasterWhisperTranscriber):
        transcriber.load()
    load_seconds = time.perf_counter() - started
    records = _manifest(corpus_dir)

    def qunmi(path: Path) -> tuple[str, float, float]:
        result = transcriber.transcribe(path)
        return result.text, result.duration, result.processing_seconds

    shown = whisper.model_dump(
        include={
            "backend",
            "model",
            "compute_type",
            "language",
            "beam_size",
            "cpu_threads",
            "vad_filter",
            "chunk_seconds",
        }
    )
    reports = [_score(corpus_dir, records, qunmi, repeats, transcriber.name, shown, load_seconds)]
    if plain and isinstance(transcriber, FasterWhisperTranscriber):
        direct = _plain_faster_whisper(transcriber.load(), whisper.language)
        plain_settings = {"beam_size": 5, "vad_filter": False, "prompt": None}
        reports.append(
            _score(corpus_dir, records, direct, repeats, PLAIN_LABEL, plain_settings, 0.0)
        )
    return reports


def _plain_faster_whisper(model: Any, language: str) -> Hear:
    from faster_whisper import decode_audio

    def hear(path: Path) -> tuple[str, float, float]:
        started = time.perf_counter()
        samples = decode_audio(str(path), sampling_rate=16_000)
        segments, _info = model.transcribe(samples, language=language, beam_size=5)
        text = zhconv.convert("".join(s.text for s in segments), "zh-hans")
        return text, len(samples) / 16_000, time.perf_counter() - started

    return hear


def _score(
    corpus_dir: Path,
    records: Sequence[dict[str, Any]],
    hear: Hear,
    repeats: int,
    label: str,
    settings: dict[str, Any],
    load_seconds: float,
) -> Report:
    rtfs = []
    clips: list[ClipScore] = []
    for _ in range(max(1, repeats)):
        clips = []
        for record in records:
            text, duration, seconds = hear(corpus_dir / record["wav"])
            ref, hyp = normalize(record["text"]), normalize(text)
            clips.append(
                ClipScore(
                    id=record["id"],
                    duration=duration,
                    reference=record["text"],
                    hypothesis=text,
                    errors=edit_distance(ref, hyp),
                    ref_chars=len(ref),
                    seconds=seconds,
                )
            )
        audio = sum(c.duration for c in clips)
        rtfs.append(sum(c.seconds for c in clips) / audio if audio else 0.0)
    return Report(label, settings, clips, load_seconds, tuple(rtfs))


def check(report: Report, floors: dict[str, Any]) -> list[str]:
    """What falls short of the floors, as Chinese lines (empty when all is well)."""
    problems = []
    if report.mean_cer > floors.get("mean_cer", 1.0):
        problems.append(f"平均 CER {report.mean_cer:.3f} 高于底线 {floors['mean_cer']:.3f}")
    if report.cer > floors.get("overall_cer", 1.0):
        problems.append(f"总 CER {report.cer:.3f} 高于底线 {floors['overall_cer']:.3f}")
    if report.rtf > floors.get("rtf", float("inf")):
        problems.append(f"实时率 {report.rtf:.3f} 高于底线 {floors['rtf']:.3f}")
    for clip in report.clips:
        limit = floors.get("clips", {}).get(clip.id)
        if limit is not None and clip.cer > limit:
            problems.append(f"{clip.id} CER {clip.cer:.3f} 高于底线 {limit:.3f}")
    return problems


def main(
    *,
    corpora: Path | None = None,
    check_floors: bool = False,
    model: str | None = None,
    repeats: int = 1,
    plain: bool = True,
) -> int:
    """Print the side-by-side table; the return value is the exit code."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(120, Console().width))
    corpus_dir = (corpora or default_corpora()) / "zh_speech"
    if not (corpus_dir / "manifest.jsonl").is_file():
        console.print(f"找不到语音语料：{corpus_dir}/manifest.jsonl，跳过 ASR 评测。")
        return 0
    reports = run(corpus_dir, model=model, repeats=repeats, plain=plain)
    qunmi = reports[0]
    console.print(f"群秘：{qunmi.model}  设置：{json.dumps(qunmi.settings, ensure_ascii=False)}")
    console.print(f"模型加载 {qunmi.load_seconds:.2f} 秒；每个系统跑 {max(1, repeats)} 遍")
    names = ["群秘"] + (["faster-whisper 直接调用"] if len(reports) > 1 else [])
    table = Table(title="ASR 字错误率（CER），左右对照")
    table.add_column("id", overflow="fold")
    table.add_column("时长(秒)", justify="right")
    table.add_column("参考", overflow="fold")
    for name in names:
        table.add_column(f"{name} 识别", overflow="fold")
        table.add_column(f"{name} CER", justify="right")
    for i, clip in enumerate(qunmi.clips):
        row = [clip.id[:24], f"{clip.duration:.1f}", clip.reference]
        for report in reports:
            other = report.clips[i]
            row += [other.hypothesis, f"{other.cer:.3f}"]
        table.add_row(*row)
    table.add_section()
    for label, value in (("平均 CER（逐段平均）", "mean_cer"), ("总 CER（按字）", "cer")):
        row = [label, "", ""]
        for report in reports:
            row += ["", f"{getattr(report, value):.3f}"]
        table.add_row(*row)
    row = ["实时率 中位数（最小–最大）", f"{sum(c.duration for c in qunmi.clips):.1f}", ""]
    for report in reports:
        row += ["", _spread(report.rtfs)]
    table.add_row(*row)
    console.print(table)
    if len(reports) > 1:
        console.print(f"对照：{PLAIN_LABEL}，文本转为简体后评分。")
    if not check_floors:
        return 0
    problems = check(qunmi, json.loads(FLOORS.read_text(encoding="utf-8")))
    for line in problems:
        console.print(f"[red]{line}[/red]")
    if not problems:
        console.print("[green]全部达到底线。[/green]")
    return 1 if problems else 0


def _spread(values: Sequence[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.3f}" if values else "-"
    return f"{statistics.median(values):.3f}（{min(values):.3f}–{max(values):.3f}）"


def _manifest(corpus_dir: Path) -> list[dict[str, Any]]:
    lines = (corpus_dir / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _spell_number(match: re.Match[str]) -> str:
    """``15`` → ``十五``, ``2024`` → ``二零二四`` (years and codes are read digit by digit)."""
    digits = match.group(0)
    if "." in digits or len(digits) != 2:
        return digits.translate(_DIGITS).replace(".", "点")
    tens, ones = int(digits[0]), int(digits[1])
    head = "十" if tens == 1 else "零一二三四五六七八九"[tens] + "十"
    return head + ("" if ones == 0 else "零一二三四五六七八九"[ones])
