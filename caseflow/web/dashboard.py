"""The supervisors' dashboard: traffic lights, the overdue list, every DESIGN §5 figure per unit,
distributions and the monthly trend — all from caseflow.stats, filtered in the URL."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from caseflow import charts, clock, stats, trend
from caseflow.access import roles_required
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Session, Unit
from caseflow.models.assignment import CLOSED_ASSIGNMENT_STATES
from caseflow.models.base import BODY_LABELS

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
VIEWERS = ("admin", "dispatcher", "supervisor", "handler", "unit_leader")
OVERDUE_LIST = 100


@dataclass(frozen=True)
class Choice:
    years: list[int]
    sessions: list[Session]
    units: list[Unit]


def current_filter() -> stats.Filter:
    """The filter from the URL; a unit's own people always see their own unit."""
    args = request.args
    years = db.session.scalars(select(Session.year).distinct().order_by(Session.year.desc())).all()
    year = args.get("year", type=int) or (years[0] if years else clock.today().year)
    unit_id = current_user.unit_id if current_user.role in ("handler", "unit_leader") else args.get(
        "unit_id", type=int)
    body = args.get("body") if args.get("body") in BODY_LABELS else None
    return stats.Filter(year=year, body=body, session_id=args.get("session_id", type=int), unit_id=unit_id)


def overdue_assignments(f: stats.Filter) -> list[Assignment]:
    query = (select(Assignment).join(Case).join(Session, Session.id == Case.session_id)
             .where(Assignment.due_date < clock.today(), Assignment.state.not_in(CLOSED_ASSIGNMENT_STATES),
                    Case.state.not_in(("withdrawn", "merged")), Session.year == f.year)
             .options(selectinload(Assignment.case), selectinload(Assignment.unit))
             .order_by(Assignment.due_date, Assignment.id).limit(OVERDUE_LIST))
    if f.unit_id:
        query = query.where(Assignment.unit_id == f.unit_id)
    if f.body:
        query = query.where(Case.body == f.body)
    if f.session_id:
        query = query.where(Case.session_id == f.session_id)
    return list(db.session.scalars(query))


def chart_uris(f: stats.Filter, summary: stats.Figures) -> dict[str, str]:
    months = trend.monthly(f, f.year)
    s = summary.satisfaction
    basic = s.satisfied_or_basic.numerator - s.satisfied.numerator
    return {
        "trend": charts.monthly_trend(f"{f.year}年按月交办与答复（件）", {
            "交办（主办）": [m.assigned for m in months], "首次答复": [m.replied for m in months]}),
        "classes": charts.distribution("办理结果分类（件）", [(c.label or "未分类", c.count) for c in summary.classes]),
        "satisfaction": charts.distribution("征询意见（件）", [
            ("满意", s.satisfied.numerator), ("基本满意", basic), ("不满意", s.dissatisfied)]),
    }


@bp.route("/")
@roles_required(*VIEWERS)
def index():
    f = current_filter()
    summary = stats.summary(f)
    own_unit = current_user.role in ("handler", "unit_leader")
    choice = Choice(
        years=db.session.scalars(select(Session.year).distinct().order_by(Session.year.desc())).all(),
        sessions=db.session.scalars(select(Session).where(Session.year == f.year).order_by(Session.id)).all(),
        units=[] if own_unit else db.session.scalars(select(Unit).order_by(Unit.id)).all())
    return render_template(
        "dashboard/index.html", f=f, summary=summary, choice=choice, bodies=BODY_LABELS, own_unit=own_unit,
        units=stats.unit_table(f), overdue=overdue_assignments(f), today=clock.today(),
        charts=chart_uris(f, summary))
