"""Monthly trend for the dashboard and the district report: cases assigned (交办) and
lead replies sent (答复) per month of a year, each one SQL aggregation (by Shanghai date)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import Integer, cast, func, select

from caseflow import clock
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Reply, Session
from caseflow.stats import Filter
from caseflow.workflow import spec


@dataclass(frozen=True)
class Month:
    month: int
    assigned: int
    replied: int


def _month(column):
    """The Shanghai month (1–12) of a UTC timestamp column."""
    if db.engine.dialect.name == "postgresql":
        return cast(func.extract("month", func.timezone("Asia/Shanghai", column)), Integer)
    return cast(func.strftime("%m", column, "+8 hours"), Integer)


def scope(query, f: Filter):
    """Narrow a query over Case and Assignment to the filter's unit, body and session
    (withdrawn and merged cases left out)."""
    query = query.join(Session, Session.id == Case.session_id).where(Case.state.not_in(spec.group("case", "void")))
    if f.unit_id:
        query = query.where(Assignment.unit_id == f.unit_id)
    if f.body:
        query = query.where(Case.body == f.body)
    if f.session_id:
        query = query.where(Case.session_id == f.session_id)
    return query


def monthly(f: Filter, year: int) -> list[Month]:
    """Twelve months of ``year``: lead/split assignments given and first lead replies sent."""
    start = datetime.combine(date(year, 1, 1), time(0), clock.LOCAL_TZ)
    end = datetime.combine(date(year + 1, 1, 1), time(0), clock.LOCAL_TZ)
    assigned_month = _month(Assignment.assigned_at)
    assigned = dict(db.session.execute(scope(
        select(assigned_month, func.count(Assignment.id)).join(Case, Case.id == Assignment.case_id)
        .where(Assignment.role.in_(spec.answering_roles()), Assignment.state.not_in(spec.group("assignment", "gone")),
               Assignment.assigned_at >= start, Assignment.assigned_at < end), f)
        .group_by(assigned_month)).all())
    replied_month = _month(Reply.replied_at)
    replied = dict(db.session.execute(scope(
        select(replied_month, func.count(Reply.id)).join(Assignment, Assignment.id == Reply.assignment_id)
        .join(Case, Case.id == Reply.case_id)
        .where(Reply.ordinal == 1, Reply.replied_at >= start, Reply.replied_at < end), f)
        .group_by(replied_month)).all())
    return [Month(m, int(assigned.get(m, 0)), int(replied.get(m, 0))) for m in range(1, 13)]
