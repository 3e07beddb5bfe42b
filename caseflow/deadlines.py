"""Deadline arithmetic in calendar months, calendar days and Chinese working days.

Working days are Monday–Friday except where the ``Holiday`` table says otherwise
(public holidays on weekdays are days off, 调休 weekend days are working days).
The table is seeded from the ``chinesecalendar`` package and edited by admins; a
year without rows silently falls back to Monday–Friday, and ``missing_years``
lets the dashboard warn about it.
"""

from __future__ import annotations

import calendar
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from types import MappingProxyType

import chinese_calendar
from chinese_calendar.constants import Holiday as _CCHoliday
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

_ONE_DAY = timedelta(days=1)

HOLIDAY_NAMES_ZH: Mapping[str, str] = MappingProxyType(
    {
        _CCHoliday.new_years_day.value: "元旦",
        _CCHoliday.spring_festival.value: "春节",
        _CCHoliday.tomb_sweeping_day.value: "清明节",
        _CCHoliday.labour_day.value: "劳动节",
        _CCHoliday.dragon_boat_festival.value: "端午节",
        _CCHoliday.mid_autumn_festival.value: "中秋节",
        _CCHoliday.national_day.value: "国庆节",
        _CCHoliday.anti_fascist_70th_day.value: "抗战胜利70周年纪念日",
    }
)
"""The package's English holiday names -> Chinese names stored in the Holiday table."""


class CalendarDataMissing(LookupError):
    """No holiday data is available for ``year``."""

    def __init__(self, year: int) -> None:
        super().__init__(f"{year}年节假日数据缺失")
        self.year = year


def add_months(start: date, months: int) -> date:
    """``start`` plus calendar months, clamped to the end of a shorter month."""
    if months < 0:
        raise ValueError(f"months must be >= 0, got {months}")
    carry, month0 = divmod(start.month - 1 + months, 12)
    year, month = start.year + carry, month0 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def _is_weekday(d: date) -> bool:
    return d.weekday() < 5


def _weekdays_between(a: date, b: date) -> int:
    """Number of Monday–Friday days d with a < d <= b (b > a)."""
    full_weeks, rest = divmod((b - a).days, 7)
    return full_weeks * 5 + sum(_is_weekday(a + timedelta(days=i)) for i in range(1, rest + 1))


@dataclass(frozen=True)
class WorkCalendar:
    """Monday–Friday plus per-day exceptions (True = working day, False = day off)."""

    overrides: Mapping[date, bool] = field(default_factory=dict)
    years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "years", frozenset(self.years))

    def is_workday(self, d: date) -> bool:
        return self.overrides.get(d, _is_weekday(d))

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after ``start``; ``start`` itself never counts."""
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        d = start
        while n:
            d += _ONE_DAY
            n -= self.is_workday(d)
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Number of working days d with a < d <= b (0 if b <= a)."""
        if b <= a:
            return 0
        count = _weekdays_between(a, b)
        for d, workday in self.overrides.items():
            if a < d <= b and workday != _is_weekday(d):
                count += 1 if workday else -1
        return count

    def missing_years(self, years: Iterable[int]) -> list[int]:
        return sorted(set(years) - self.years)


@dataclass(frozen=True)
class DeadlineRule:
    """A deadline of exactly one kind: calendar months, working days or calendar days."""

    months: int = 0
    working_days: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for key, value in values.items():
            if type(value) is not int or value < 0:
                raise ValueError(f"deadline {key} must be a non-negative integer, got {value!r}")
        set_keys = [key for key, value in values.items() if value]
        if len(set_keys) != 1:
            raise ValueError(
                "deadline needs exactly one non-zero value of months, working_days or days, "
                f"got {values}"
            )

    @classmethod
    def from_mapping(cls, m: Mapping[str, int]) -> DeadlineRule:
        allowed = {f.name for f in fields(cls)}
        for key in m:
            if key not in allowed:
                raise ValueError(
                    f"unknown deadline key {key!r} (expected one of: months, working_days, days)"
                )
        return cls(**m)

    def due(self, start: date, cal: WorkCalendar) -> date:
        if self.months:
            return add_months(start, self.months)
        if self.working_days:
            return cal.add_working_days(start, self.working_days)
        return start + timedelta(days=self.days)


@functools.cache
def supported_chinesecalendar_years() -> range:
    """Years the installed ``chinesecalendar`` covers (2004–2026 for 1.11.0), by probing."""
    covered = []
    for year in range(1900, 2200):
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            continue
        covered.append(year)
    if not covered:
        return range(0)
    return range(covered[0], covered[-1] + 1)


def chinesecalendar_entries(year: int) -> list[tuple[date, bool, str]]:
    """Holiday-table rows (day, is_workday, name) for ``year`` from ``chinesecalendar``.

    Lists every day that differs from Monday–Friday plus the weekend days of
    official holidays, so each holiday appears in full. Make-up working days are
    named e.g. "国庆节调休".
    """
    if year not in supported_chinesecalendar_years():
        raise CalendarDataMissing(year)
    rows: list[tuple[date, bool, str]] = []
    d = date(year, 1, 1)
    while d.year == year:
        _, name = chinese_calendar.get_holiday_detail(d)
        workday = chinese_calendar.is_workday(d)
        if name is not None or workday != _is_weekday(d):
            zh = HOLIDAY_NAMES_ZH.get(name, name) if name else ""
            rows.append((d, workday, f"{zh}调休" if workday else zh))
        d += _ONE_DAY
    return rows


def load_calendar(session: Session, years: Iterable[int] | None = None) -> WorkCalendar:
    """Build a WorkCalendar from the Holiday table, optionally only for ``years``."""
    from caseflow.models.holiday import Holiday

    stmt = select(Holiday.day, Holiday.is_workday)
    if years is not None:
        wanted = sorted(set(years))
        if not wanted:
            return WorkCalendar()
        stmt = stmt.where(
            or_(*(Holiday.day.between(date(y, 1, 1), date(y, 12, 31)) for y in wanted))
        )
    overrides = {day: bool(workday) for day, workday in session.execute(stmt)}
    return WorkCalendar(overrides, frozenset(d.year for d in overrides))
