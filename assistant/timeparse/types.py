"""Result types of the time normalizer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

__all__ = ["DurationMatch", "Grain", "TimeMatch"]

Grain = Literal["year", "month", "week", "day", "hour", "minute", "second"]


@dataclass(frozen=True, slots=True)
class TimeMatch:
    """One time expression found in a text.

    A ``point`` carries ``value``; an ``interval`` carries ``from_`` (inclusive) and ``to``
    (exclusive); an open interval (``parse_times(..., open_ranges=True)``: "2018年以后") has
    ``to=None``. A ``set`` (``parse_times(..., include_sets=True)``: "每周一") carries
    ``recurrence`` (an ISO 8601 period such as ``P1D``, or a TIMEX3-style pattern such as
    ``XXXX-WXX-1T20`` for every Monday at 20:00) and its next occurrence in ``value``. All datetimes are aware and in the timezone of the ``now`` they were read
    against. A deadline (``deadline=True``) is always a point: the due instant.
    """

    text: str
    start: int
    end: int
    type: Literal["point", "interval", "set"]
    grain: Grain
    value: datetime | None = None
    from_: datetime | None = None
    to: datetime | None = None
    deadline: bool = False
    has_clock: bool = False
    part_of_day: str | None = None
    recurrence: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "type": self.type,
        }
        if self.type == "point":
            out["value"] = self.value.isoformat() if self.value is not None else None
        elif self.type == "set":
            out["recurrence"] = self.recurrence
            out["next"] = self.value.isoformat() if self.value is not None else None
        else:
            out["from"] = self.from_.isoformat() if self.from_ is not None else None
            out["to"] = self.to.isoformat() if self.to is not None else None
        out["grain"] = self.grain
        if self.deadline:
            out["deadline"] = True
        return out


@dataclass(frozen=True, slots=True)
class DurationMatch:
    """A span of time as written ("一个半小时" → 5400 seconds, value 1.5, unit "hour").
    ``approx`` marks a lower bound written with 多 ("一个多月", "十多天", "一年多")."""

    text: str
    start: int
    end: int
    seconds: int
    value: float
    unit: str
    approx: bool = False
