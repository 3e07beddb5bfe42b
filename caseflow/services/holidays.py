"""The Holiday table: seeding from chinesecalendar, listing."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import delete, select

from caseflow.deadlines import chinesecalendar_entries
from caseflow.extensions import db
from caseflow.models import Holiday


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
