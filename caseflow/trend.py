"""Monthly trend for the dashboard and the district report: lead assignments given (交办) and first
replies sent (答复) per month of a year, by Shanghai date, from the statistics' facts."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from caseflow.extensions import db
from caseflow.models import AssignmentFact
from caseflow.stats import Filter


@dataclass(frozen=True)
class Month:
    month: int
    assigned: int
    replied: int


def scoped(query, f: Filter):
    """Narrow a query over the facts to the filter's unit, body and session."""
    x = AssignmentFact
    for column, value in ((x.unit_id, f.unit_id), (x.body, f.body), (x.session_id, f.session_id)):
        if value:
            query = query.where(column == value)
    return query


def _per_month(month_column, year: int, f: Filter, *conditions) -> dict[int, int]:
    query = (select(month_column, func.count()).where(month_column.between(year * 100 + 1, year * 100 + 12),
                                                      *conditions).group_by(month_column))
    return {ym % 100: n for ym, n in db.session.execute(scoped(query, f))}


def monthly(f: Filter, year: int) -> list[Month]:
    """Twelve months of ``year``: lead/split assignments given and first lead replies sent."""
    x = AssignmentFact
    assigned = _per_month(x.assigned_ym, year, f, x.lead)
    replied = _per_month(x.replied_ym, year, f)
    return [Month(m, assigned.get(m, 0), replied.get(m, 0)) for m in range(1, 13)]
