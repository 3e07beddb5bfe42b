from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from caseflow import clock
from caseflow.access import case_filter, get_visible_case
from caseflow.extensions import db
from caseflow.models import Assignment, Case, Session
from caseflow.timeline import case_timeline

bp = Blueprint("cases", __name__, url_prefix="/cases")
PAGE_SIZE = 50


@bp.route("/")
@login_required
def index():
    page = max(request.args.get("page", 1, type=int), 1)
    condition = case_filter(current_user)
    total = db.session.scalar(select(func.count(Case.id)).where(condition))
    cases = db.session.scalars(
        select(Case)
        .join(Session, Session.id == Case.session_id)
        .where(condition)
        .options(
            selectinload(Case.assignments).selectinload(Assignment.unit),
            selectinload(Case.session),
        )
        .order_by(Session.year.desc(), Case.body, Case.number)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "cases/list.html",
        cases=cases,
        total=total,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        today=clock.today(),
    )


@bp.route("/<int:case_id>")
@login_required
def detail(case_id: int):
    case = get_visible_case(current_user, case_id)
    return render_template(
        "cases/detail.html", case=case, timeline=case_timeline(case), today=clock.today()
    )
