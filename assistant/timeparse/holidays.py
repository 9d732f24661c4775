"""Holidays and 调休 workdays of mainland China, read once from ``data/holidays_cn.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from typing import Any

from .festivals import RULE_ALIASES, RULES, spans_in_year

__all__ = ["NEARBY_DAYS", "PUBLIC_HOLIDAYS", "HolidayCalendar", "calendar"]

# The public holidays (法定节假日) and their statutory days off counted from the festival day
# (春节 from 除夕 to 初三, 劳动节 May 1-2, 国庆 Oct 1-3), used for years the data file does not
# cover; adjacent weekends join them. For covered years the State Council days off decide.
NEARBY_DAYS = 21
PUBLIC_HOLIDAYS: dict[str, tuple[int, int]] = {
    "元旦": (0, 1),
    "春节": (-1, 4),
    "清明": (0, 1),
    "劳动节": (0, 2),
    "端午": (0, 1),
    "中秋": (0, 1),
    "国庆": (0, 3),
}


@dataclass(frozen=True, slots=True)
class HolidayCalendar:
    """Days off and extra workdays per the State Council notices, plus festival dates."""

    off: frozenset[date]
    workdays: frozenset[date]
    covered_years: frozenset[int]
    fixed: dict[str, tuple[int, int]]
    lunar: dict[str, dict[int, date]]
    aliases: dict[str, str]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HolidayCalendar:
        off: set[date] = set()
        work: set[date] = set()
        years: set[int] = set()
        for year, spec in data.get("years", {}).items():
            years.add(int(year))
            for first, last in spec.get("off", []):
                day = date.fromisoformat(first)
                end = date.fromisoformat(last)
                while day <= end:
                    off.add(day)
                    day += timedelta(days=1)
            work.update(date.fromisoformat(d) for d in spec.get("workdays", []))
        fest = data.get("festivals", {})
        fixed = {name: (int(md[:2]), int(md[3:])) for name, md in fest.get("fixed", {}).items()}
        lunar = {
            name: {int(y): date(int(y), int(md[:2]), int(md[3:])) for y, md in per_year.items()}
            for name, per_year in fest.get("lunar", {}).items()
        }
        aliases = dict(fest.get("aliases", {}))
        aliases.update(RULE_ALIASES)
        for name in (*fixed, *lunar, *RULES):
            aliases.setdefault(name, name)
        return cls(frozenset(off), frozenset(work), frozenset(years), fixed, lunar, aliases)

    @property
    def names(self) -> list[str]:
        """Every name a holiday can be called by, longest first (for a regex alternation)."""
        return sorted(self.aliases, key=lambda n: (-len(n), n))

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.off:
            return False
        return day.weekday() < 5

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th workday after ``start`` (``start`` itself not counted)."""
        day = start
        step = 1 if n >= 0 else -1
        left = abs(n)
        # A bound keeps a silly N from looping for long.
        for _ in range(left * 7 + 60):
            if left == 0:
                break
            day += timedelta(days=step)
            if self.is_workday(day):
                left -= 1
        return day

    def next_occurrence(self, name: str, today: date) -> date | None:
        """The festival's date on or after ``today`` (``None`` if beyond the data)."""
        canon = self.aliases.get(name)
        if canon is None:
            return None
        if canon in self.fixed:
            month, dom = self.fixed[canon]
            this_year = date(today.year, month, dom)
            return this_year if this_year >= today else date(today.year + 1, month, dom)
        per_year = self.lunar.get(canon, {})
        for year in (today.year, today.year + 1):
            day = per_year.get(year)
            if day is not None and day >= today:
                return day
        return None

    def span_in_year(self, name: str, year: int) -> tuple[date, date] | None:
        """The festival's days in ``year`` as ``(first day, day after the last)``."""
        canon = self.aliases.get(name)
        if canon is None:
            return None
        if canon in RULES:
            spans = spans_in_year(canon, year)
            return spans[0] if spans else None
        day = self.in_year(canon, year)
        return (day, day + timedelta(days=1)) if day is not None else None

    def next_span(self, name: str, today: date) -> tuple[date, date] | None:
        """The festival's next days: the first occurrence not over before ``today``."""
        canon = self.aliases.get(name)
        if canon is None:
            return None
        if canon in RULES:
            for year in (today.year - 1, today.year, today.year + 1, today.year + 2):
                for first, end in spans_in_year(canon, year):
                    if (end - first).days == 1 and first >= today:
                        return first, end
                    if (end - first).days > 1 and end > today:
                        return first, end
            return None
        day = self.next_occurrence(canon, today)
        return (day, day + timedelta(days=1)) if day is not None else None

    def canonical(self, name: str) -> str | None:
        return self.aliases.get(name)

    def holiday_block(self, name: str, day: date) -> tuple[date, date]:
        """The days off around public holiday ``name`` falling on ``day``: (first, day after
        the last). Weekends and State Council days off next to it join the block."""
        canon = self.aliases.get(name, name)
        first_off, length = PUBLIC_HOLIDAYS.get(canon, (0, 1))
        if day.year in self.covered_years:
            first, last = day, day
        else:
            first = day + timedelta(days=first_off)
            last = first + timedelta(days=length - 1)
        for _ in range(16):
            if self.is_workday(first - timedelta(days=1)):
                break
            first -= timedelta(days=1)
        for _ in range(16):
            if self.is_workday(last + timedelta(days=1)):
                break
            last += timedelta(days=1)
        return first, last + timedelta(days=1)

    def next_block(
        self, name: str | None, today: date, year: int | None = None
    ) -> tuple[date, date] | None:
        """The next block of days off of a public holiday (any of them when ``name`` is None)
        that is not over before ``today``; with ``year``, that year's."""
        names = [self.aliases.get(name, name)] if name is not None else list(PUBLIC_HOLIDAYS)
        best: tuple[date, date] | None = None
        for canon in names:
            if canon not in PUBLIC_HOLIDAYS:
                return None
            years = [year] if year is not None else [today.year - 1, today.year, today.year + 1]
            for y in years:
                span = self.span_in_year(canon, y)
                if span is None:
                    continue
                block = self.holiday_block(canon, span[0])
                if year is None and block[1] <= today:
                    continue
                if best is None or block[0] < best[0]:
                    best = block
                break
        return best

    def nearby_block(self, today: date, rel: str) -> tuple[date, date] | None:
        """The public holiday that bare 节前 / 节后 refer to: the one in progress, else one whose
        days off begin within ``NEARBY_DAYS``; for 节后 also one that ended within a week. None
        when no holiday is that close (then "which festival?" has no answer)."""
        best: tuple[date, date] | None = None
        for canon in PUBLIC_HOLIDAYS:
            for y in (today.year - 1, today.year, today.year + 1):
                span = self.span_in_year(canon, y)
                if span is None:
                    continue
                first, end = self.holiday_block(canon, span[0])
                ahead = (first - today).days
                ended = (today - end).days
                near = (
                    first <= today < end
                    or 0 <= ahead <= NEARBY_DAYS
                    or (rel == "after" and 0 <= ended < 7)
                )
                if near and (
                    best is None or abs((first - today).days) < abs((best[0] - today).days)
                ):
                    best = (first, end)
        return best

    def workday_before(self, day: date) -> date:
        """The last workday before ``day``."""
        d = day - timedelta(days=1)
        for _ in range(40):
            if self.is_workday(d):
                return d
            d -= timedelta(days=1)
        return d

    def workday_from(self, day: date) -> date:
        """The first workday on or after ``day``."""
        d = day
        for _ in range(40):
            if self.is_workday(d):
                return d
            d += timedelta(days=1)
        return d

    def in_year(self, name: str, year: int) -> date | None:
        canon = self.aliases.get(name)
        if canon is None:
            return None
        if canon in self.fixed:
            month, dom = self.fixed[canon]
            return date(year, month, dom)
        return self.lunar.get(canon, {}).get(year)


def _load() -> HolidayCalendar:
    raw = (
        resources.files("assistant.timeparse").joinpath("data/holidays_cn.json").read_text("utf-8")
    )
    return HolidayCalendar.from_json(json.loads(raw))


calendar = _load()
