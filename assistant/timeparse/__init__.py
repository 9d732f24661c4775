"""Chinese time-expression normalizer: "明天下午3点", "周五前", "下周一到周三", "半小时".

Pure Python, no I/O on the hot path. The reading rules are those of docs/conventions.md (Time);
details and known gaps are in docs/time.md.
"""

from __future__ import annotations

from .durations import parse_durations
from .parser import parse_times
from .types import DurationMatch, Grain, TimeMatch

__all__ = ["DurationMatch", "Grain", "TimeMatch", "parse_durations", "parse_times"]
