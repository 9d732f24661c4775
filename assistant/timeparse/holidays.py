"""Holidays and 调休 workdays of mainland China, read once from ``data/holidays_cn.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from typing import Any

from .festivals import RULE_ALIASES, RULES, spans_in_year

__all__ = ["HolidayCalendar", "calendar"]


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
