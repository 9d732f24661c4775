"""The Chinese lunisolar calendar (农历) and the 24 solar terms (节气), 1900–2100, from a table.

The table ``data/lunar_1900_2100.json`` is generated, never typed: ``python -m
assistant.timeparse.lunar --generate`` writes it from lunar-python (MIT), and
tests/unit/test_timeparse_lunar.py checks every month of it against a second library (borax, MIT).
Neither library is needed at run time. Per lunar year the table holds the Gregorian date of
正月初一, the leap month (0 for none) and the month lengths in order (``1`` = 30 days, ``0`` =
29; 13 of them in a leap year, the leap month right after the month it repeats); per Gregorian
year the days of the month of the 24 solar terms, 小寒 (January) first.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "SOLAR_TERMS",
    "LunarDate",
    "lunar_to_solar",
    "month_length",
    "solar_term",
    "solar_to_lunar",
]

FIRST_YEAR = 1900
LAST_YEAR = 2100
# The 24 solar terms in Gregorian order; term i falls in month i // 2 + 1.
SOLAR_TERMS = (
    "小寒",
    "大寒",
    "立春",
    "雨水",
    "惊蛰",
    "春分",
    "清明",
    "谷雨",
    "立夏",
    "小满",
    "芒种",
    "夏至",
    "小暑",
    "大暑",
    "立秋",
    "处暑",
    "白露",
    "秋分",
    "寒露",
    "霜降",
    "立冬",
    "小雪",
    "大雪",
    "冬至",
)
_DATA = "data/lunar_1900_2100.json"


@dataclass(frozen=True, slots=True)
class LunarDate:
    year: int
    month: int
    day: int
    leap: bool = False


@dataclass(frozen=True, slots=True)
class _Year:
    new_year: date
    leap: int
    lengths: tuple[int, ...]

    def months(self) -> list[tuple[int, bool, int]]:
        """(month, is leap, days) in calendar order."""
        out: list[tuple[int, bool, int]] = []
        i = 0
        for m in range(1, 13):
            out.append((m, False, self.lengths[i]))
            i += 1
            if m == self.leap:
                out.append((m, True, self.lengths[i]))
                i += 1
        return out


@lru_cache(maxsize=1)
def _table() -> tuple[dict[int, _Year], dict[int, str]]:
    raw = json.loads(resources.files("assistant.timeparse").joinpath(_DATA).read_text("utf-8"))
    years: dict[int, _Year] = {}
    for y, (new_year, leap, bits) in zip(
        range(raw["first_year"], raw["last_year"] + 1), raw["years"], strict=True
    ):
        years[y] = _Year(
            date.fromisoformat(new_year), int(leap), tuple(30 if b == "1" else 29 for b in bits)
        )
    terms = {int(y): s for y, s in raw["terms"].items()}
    return years, terms


def month_length(year: int, month: int, leap: bool = False) -> int | None:
    """Days in that lunar month (29 or 30), or None if the year has no such month."""
    info = _table()[0].get(year)
    if info is None:
        return None
    for m, is_leap, days in info.months():
        if m == month and is_leap == leap:
            return days
    return None


def lunar_to_solar(year: int, month: int, day: int, leap: bool = False) -> date | None:
    """The Gregorian date of a lunar date, or None if it does not exist (闰 month the year lacks,
    三十 of a 29-day month, a year outside 1900–2100)."""
    info = _table()[0].get(year)
    if info is None or not 1 <= day <= 30:
        return None
    offset = 0
    for m, is_leap, days in info.months():
        if m == month and is_leap == leap:
            return info.new_year + timedelta(days=offset + day - 1) if day <= days else None
        offset += days
    return None


def solar_to_lunar(d: date) -> LunarDate | None:
    """The lunar date of a Gregorian date (None outside the table)."""
    years = _table()[0]
    y = d.year if d >= years.get(d.year, _Year(date.max, 0, ())).new_year else d.year - 1
    info = years.get(y)
    if info is None:
        return None
    offset = (d - info.new_year).days
    for m, is_leap, days in info.months():
        if offset < days:
            return LunarDate(y, m, offset + 1, is_leap)
        offset -= days
    return None


def solar_term(name: str, year: int) -> date | None:
    """The day of a solar term (清明, 冬至...) in a Gregorian year."""
    if name not in SOLAR_TERMS:
        return None
    days = _table()[1].get(year)
    if days is None:
        return None
    i = SOLAR_TERMS.index(name)
    return date(year, i // 2 + 1, int(days[2 * i : 2 * i + 2]))


# --- generation (a development step; needs lunar-python) -----------------------------------

_TERM_KEYS = {
    "DONG_ZHI": "冬至",
    "XIAO_HAN": "小寒",
    "DA_HAN": "大寒",
    "LI_CHUN": "立春",
    "YU_SHUI": "雨水",
    "JING_ZHE": "惊蛰",
    "DA_XUE": "大雪",
}


def generate() -> dict[str, object]:
    """Build the table from lunar-python (imported only here)."""
    from lunar_python import Lunar, LunarYear

    years: list[list[object]] = []
    for y in range(FIRST_YEAR, LAST_YEAR + 1):
        ly = LunarYear.fromYear(y)
        first = Lunar.fromYmd(y, 1, 1).getSolar()
        bits = "".join("1" if m.getDayCount() == 30 else "0" for m in ly.getMonthsInYear())
        years.append(
            [
                f"{first.getYear():04d}-{first.getMonth():02d}-{first.getDay():02d}",
                ly.getLeapMonth(),
                bits,
            ]
        )
    terms: dict[str, str] = {}
    for y in range(FIRST_YEAR, LAST_YEAR + 1):
        # A lunar year's term table runs from the previous 冬至 to the next 惊蛰; names in
        # capitals are the terms of the following cycle. Keep the ones in Gregorian year y.
        found: dict[str, str] = {}
        for ly_date in ((y, 6, 1), (y + 1, 1, 1)):
            if ly_date[0] > LAST_YEAR + 1:
                continue
            for key, s in Lunar.fromYmd(*ly_date).getJieQiTable().items():
                name = _TERM_KEYS.get(key, key)
                if name in SOLAR_TERMS and s.getYear() == y:
                    found.setdefault(name, f"{s.getDay():02d}")
        missing = [n for n in SOLAR_TERMS if n not in found]
        if missing:
            raise ValueError(f"{y}: {missing}")
        terms[str(y)] = "".join(found[n] for n in SOLAR_TERMS)
    from importlib.metadata import version as _version

    version = _version("lunar-python")
    return {
        "about": (
            "农历 1900–2100 与二十四节气。由 `python -m assistant.timeparse.lunar --generate` 从 "
            f"lunar-python {version}（MIT，Copyright (c) 2020 6tail）生成，请勿手改。years[i] 为农历 "
            "1900+i 年：[正月初一的公历日期, 闰月（0 为无）, 各月大小（1=30 天, 0=29 天，闰月紧跟其"
            "所闰之月）]；terms[Y] 为公历 Y 年 24 个节气的日（两位一节，小寒起）。"
        ),
        "first_year": FIRST_YEAR,
        "last_year": LAST_YEAR,
        "years": years,
        "terms": terms,
    }


def _main(argv: list[str]) -> int:
    if argv[:1] != ["--generate"]:
        print("用法：python -m assistant.timeparse.lunar --generate", file=sys.stderr)
        return 2
    out = Path(__file__).resolve().parent / _DATA
    out.write_text(
        json.dumps(generate(), ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8"
    )
    print(f"已写入 {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
