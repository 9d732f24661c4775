"""When a team may be messaged: working hours on workdays (weekends, Chinese public holidays and
调休 workdays from the time normaliser's calendar), and quiet hours when nothing but a meeting's
own reminder goes out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from assistant.timeparse.holidays import HolidayCalendar
from assistant.timeparse.holidays import calendar as china_calendar

__all__ = ["TeamHours"]

_SEARCH_DAYS = 40  # longer than any holiday run (Spring Festival plus a weekend)


@dataclass(frozen=True, slots=True)
class TeamHours:
    """A team's week. ``work_start``/``work_end`` bound the working day (both inclusive);
    ``quiet_start``/``quiet_end`` the night (may wrap midnight)."""

    tz: tzinfo
    work_start: time = time(9, 0)
    work_end: time = time(18, 0)
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    skip_weekends: bool = True
    public_holidays: bool = True
    calendar: HolidayCalendar = china_calendar

    def is_workday(self, day: date) -> bool:
        if self.public_holidays:
            if day in self.calendar.workdays:
                return True
            if day in self.calendar.off:
                return False
        return not (self.skip_weekends and day.weekday() >= 5)

    def is_quiet(self, at: datetime) -> bool:
        t = at.astimezone(self.tz).timetz().replace(tzinfo=None)
        if self.quiet_start <= self.quiet_end:
            return self.quiet_start <= t < self.quiet_end
        return t >= self.quiet_start or t < self.quiet_end

    def is_working(self, at: datetime) -> bool:
        local = at.astimezone(self.tz)
        t = local.time()
        return self.is_workday(local.date()) and self.work_start <= t <= self.work_end

    def _at(self, day: date, t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=self.tz)

    def next_working(self, at: datetime) -> datetime:
        """``at`` itself when it is within working hours, else the next start of a workday."""
        if self.is_working(at):
            return at
        local = at.astimezone(self.tz)
        day = local.date()
        if self.is_workday(day) and local.time() < self.work_start:
            return self._at(day, self.work_start)
        for _ in range(_SEARCH_DAYS):
            day += timedelta(days=1)
            if self.is_workday(day):
                return self._at(day, self.work_start)
        return at

    def last_working_before(self, at: datetime) -> datetime:
        """``at`` itself when it is within working hours, else the end of the latest working
        day before it."""
        if self.is_working(at):
            return at
        local = at.astimezone(self.tz)
        day = local.date()
        if self.is_workday(day) and local.time() > self.work_end:
            return self._at(day, self.work_end)
        for _ in range(_SEARCH_DAYS):
            day -= timedelta(days=1)
            if self.is_workday(day):
                return self._at(day, self.work_end)
        return at

    def next_workday(self, day: date) -> date:
        """``day`` itself when it is a workday, else the next one."""
        for _ in range(_SEARCH_DAYS):
            if self.is_workday(day):
                return day
            day += timedelta(days=1)
        return day

    def not_quiet(self, at: datetime) -> datetime:
        """``at``, or the end of the quiet hours it falls in."""
        if not self.is_quiet(at):
            return at
        local = at.astimezone(self.tz)
        end = self._at(local.date(), self.quiet_end)
        return end if end > local else end + timedelta(days=1)
