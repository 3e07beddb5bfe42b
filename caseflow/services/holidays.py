"""The Holiday table: seeding from chinesecalendar, listing."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete, select

from caseflow.deadlines import chinesecalendar_entries
from caseflow.errors import PermissionDenied
from caseflow.extensions import db
from caseflow.models import Case, Holiday, User
from caseflow.services import reminders
from caseflow.services.base import transaction
from caseflow.services.due import due_date, forget_calendars
from caseflow.workflow import engine, spec


def import_chinesecalendar(years: Iterable[int], *, commit: bool = True) -> int:
    """Replace the entries of ``years`` with chinesecalendar's; returns the rows written."""
    count = 0
    for year in years:
        entries = chinesecalendar_entries(year)  # raises before anything of the year is changed
        db.session.execute(
            delete(Holiday).where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
        )
        db.session.add_all(Holiday(day=d, is_workday=w, name=n) for d, w, n in entries)
        count += len(entries)
    db.session.flush()
    forget_calendars()
    recompute_open_due_dates(None)
    if commit:
        db.session.commit()
    return count


def entries_of_year(year: int) -> list[Holiday]:
    return list(
        db.session.scalars(
            select(Holiday)
            .where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31))
            .order_by(Holiday.day)
        )
    )


def years_with_entries(years: Iterable[int]) -> set[int]:
    """Which of ``years`` already have Holiday rows."""
    return {y for y in years if db.session.scalar(
        select(Holiday.day).where(Holiday.day >= date(y, 1, 1), Holiday.day <= date(y, 12, 31)).limit(1))}


def set_day(actor: User, day: date, is_workday: bool, name: str = "") -> Holiday | None:
    """An admin's edit of one calendar day; due dates of open items follow it.

    A day that is ordinary again (a weekday that is a workday, a weekend day off) loses its row.
    """
    if not engine.page_allowed(actor, "administration"):
        raise PermissionDenied(_("只有系统管理员可以修改节假日。"))
    with transaction():
        row = db.session.get(Holiday, day)
        ordinary = is_workday == (day.weekday() < 5)
        if ordinary:
            if row is not None:
                db.session.delete(row)
            row = None
        elif row is None:
            row = Holiday(day=day, is_workday=is_workday, name=name.strip())
            db.session.add(row)
        else:
            row.is_workday, row.name = is_workday, name.strip()
        db.session.flush()
        forget_calendars()
        recompute_open_due_dates(actor)
    return row


def recompute_open_due_dates(actor: User | None) -> int:
    """Recompute stored due dates of open, unextended assignments after a calendar change.

    Only rules counted in working days can move; each moved due date is recorded as an Event.
    Does not commit: the caller's transaction does.
    """
    moved = 0
    open_cases = select(Case).where(Case.state.in_(spec.group("case", "handling")))
    for case in db.session.scalars(open_cases):
        for a in case.assignments:
            if not a.is_open or a.due_date != a.original_due_date:
                continue  # done, or the due date was extended (a decision, not arithmetic)
            due = due_date(case.body, spec.deadline_of(a.role), a.assigned_on)
            if due != a.due_date:
                engine.follow(actor, "due_recomputed", case=case, assignment=a,
                              payload={"old_due": a.due_date.isoformat(), "new_due": due.isoformat()})
                a.original_due_date = a.due_date = due
                reminders.sync_assignment(a)
                moved += 1
    return moved
