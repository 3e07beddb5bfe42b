"""The public disclosure portal: published replies only, no login, no contact data."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from caseflow.extensions import db
from caseflow.models import Assignment, Case, Disclosure, Reply, Session, Unit
from caseflow.models.base import BODY_LABELS
from caseflow.web.forms import db_int, session_years
from caseflow.workflow import spec

bp = Blueprint("public", __name__, url_prefix="/public")
PAGE_SIZE = 30


def _published(*columns):
    """Published disclosures joined to their case and reply: the only rows this portal reads."""
    return (
        select(*(columns or (Disclosure, Case, Reply))).select_from(Disclosure)
        .join(Case, Case.id == Disclosure.case_id)
        .join(Reply, Reply.id == Disclosure.reply_id)
        .join(Session, Session.id == Case.session_id)
        .where(Disclosure.state.in_(spec.group("disclosure", "on_portal")))
    )


def published_query(args, *columns):
    """Published replies matching the portal's filters (year, body, unit, free text)."""
    query = _published(*columns)
    year = args.get("year", type=db_int)
    if year:
        query = query.where(Session.year == year)
    if (body := args.get("body")) in BODY_LABELS:
        query = query.where(Case.body == body)
    if unit_id := args.get("unit_id", type=db_int):
        query = query.where(Reply.assignment_id.in_(select(Assignment.id).where(Assignment.unit_id == unit_id)))
    if q := args.get("q", "").strip()[:100]:
        query = query.where(or_(Case.title.contains(q), Disclosure.published_text.contains(q)))
    return query


def published_rows(args):
    """Every published reply matching the filters, newest first (the export: one row a reply)."""
    query = published_query(args).order_by(Disclosure.decided_at.desc(), Disclosure.id.desc())
    return db.session.execute(query.options(selectinload(Case.session))).all()


@bp.route("/")
def index():
    """One row a case (with how many of its replies are published), newest publication first."""
    args = request.args
    per_case = published_query(args, Disclosure.case_id, func.max(Disclosure.decided_at).label("at"),
                               func.count().label("replies"), func.max(Disclosure.id).label("latest")
                               ).group_by(Disclosure.case_id).subquery()
    page = max(args.get("page", 1, type=db_int), 1)
    total = db.session.scalar(select(func.count()).select_from(per_case))
    rows = db.session.execute(
        select(Case, per_case.c.at, per_case.c.replies, per_case.c.latest).join(per_case, per_case.c.case_id == Case.id)
        .options(selectinload(Case.session)).order_by(per_case.c.at.desc(), Case.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    ).all()
    units = db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.name)).all()
    years = session_years()
    return render_template("public/index.html", rows=rows, total=total, page=page,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), units=units, years=years,
                           bodies=BODY_LABELS, args=args)


@bp.route("/<int:disclosure_id>")
def detail(disclosure_id: int):
    row = db.session.execute(_published().where(Disclosure.id == disclosure_id)).first()
    if row is None:  # unpublished, withheld or unknown: the same answer
        abort(404)
    case = row[1]
    replies = db.session.execute(_published().where(Disclosure.case_id == case.id)
                                 .order_by(Reply.replied_at, Reply.id)).all()
    units = {a.id: a.unit for a in case.assignments}
    return render_template("public/detail.html", case=case, replies=replies, units=units, shown=disclosure_id)
