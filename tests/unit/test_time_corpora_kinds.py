"""The per-kind table of ``qunmi eval time`` and the convention tags added for issue #14, on small
corpora written here in the formats of the shared Duckling and Recognizers files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.timeparse.lunar import lunar_to_solar
from evals.time_corpora import kind_of, kind_totals, score_duckling, score_recognizers


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("农历三月初八", "lunar"),
        ("正月十五", "lunar"),
        ("春节", "lunar"),
        ("月底", "fuzzy"),
        ("下旬", "fuzzy"),
        ("我下半周都不在", "fuzzy"),
        ("从周三到下周一", "range"),
        ("三点到五点半", "range"),
        ("感恩节", "holiday"),
        ("明天下午3点", "relative"),
        ("三天后", "relative"),
        ("下午3点", "clock"),
        ("2015年3月3日", "date"),
    ],
)
def test_kind_of(text: str, kind: str) -> None:
    assert kind_of(text) == kind
    assert kind_of(text, duration=True) == "duration"


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_duckling_cases_are_counted_per_kind(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        {
            "text": "春节",
            "expected": {"type": "value", "value": "2014-01-31T00:00:00.000-02:00", "grain": "day"},
        },
        {
            "text": "下旬",
            "expected": {"type": "value", "value": "2013-02-21T00:00:00.000-02:00", "grain": "day"},
        },
        {
            "text": "三点",
            "expected": {
                "type": "value",
                "value": "2013-02-12T15:00:00.000-02:00",
                "grain": "hour",
            },
        },
    ]
    score = score_duckling(_write(tmp_path / "d.jsonl", rows))
    assert {k: (b.n, b.correct) for k, b in score.kinds.items()} == {
        "lunar": (1, 1),
        "fuzzy": (1, 1),
        "clock": (1, 1),
    }
    total = kind_totals([score])
    assert sum(b.n for b in total.values()) == 3


def test_recognizers_lunar_numbers_are_a_convention(tmp_path: Path) -> None:
    # Recognizers keeps a lunar date's own numbers; we give the Gregorian day: tagged.
    solar = lunar_to_solar(2015, 10, 1)
    assert solar is not None
    rows: list[dict[str, object]] = [
        {
            "text": "农历2015年十月初一",
            "reference_datetime": "2016-11-07T14:07:00",
            "spec": "DateTimeModel",
            "expected_results": [
                {
                    "Text": "农历2015年十月初一",
                    "TypeName": "datetimeV2.date",
                    "Start": 0,
                    "End": 10,
                    "Resolution": {
                        "values": [
                            {
                                "timex": "2015-10-01",
                                "type": "date",
                                "isLunar": "True",
                                "value": "2015-10-01",
                            }
                        ]
                    },
                }
            ],
        }
    ]
    score = score_recognizers(_write(tmp_path / "r.jsonl", rows))
    lunar = score.kinds["lunar"]
    assert (lunar.n, lunar.correct, lunar.tagged) == (1, 0, 1)
    assert solar.isoformat() == "2015-11-12"
