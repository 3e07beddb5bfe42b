"""Due dates from the workflow's deadline rules and the Holiday table."""
from __future__ import annotations

from datetime import date

from caseflow.deadlines import DeadlineRule, WorkCalendar, load_calendar
from caseflow.extensions import db
from caseflow.workflow import spec

CACHE_KEY = "work_calendars"


def calendar_from(start: date) -> WorkCalendar:
    """The working-day calendar for the years a deadline from ``start`` can reach.

    Cached on the database session (one request, one import, one scheduler sweep):
    a batch computing thousands of due dates reads the Holiday table once.
    """
    years = (start.year, start.year + 1)
    cache = db.session.info.setdefault(CACHE_KEY, {})
    if years not in cache:
        cache[years] = load_calendar(db.session, range(years[0], years[1] + 1))
    return cache[years]


def forget_calendars() -> None:
    """The Holiday table changed: the next due date reads it again."""
    db.session.info.pop(CACHE_KEY, None)


def due_date(body: str, rule: str, start: date) -> date:
    """Apply the deadline rule ``rule`` (e.g. ``reply``) of ``body``'s workflow to ``start``."""
    return DeadlineRule.from_mapping(spec.load(body)["deadlines"][rule]).due(start, calendar_from(start))
