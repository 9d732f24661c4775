"""``qunmi eval folders``: how well the folder classifier (``assistant.files.classify_folder``)
puts files in their folder, from a JSONL file of ``{"id", "name", "text", "folder"}`` lines.

Pure: no database, no model. Reports accuracy overall and per folder (recall, precision,
support) and the confusion table (rows: the right folder; columns: the one chosen).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.files import FOLDERS, classify_folder

__all__ = [
    "DEFAULT_CASES",
    "FolderCase",
    "FolderReport",
    "evaluate",
    "load_cases",
]

DEFAULT_CASES = Path(__file__).parent / "cases" / "folders_dev.jsonl"


@dataclass(frozen=True, slots=True)
class FolderCase:
    id: str
    name: str
    text: str
    folder: str


@dataclass(frozen=True, slots=True)
class Outcome:
    case: FolderCase
    predicted: str

    @property
    def correct(self) -> bool:
        return self.predicted == self.case.folder


@dataclass
class FolderReport:
    outcomes: list[Outcome]
    folders: tuple[str, ...] = FOLDERS
    # confusion[gold][predicted] = count
    confusion: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.confusion = {g: dict.fromkeys(self.folders, 0) for g in self.folders}
        for o in self.outcomes:
            self.confusion[o.case.folder][o.predicted] += 1

    @property
    def cases(self) -> int:
        return len(self.outcomes)

    @property
    def accuracy(self) -> float:
        return sum(o.correct for o in self.outcomes) / self.cases if self.cases else 0.0

    def support(self, folder: str) -> int:
        return sum(self.confusion[folder].values())

    def recall(self, folder: str) -> float | None:
        total = self.support(folder)
        return self.confusion[folder][folder] / total if total else None

    def precision(self, folder: str) -> float | None:
        chosen = sum(row[folder] for row in self.confusion.values())
        return self.confusion[folder][folder] / chosen if chosen else None

    def macro_recall(self) -> float:
        values = [r for f in self.folders if (r := self.recall(f)) is not None]
        return sum(values) / len(values) if values else 0.0

    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.correct]

    def to_json(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "accuracy": round(self.accuracy, 4),
            "macro_recall": round(self.macro_recall(), 4),
            "per_folder": {
                f: {
                    "support": self.support(f),
                    "recall": None if (r := self.recall(f)) is None else round(r, 4),
                    "precision": None if (p := self.precision(f)) is None else round(p, 4),
                }
                for f in self.folders
            },
            "confusion": self.confusion,
            "failures": [
                {"id": o.case.id, "name": o.case.name, "folder": o.case.folder, "got": o.predicted}
                for o in self.failures()
            ],
        }


def load_cases(path: Path) -> list[FolderCase]:
    """The cases of a JSONL file; ``ValueError`` (in Chinese, with the line number) for a bad
    line. Blank lines and lines starting with ``//`` are skipped."""
    cases: list[FolderCase] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            stripped = line.strip()
            if not stripped or stripped.startswith("//"):
                continue
            try:
                data = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise ValueError(f"第 {number} 行不是合法的 JSON：{exc.msg}") from exc
            if not isinstance(data, dict):
                raise ValueError(f"第 {number} 行应该是一个 JSON 对象")
            name, folder = data.get("name"), data.get("folder")
            text = data.get("text") or ""
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"第 {number} 行缺少文件名 name")
            if not isinstance(text, str):
                raise ValueError(f"第 {number} 行的 text 应该是字符串")
            if folder not in FOLDERS:
                raise ValueError(
                    f"第 {number} 行的 folder “{folder}” 不是文件夹之一：{'、'.join(FOLDERS)}"
                )
            case_id = str(data.get("id") or f"line{number}")
            if case_id in seen:
                raise ValueError(f"第 {number} 行的 id “{case_id}” 重复了")
            seen.add(case_id)
            cases.append(FolderCase(id=case_id, name=name, text=text, folder=str(folder)))
    if not cases:
        raise ValueError(f"{path} 里没有用例")
    return cases


def evaluate(
    cases: Sequence[FolderCase],
    classify: Callable[[str, str | None], str] = classify_folder,
) -> FolderReport:
    return FolderReport([Outcome(c, classify(c.name, c.text or None)) for c in cases])
