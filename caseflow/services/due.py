"""Due dates from the workflow's deadline rules and the Holiday table."""
from __future__ import annotations

from datetime import date

from caseflow.deadlines import DeadlineRule, WorkCalendar, load_calendar
from caseflow.extensions import db
from caseflow.workflow import spec


def calendar_from(start: date) -> WorkCalendar:
    """The working-day calendar for the years a deadline from ``start`` can reach."""
    return load_calendar(db.session, range(start.year, start.year + 2))


def due_date(body: str, rule: str, start: date) -> date:
    """Apply the deadline rule ``rule`` (e.g. ``reply``) of ``body``'s workflow to ``start``."""
    return DeadlineRule.from_mapping(spec.load(body)["deadlines"][rule]).due(start, calendar_from(start))
