"""The overdue list (超期未办结) of the dashboard and the district report: open assignments of the
filter's year past their due date, longest overdue first."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseflow import clock, trend
from caseflow.extensions import db
from caseflow.models import Assignment, AssignmentFact
from caseflow.stats import Filter


def overdue_assignments(f: Filter, limit: int | None = None) -> list[Assignment]:
    x = AssignmentFact
    late = trend.scoped(select(x.assignment_id).where(x.year == f.year, x.open, x.due_date < (f.as_of or clock.today())),
                        f)
    query = (select(Assignment).where(Assignment.id.in_(late))
             .options(selectinload(Assignment.case), selectinload(Assignment.unit)))
    return list(db.session.scalars(query.order_by(Assignment.due_date, Assignment.id).limit(limit)))
