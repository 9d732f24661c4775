"""ASR evaluation: character error rate per clip on the Mandarin corpus, and real-time factor.

Reads ``<corpora>/zh_speech/manifest.jsonl`` (one record per clip: ``id``, ``wav``, ``text``).
Reference and hypothesis are normalised the same way before scoring: NFKC, simplified script,
Arabic numerals read as Chinese numerals, and no punctuation, symbols or spaces.

Run ``qunmi eval asr`` (``--check-floors`` exits 1 when a figure is worse than
``evals/floors/asr.json``). A missing corpus is reported and exits 0.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zhconv

__all__ = ["ClipScore", "Report", "cer", "edit_distance", "main", "normalize", "run"]

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPORA = REPO.parent / "shared" / "corpora"
FLOORS = Path(__file__).resolve().parent / "floors" / "asr.json"

_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")


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
    model: str
    settings: dict[str, Any]
    clips: list[ClipScore]
    load_seconds: float

    @property
    def cer(self) -> float:
        chars = sum(c.ref_chars for c in self.clips)
        return sum(c.errors for c in self.clips) / chars if chars else 0.0

    @property
    def rtf(self) -> float:
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


def run(corpus_dir: Path, *, model: str | None = None) -> Report:
    """Transcribe every clip of ``corpus_dir`` (a ``zh_speech`` folder) with the configured model."""
    from assistant.adapters.transcribers import FasterWhisperTranscriber, build_transcriber
    from assistant.settings import Settings

    settings = Settings()
    whisper = settings.whisper.model_copy(update={"model": model}) if model else settings.whisper
    transcriber = build_transcriber(whisper, data_dir=settings.data_dir, llm=settings.llm)
    started = time.perf_counter()
    if isinstance(transcriber, FasterWhisperTranscriber):
        transcriber.load()
    load_seconds = time.perf_counter() - started
    clips = []
    for record in _manifest(corpus_dir):
        result = transcriber.transcribe(corpus_dir / record["wav"])
        ref, hyp = normalize(record["text"]), normalize(result.text)
        clips.append(
            ClipScore(
                id=record["id"],
                duration=result.duration,
                reference=record["text"],
                hypothesis=result.text,
                errors=edit_distance(ref, hyp),
                ref_chars=len(ref),
                seconds=result.processing_seconds,
            )
        )
    shown = whisper.model_dump(
        include={
            "backend",
            "model",
            "compute_type",
            "device",
            "language",
            "beam_size",
            "cpu_threads",
            "vad_filter",
            "no_repeat_ngram_size",
            "chunk_seconds",
        }
    )
    return Report(model=transcriber.name, settings=shown, clips=clips, load_seconds=load_seconds)


def check(report: Report, floors: dict[str, Any]) -> list[str]:
    """What falls short of the floors, as Chinese lines (empty when all is well)."""
    problems = []
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
    *, corpora: Path | None = None, check_floors: bool = False, model: str | None = None
) -> int:
    """Print the table; the return value is the exit code."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    corpus_dir = (corpora or DEFAULT_CORPORA) / "zh_speech"
    if not (corpus_dir / "manifest.jsonl").is_file():
        console.print(f"找不到语音语料：{corpus_dir}/manifest.jsonl，跳过 ASR 评测。")
        return 0
    report = run(corpus_dir, model=model)
    console.print(f"模型：{report.model}  设置：{json.dumps(report.settings, ensure_ascii=False)}")
    console.print(f"模型加载 {report.load_seconds:.2f} 秒")
    table = Table(title="ASR 字错误率（CER）")
    for column in ("id", "时长(秒)", "参考", "识别", "CER", "实时率"):
        table.add_column(column, overflow="fold")
    for clip in report.clips:
        table.add_row(
            clip.id[:24],
            f"{clip.duration:.1f}",
            clip.reference,
            clip.hypothesis,
            f"{clip.cer:.3f}",
            f"{clip.rtf:.3f}",
        )
    table.add_row(
        "总计",
        f"{sum(c.duration for c in report.clips):.1f}",
        "",
        "",
        f"{report.cer:.3f}",
        f"{report.rtf:.3f}",
    )
    console.print(table)
    if not check_floors:
        return 0
    problems = check(report, json.loads(FLOORS.read_text(encoding="utf-8")))
    for line in problems:
        console.print(f"[red]{line}[/red]")
    if not problems:
        console.print("[green]全部达到底线。[/green]")
    return 1 if problems else 0


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
