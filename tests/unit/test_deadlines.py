"""Deadline arithmetic against the official 2023–2026 State Council holiday notices."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from caseflow.deadlines import (
    CalendarDataMissing,
    DeadlineRule,
    WorkCalendar,
    add_months,
    chinesecalendar_entries,
    supported_chinesecalendar_years,
)

YEARS = (2023, 2024, 2025, 2026)
ZH_NAMES = {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    overrides = {day: workday for y in YEARS for day, workday, _ in chinesecalendar_entries(y)}
    return WorkCalendar(overrides, frozenset(YEARS))


@pytest.fixture(scope="module")
def reference_workday() -> dict[date, bool]:
    """chinese_calendar.is_workday per day (looked up once: the package call is slow);
    2027 is not covered by the package, so Monday–Friday as the app's fallback."""
    table = {}
    d = date(2023, 1, 1)
    while d < date(2027, 3, 1):
        table[d] = chinese_calendar.is_workday(d) if d.year <= 2026 else d.weekday() < 5
        d += timedelta(days=1)
    return table


def naive_add(workday: dict[date, bool], start: date, n: int) -> date:
    d, seen = start, 0
    while seen < n:
        d += timedelta(days=1)
        if workday[d]:
            seen += 1
    return d


# Expected values counted by hand from the 国务院办公厅 holiday notices for 2023–2026.
WORKING_DAY_CASES = [
    # 2023 中秋国庆: 9/29–10/6 off, Sat 10/7 and Sun 10/8 are 调休 working days.
    (date(2023, 9, 28), 1, date(2023, 10, 7)),
    (date(2023, 9, 28), 5, date(2023, 10, 11)),  # 10/7, 10/8, 10/9, 10/10, 10/11
    (date(2023, 10, 7), 1, date(2023, 10, 8)),  # from a make-up Saturday to a make-up Sunday
    (date(2023, 10, 6), 2, date(2023, 10, 8)),  # start on a holiday
    (date(2023, 9, 27), 20, date(2023, 10, 31)),  # 9/28, 10/7, 10/8, then 17 weekdays
    # 2024 元旦: 2023-12-30 .. 2024-01-01 off.
    (date(2023, 12, 29), 1, date(2024, 1, 2)),
    # 2024 春节: 2/10–2/17 off; Sun 2/4 and Sun 2/18 working; 除夕 2/9 is a normal Friday.
    (date(2024, 2, 2), 1, date(2024, 2, 4)),
    (date(2024, 2, 8), 1, date(2024, 2, 9)),
    (date(2024, 2, 9), 1, date(2024, 2, 18)),
    # 2024 清明: 4/4–4/6 off, Sun 4/7 working.
    (date(2024, 4, 3), 1, date(2024, 4, 7)),
    # 2024 中秋: Sat 9/14 working, 9/15–9/17 off.
    (date(2024, 9, 13), 1, date(2024, 9, 14)),
    (date(2024, 9, 13), 2, date(2024, 9, 18)),
    # 2025 春节: 1/28–2/4 off; Sun 1/26 and Sat 2/8 working.
    (date(2025, 1, 24), 1, date(2025, 1, 26)),
    (date(2025, 1, 27), 1, date(2025, 2, 5)),
    (date(2025, 1, 27), 5, date(2025, 2, 10)),  # 2/5, 2/6, 2/7, 2/8 (Sat), 2/10
    # 2025 清明: Fri 4/4 off (weekend follows), no 调休.
    (date(2025, 4, 3), 1, date(2025, 4, 7)),
    # 2025 劳动节: 5/1–5/5 off, Sun 4/27 working.
    (date(2025, 4, 25), 1, date(2025, 4, 27)),
    (date(2025, 4, 30), 1, date(2025, 5, 6)),
    # 2025 国庆中秋: 10/1–10/8 off, Sat 10/11 working.
    (date(2025, 9, 30), 1, date(2025, 10, 9)),
    (date(2025, 9, 30), 3, date(2025, 10, 11)),
    # 2026 元旦: 1/1–1/3 off, Sun 1/4 working.
    (date(2025, 12, 31), 1, date(2026, 1, 4)),
    # 2026 春节: 2/15–2/23 off; Sat 2/14 and Sat 2/28 working.
    (date(2026, 2, 13), 1, date(2026, 2, 14)),
    (date(2026, 2, 13), 2, date(2026, 2, 24)),
    (date(2026, 2, 13), 20, date(2026, 3, 19)),  # 2/14, 2/24–2/28 (5), 3/2–3/19 (14)
    # 2026 端午: Fri 6/19 off.
    (date(2026, 6, 18), 1, date(2026, 6, 22)),
    # 2026 国庆: 10/1–10/7 off, Sat 10/10 working.
    (date(2026, 9, 30), 1, date(2026, 10, 8)),
    (date(2026, 9, 30), 3, date(2026, 10, 10)),
]


@pytest.mark.parametrize(("start", "n", "expected"), WORKING_DAY_CASES)
def test_add_working_days_official_holidays(cal, start, n, expected):
    assert cal.add_working_days(start, n) == expected
    assert cal.working_days_between(start, expected) == n
    assert DeadlineRule(working_days=n).due(start, cal) == expected


def test_add_working_days_matches_chinese_calendar(cal, reference_workday):
    start, mismatches = date(2023, 1, 1), []
    while start <= date(2026, 12, 20):
        for n in (5, 15, 20):
            got, want = cal.add_working_days(start, n), naive_add(reference_workday, start, n)
            if got != want:
                mismatches.append((start, n, got, want))
        start += timedelta(days=1)
    assert mismatches == []


def test_working_days_between_matches_chinese_calendar(cal, reference_workday):
    days = sorted(reference_workday)
    for a in days[::37]:
        for span in (0, 1, 6, 7, 30, 200):
            b = a + timedelta(days=span)
            if b not in reference_workday:
                continue
            want = sum(reference_workday[a + timedelta(days=i)] for i in range(1, span + 1))
            assert cal.working_days_between(a, b) == want, (a, b)


def test_is_workday(cal):
    assert cal.is_workday(date(2025, 4, 27))  # Sunday, 劳动节调休
    assert not cal.is_workday(date(2025, 5, 5))  # Monday, 劳动节
    assert not cal.is_workday(date(2025, 4, 26))  # ordinary Saturday
    assert cal.is_workday(date(2025, 4, 28))  # ordinary Monday


def test_working_days_edge_cases(cal):
    holiday = date(2023, 10, 2)
    assert cal.add_working_days(holiday, 0) == holiday
    assert cal.working_days_between(holiday, holiday) == 0
    assert cal.working_days_between(date(2023, 10, 11), date(2023, 9, 28)) == 0
    with pytest.raises(ValueError, match="n must be >= 0, got -1"):
        cal.add_working_days(holiday, -1)


def test_calendar_copies_overrides():
    source = {date(2024, 1, 1): False}
    cal = WorkCalendar(source, frozenset({2024}))
    source[date(2024, 1, 2)] = False
    assert cal.is_workday(date(2024, 1, 2))
    with pytest.raises(TypeError):
        cal.overrides[date(2024, 1, 3)] = False  # type: ignore[index]


def test_calendar_years_given_as_a_list_are_a_frozen_set():
    cal = WorkCalendar({}, [2024, 2025, 2024])  # type: ignore[arg-type]
    assert cal.years == frozenset({2024, 2025}) and isinstance(cal.years, frozenset)
    assert cal.missing_years([2023, 2024]) == [2023]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 3, 31), 3, date(2023, 6, 30)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2022, 8, 31), 6, date(2023, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2023, 10, 31), 1, date(2023, 11, 30)),
        (date(2023, 7, 31), 6, date(2024, 1, 31)),
        (date(2023, 12, 15), 1, date(2024, 1, 15)),
        (date(2023, 12, 31), 12, date(2024, 12, 31)),
        (date(2023, 5, 15), 0, date(2023, 5, 15)),
    ],
)
def test_add_months(start, months, expected):
    assert add_months(start, months) == expected


def test_add_months_negative():
    with pytest.raises(ValueError, match="months must be >= 0, got -1"):
        add_months(date(2024, 1, 31), -1)


def test_deadline_rule_due(cal):
    start = date(2023, 9, 28)
    assert DeadlineRule.from_mapping({"months": 3}).due(start, cal) == date(2023, 12, 28)
    assert DeadlineRule.from_mapping({"working_days": 5}).due(start, cal) == date(2023, 10, 11)
    assert DeadlineRule.from_mapping({"days": 10}).due(start, cal) == date(2023, 10, 8)
    assert DeadlineRule.from_mapping({"months": 1}).due(date(2024, 1, 31), cal) == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"months": 3, "days": 10}, "^deadline needs exactly one non-zero value of months, working_days or days"),
        ({"months": 1, "working_days": 5}, "exactly one"),
        ({}, "exactly one"),
        ({"months": 0}, "exactly one"),
        ({"weeks": 2}, "weeks"),
        ({"months": 3, "weekdays": 5}, "weekdays"),
        ({"days": -1}, "non-negative"),
        ({"days": "10"}, "non-negative integer"),
    ],
)
def test_deadline_rule_rejects(mapping, message):
    with pytest.raises(ValueError, match=message):
        DeadlineRule.from_mapping(mapping)


def test_deadline_rule_constructor_rejects_two_values():
    with pytest.raises(ValueError):
        DeadlineRule(months=1, days=1)
    with pytest.raises(ValueError):
        DeadlineRule()


def test_chinesecalendar_entries_2023():
    rows = {day: (workday, name) for day, workday, name in chinesecalendar_entries(2023)}
    assert rows[date(2023, 9, 29)] == (False, "中秋节")
    assert rows[date(2023, 10, 2)] == (False, "国庆节")
    assert rows[date(2023, 10, 1)] == (False, "国庆节")  # Sunday inside the holiday is listed
    assert rows[date(2023, 10, 7)] == (True, "国庆节调休")
    assert rows[date(2023, 1, 28)] == (True, "春节调休")
    assert rows[date(2023, 1, 1)] == (False, "元旦")
    assert date(2023, 10, 14) not in rows  # ordinary Saturday
    assert date(2023, 10, 9) not in rows  # ordinary Monday


@pytest.mark.parametrize("year", YEARS)
def test_chinesecalendar_entries_shape(year):
    rows = chinesecalendar_entries(year)
    assert rows == sorted(rows)
    for day, workday, name in rows:
        assert day.year == year
        if workday:
            assert day.weekday() >= 5 and name.removesuffix("调休") in ZH_NAMES, (day, name)
        else:
            assert name in ZH_NAMES, (day, name)


def test_chinesecalendar_entries_2025_labour_day():
    rows = {day: (workday, name) for day, workday, name in chinesecalendar_entries(2025)}
    assert rows[date(2025, 4, 27)] == (True, "劳动节调休")
    assert [d for d, (w, n) in rows.items() if n == "劳动节"] == [
        date(2025, 5, d) for d in range(1, 6)
    ]


def test_supported_years():
    assert supported_chinesecalendar_years() == range(2004, 2027)


def test_2027_falls_back_to_monday_to_friday(cal):
    assert cal.missing_years([2026, 2027]) == [2027]
    assert cal.missing_years(range(2023, 2027)) == []
    assert cal.is_workday(date(2027, 1, 1))  # no data: a Friday counts, although it is 元旦
    assert not cal.is_workday(date(2027, 1, 2))
    assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert cal.add_working_days(date(2027, 2, 5), 5) == date(2027, 2, 12)


def test_chinesecalendar_entries_2027_missing():
    with pytest.raises(CalendarDataMissing, match="2027年节假日数据缺失") as info:
        chinesecalendar_entries(2027)
    assert isinstance(info.value, LookupError)
    assert info.value.year == 2027
